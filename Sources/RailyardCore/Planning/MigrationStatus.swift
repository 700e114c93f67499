import FoundationEssentials

/// A row of the tracking table, as the planner sees it.
public struct AppliedMigration: Sendable, Codable, Equatable {
    public enum State: String, Sendable, Codable {
        case applied, failed
    }

    public var version: String
    public var name: String
    public var filename: String
    public var checksum: String?
    public var appliedAt: Date?
    public var appliedBy: String?
    public var executionMs: Int?
    public var transactional: Bool
    public var state: State
    /// For a failed non-transactional migration: the index of the statement
    /// that failed (the ones before it were committed).
    public var failedStatement: Int?
    public var error: String?

    public init(version: String, name: String, filename: String, checksum: String?, appliedAt: Date? = nil,
                appliedBy: String? = nil, executionMs: Int? = nil, transactional: Bool = true,
                state: State = .applied, failedStatement: Int? = nil, error: String? = nil) {
        self.version = version
        self.name = name
        self.filename = filename
        self.checksum = checksum
        self.appliedAt = appliedAt
        self.appliedBy = appliedBy
        self.executionMs = executionMs
        self.transactional = transactional
        self.state = state
        self.failedStatement = failedStatement
        self.error = error
    }

    /// The migration this row tracks: its version column, or the file's id
    /// for a row keyed by digits alone that are not a timestamp (written by
    /// an earlier Railyard or imported from the Node scripts' table).
    public var id: String {
        guard version.utf8.count != 14, VersionOrder.isValid(version), let name = try? MigrationFileName(filename),
              VersionOrder.same(name.version, version) else { return version }
        return name.id
    }
}

/// Where a migration stands, comparing the folder with the tracking table.
public enum MigrationStatus: String, Sendable, Codable, CaseIterable {
    /// Applied, and the file still has the checksum it was applied with.
    case applied
    /// In the folder, not yet applied.
    case pending
    /// Applied, but the file's up section has changed since.
    case changed
    /// Applied, but its file is gone from the folder, though newer files are there: deleted.
    case missing
    /// Applied under another file name: a pending file has the checksum of
    /// an applied migration whose file is gone. Never run again.
    case renamed
    /// Applied, with no file, and newer than every file in the folder: the
    /// database is ahead of this code (an older deployment redeployed).
    case ahead
    /// A non-transactional migration that stopped partway.
    case failed
}

/// One migration's status, with what the folder and the table know of it.
public struct MigrationState: Sendable {
    /// What identifies it (see `MigrationFileName.id`).
    public var id: String
    /// The digits of its name.
    public var version: String
    public var name: String
    public var filename: String
    public var status: MigrationStatus
    /// Pending, but older than the newest applied migration.
    public var outOfOrder: Bool
    public var file: MigrationFile?
    public var record: AppliedMigration?

    /// The file's checksum, or the recorded one when the file is missing.
    public var checksum: String? { file?.checksum ?? record?.checksum }
    public var transactional: Bool { file?.transactional ?? record?.transactional ?? true }
}
