import FoundationEssentials

/// The health answer: `GET /api/health`.
public struct HealthStatus: Sendable, Codable {
    public var status: String
    public var database: String
    public var timestamp: Date
    public var version: String
    public var detail: String?
    /// The folder compared with the tracking table; nil when the database
    /// did not answer or the folder cannot be read.
    public var migrations: Migrations?

    /// What an app may gate on.
    public struct Migrations: Sendable, Codable, Equatable {
        public var upToDate: Bool
        public var pending = 0, failed = 0, changed = 0, missing = 0, ahead = 0, invalid = 0

        enum CodingKeys: String, CodingKey {
            case upToDate = "up_to_date"
            case pending, failed, changed, missing, ahead, invalid
        }

        public init(listing: MigrationListing) {
            let summary = listing.summary
            pending = summary.pending
            failed = summary.failed
            changed = summary.changed
            missing = summary.missing
            ahead = summary.ahead
            invalid = listing.invalidFiles.count
            upToDate = listing.unsettled.isEmpty
        }

        /// "up to date", or the counts that are not zero: "2 pending, 1 failed".
        public var words: String {
            if upToDate { return ahead > 0 ? "migrations up to date (\(ahead) ahead)" : "migrations up to date" }
            let counts = [("pending", pending), ("failed", failed), ("changed", changed), ("missing", missing), ("invalid", invalid)]
                .filter { $0.1 > 0 }.map { "\($0.1) \($0.0)" }
            return "migrations not up to date: " + counts.joined(separator: ", ")
        }
    }

    public var isHealthy: Bool { status == "ok" }

    public init(status: String, database: String, timestamp: Date, version: String, detail: String? = nil,
                migrations: Migrations? = nil) {
        self.status = status
        self.database = database
        self.timestamp = timestamp
        self.version = version
        self.detail = detail
        self.migrations = migrations
    }
}

/// An `application/problem+json` body as clients read it.
public struct ProblemDetails: Sendable, Codable {
    public var type: String?
    public var title: String?
    public var status: Int?
    public var detail: String?
    public var activeRun: String?

    enum CodingKeys: String, CodingKey {
        case type, title, status, detail
        case activeRun = "active_run"
    }
}
