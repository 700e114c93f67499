import FoundationEssentials

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
    public static func load(directory: URL, checksum: ([UInt8]) -> String) -> ChecksumListing? {
        guard case .success(let names) = DirectoryListing.names(directory.path) else { return nil }
        let folder = directory.path.hasSuffix("/") ? directory.path : directory.path + "/"
        var entries: [Entry] = []
        var problems = false
        var ids = Set<Substring>()
        for name in names where name.hasSuffix(".sql") {
            guard let fileName = try? MigrationFileName(name) else { problems = true; continue }
            switch FileBytes.read(folder + name) {
            case .notAFile:
                continue
            case .file(let bytes):
                let sum = UpSectionScan.range(in: bytes).map { checksum(MigrationFile.normalizedLineEndings(bytes[$0])) }
                entries.append(Entry(name: fileName, checksum: sum))
            case nil:
                problems = true
            }
            if !ids.insert(VersionOrder.normalized(fileName.id)).inserted { problems = true }
        }
        return ChecksumListing(entries: entries, hasProblems: problems)
    }

    /// True when every file's checksum was found and nothing needs the full catalog to be explained.
    public var isComplete: Bool { !hasProblems && entries.allSatisfy { $0.checksum != nil } }

    /// True when every file is applied with its checksum and every applied
    /// row has its file: a run would apply nothing, refuse nothing and warn
    /// of nothing.
    public func isSettled(with records: [AppliedMigration]) -> Bool {
        guard !hasProblems, entries.count == records.count else { return false }
        var byID: [Substring: AppliedMigration] = [:]
        for record in records { byID[VersionOrder.normalized(record.id)] = record }
        for entry in entries {
            guard let checksum = entry.checksum, let record = byID[VersionOrder.normalized(entry.name.id)],
                  record.state == .applied, record.checksum == checksum else { return false }
        }
        return true
    }

    /// Each file's state, from its row, when `isSettled(with: records)`.
    public func settledStates(_ records: [AppliedMigration]) -> [MigrationState] {
        var byID: [Substring: AppliedMigration] = [:]
        for record in records { byID[VersionOrder.normalized(record.id)] = record }
        return entries.sorted { VersionOrder.less($0.name.id, $1.name.id) }.map { entry in
            MigrationState(id: entry.name.id, version: entry.name.version, name: entry.name.name, filename: entry.name.filename,
                           status: .applied, outOfOrder: false, file: nil, record: byID[VersionOrder.normalized(entry.name.id)])
        }
    }
}
