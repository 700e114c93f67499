import RailyardCore

/// Progress of a run, reported as it happens.
public enum MigrationEvent: Sendable {
    case waitingForLock(holder: String?)
    /// A migration waits for a lock (a table's, or a back-off before its
    /// next attempt); nil when the wait is over.
    case waiting(LockWait?)
    case lockAcquired
    case adoptedLegacy(count: Int)
    /// Applied migrations with no file, newer than every file: the database is ahead of this folder.
    case databaseAhead(filenames: [String])
    /// Pending-looking files that are applied migrations under a new name: not run.
    case renamed([Renaming])
    case planned([Planner.Step])
    case started(version: String, filename: String)
    case notice(filename: String, message: String)
    case retrying(filename: String, attempt: Int, delayMilliseconds: Int, reason: String)
    case completed(version: String, filename: String, milliseconds: Int, outOfOrder: Bool)
    case skipped(version: String, filename: String, reason: String)
    case failed(RunFailure)
    /// The run's outcome, reported while the migration lock is still held.
    case finished(Run)
}

/// A file whose up section was applied under another name.
public struct Renaming: Sendable {
    public var filename: String
    public var id: String
    public var appliedAs: String
}
