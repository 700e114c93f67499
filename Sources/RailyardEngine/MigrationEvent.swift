import RailyardCore

/// Progress of a run, reported as it happens.
public enum MigrationEvent: Sendable {
    case waitingForLock(holder: String?)
    case lockAcquired
    case adoptedLegacy(count: Int)
    case planned([Planner.Step])
    case started(version: String, filename: String)
    case notice(filename: String, message: String)
    case retrying(filename: String, attempt: Int, delayMilliseconds: Int, reason: String)
    case completed(version: String, filename: String, milliseconds: Int, outOfOrder: Bool)
    case skipped(version: String, filename: String, reason: String)
    case failed(MigrationFailure)
    /// The run's outcome, reported while the migration lock is still held.
    case finished(MigrationRunReport)
}

/// The outcome of `migrate`.
public struct MigrationRunReport: Sendable, Codable {
    public enum Status: String, Sendable, Codable { case succeeded, failed }

    public struct Step: Sendable, Codable {
        public enum Status: String, Sendable, Codable { case applied, failed, skipped, pending }
        public var version: String
        public var filename: String
        public var status: Status
        public var durationMs: Int?
        public var outOfOrder: Bool
        public var note: String?

        enum CodingKeys: String, CodingKey {
            case version, filename, status, note
            case durationMs = "duration_ms", outOfOrder = "out_of_order"
        }
    }

    public var status: Status
    public var dryRun: Bool
    public var target: String?
    public var steps: [Step]
    public var failure: MigrationFailure?
    /// Stopped by a `MigrationCancellation` between migrations.
    public var cancelled = false

    enum CodingKeys: String, CodingKey {
        case status, target, steps, failure, cancelled
        case dryRun = "dry_run"
    }

    public var appliedCount: Int { steps.filter { $0.status == .applied }.count }
}
