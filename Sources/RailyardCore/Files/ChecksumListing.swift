import FoundationEssentials
import Dispatch
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// What deciding that nothing is pending needs of a folder: each migration
/// file's name and the checksum of its up section, found without lexing
/// (see `UpSectionScan`). Nil entries need the full parser.
public struct ChecksumListing: Sendable {
    public struct Entry: Sendable {
        public var name: MigrationFileName
        /// nil when the quick scan could not be sure of the up section.
        public var checksum: String?
    }

    public var entries: [Entry]
    /// A bad name, an unreadable file or a duplicate: the full catalog says what.
    public var hasProblems: Bool

    /// Reads the folder's `.sql` files; nil when the folder cannot be read.
    public static func load(directory: URL, checksum: @escaping @Sendable ([UInt8]) -> String) -> ChecksumListing? {
        guard case .success(let listed) = DirectoryListing.entries(directory.path) else { return nil }
        let folder = open(directory.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard folder >= 0 else { return nil }
        defer { close(folder) }
        let files = UncheckedSendable(listed.filter { $0.name.hasSuffix(".sql") })  // read only
        let chunkSize = 32
        let chunkCount = (files.value.count + chunkSize - 1) / chunkSize
        let results = Mutex<[(entries: [Entry], problems: Bool)]>(Array(repeating: ([], false), count: chunkCount))
        let body: @Sendable (Int) -> Void = { chunk in
            let start = chunk * chunkSize
            let read = readEntries(files.value[start..<min(start + chunkSize, files.value.count)], in: folder, checksum: checksum)
            results.withLock { $0[chunk] = read }
        }
        // Up to a few thousand files this thread alone reads them before the
        // connection's round trips end, and leaves the other core to those and
        // to the server; more, and whichever thread is free takes the next chunk.
        if files.value.count <= 2000 {
            (0..<chunkCount).forEach(body)
        } else {
            DispatchQueue.concurrentPerform(iterations: chunkCount, execute: body)
        }
        let read = results.withLock { $0 }
        var entries: [Entry] = []
        entries.reserveCapacity(files.value.count)
        for part in read { entries += part.entries }
        var problems = read.contains { $0.problems }
        var ids = Set<Substring>(minimumCapacity: entries.count)
        for entry in entries where !ids.insert(VersionOrder.normalized(entry.name.id)).inserted { problems = true }
        return ChecksumListing(entries: entries, hasProblems: problems)
    }

    private static func readEntries(_ names: ArraySlice<(name: String, regular: Bool)>, in folder: Int32,
                                checksum: ([UInt8]) -> String) -> (entries: [Entry], problems: Bool) {
        var entries: [Entry] = []
        entries.reserveCapacity(names.count)
        var problems = false
        for (name, regular) in names {
            guard let fileName = try? MigrationFileName(name) else { problems = true; continue }
            switch FileBytes.read(name, in: folder, regular: regular) {
            case .notAFile:
                continue
            case .file(let bytes):
                let sum = UpSectionScan.range(in: bytes).map { checksum(MigrationFile.normalizedLineEndings(bytes[$0])) }
                entries.append(Entry(name: fileName, checksum: sum))
            case nil:
                problems = true
            }
        }
        return (entries, problems)
    }

    /// True when every file's checksum was found and nothing needs the full catalog to be explained.
    public var isComplete: Bool { !hasProblems && entries.allSatisfy { $0.checksum != nil } }

    /// True when every file is applied with its checksum and every applied
    /// row has its file: a run would apply nothing, refuse nothing and warn
    /// of nothing.
    public func isSettled(with records: [AppliedMigration]) -> Bool {
        guard !hasProblems, entries.count == records.count, let rows = rowsByLookup(records) else { return false }
        return areApplied(rows, records)
    }

    /// The entries' indices in version order.
    public func versionOrder() -> [Int] {
        VersionOrder.sorted(Array(entries.indices)) { entries[$0].name.id }
    }

    /// Each file's state, from its row, in version order; nil unless
    /// `isSettled(with: records)`. `order` is `versionOrder()`, when it
    /// was found while the rows were on their way.
    public func settledStates(_ records: [AppliedMigration], order given: [Int]? = nil) -> [MigrationState]? {
        guard !hasProblems, entries.count == records.count else { return nil }
        let order = given ?? versionOrder()
        // Rows come back in the order they were written, nearly always the files' own: then each is the one at its file's place.
        var rows = [Int](repeating: 0, count: entries.count)
        if zip(order, records).allSatisfy({ VersionOrder.normalized(entries[$0].name.id) == VersionOrder.normalized($1.id) }) {
            for (row, index) in order.enumerated() { rows[index] = row }
        } else {
            guard let found = rowsByLookup(records) else { return nil }
            rows = found
        }
        guard areApplied(rows, records) else { return nil }
        return order.map { index in
            let name = entries[index].name
            return MigrationState(id: name.id, version: name.version, name: name.name, filename: name.filename,
                                  status: .applied, outOfOrder: false, file: nil, record: records[rows[index]])
        }
    }

    /// For each entry, the index of the row with its id; nil when one has none.
    private func rowsByLookup(_ records: [AppliedMigration]) -> [Int]? {
        var byID: [Substring: Int] = .init(minimumCapacity: records.count)
        for (index, record) in records.enumerated() { byID[VersionOrder.normalized(record.id)] = index }
        var rows: [Int] = []
        rows.reserveCapacity(entries.count)
        for entry in entries {
            guard let row = byID[VersionOrder.normalized(entry.name.id)] else { return nil }
            rows.append(row)
        }
        return rows
    }

    /// True when each entry's row (`rows[entry]`) is applied with the entry's checksum.
    private func areApplied(_ rows: [Int], _ records: [AppliedMigration]) -> Bool {
        zip(entries, rows).allSatisfy { entry, row in
            entry.checksum != nil && records[row].state == .applied && records[row].checksum == entry.checksum
        }
    }
}
