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
        guard !hasProblems, entries.count == records.count else { return false }
        var byID: [Substring: Int] = .init(minimumCapacity: records.count)
        for (index, record) in records.enumerated() { byID[VersionOrder.normalized(record.id)] = index }
        for entry in entries {
            guard let checksum = entry.checksum, let index = byID[VersionOrder.normalized(entry.name.id)],
                  records[index].state == .applied, records[index].checksum == checksum else { return false }
        }
        return true
    }

    /// Each file's state, from its row, when `isSettled(with: records)`.
    public func settledStates(_ records: [AppliedMigration]) -> [MigrationState] {
        var byID: [Substring: Int] = .init(minimumCapacity: records.count)
        for (index, record) in records.enumerated() { byID[VersionOrder.normalized(record.id)] = index }
        return VersionOrder.sorted(entries) { $0.name.id }.map { entry in
            MigrationState(id: entry.name.id, version: entry.name.version, name: entry.name.name, filename: entry.name.filename,
                           status: .applied, outOfOrder: false, file: nil,
                           record: byID[VersionOrder.normalized(entry.name.id)].map { records[$0] })
        }
    }
}
