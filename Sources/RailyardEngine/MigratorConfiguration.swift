import Foundation
import RailyardCore

/// How to reach the database and how carefully to migrate it.
public struct MigratorConfiguration: Sendable {
    /// libpq connection string (URI or keyword form).
    public var conninfo: String
    public var directory: URL
    /// Schema of the tracking tables (`RAILYARD_SCHEMA`).
    public var schema: String = "public"
    /// How long to wait for another migrator's lock (`--lock-wait`).
    public var lockWaitSeconds: Double = 300
    /// `lock_timeout` for each migration unless the file sets its own.
    public var lockTimeoutMilliseconds: Int = 10_000
    /// `statement_timeout` for each migration; 0 is off.
    public var statementTimeoutMilliseconds: Int = 0
    /// Retries of a migration that failed on `lock_timeout`.
    public var lockRetries: Int = 3
    /// First delay between lock-timeout retries; it doubles each time.
    public var lockRetryDelayMilliseconds: Int = 1000
    /// Recorded in `applied_by`.
    public var appliedBy: String = MigratorConfiguration.defaultAppliedBy
    public var connectTimeoutSeconds: Int = 10
    /// A dry run is one transaction that holds every lock it takes until it
    /// ends: each statement gets at most this `statement_timeout` (or the
    /// migration's own, when shorter) ...
    public var dryRunStatementTimeoutMilliseconds: Int = 60_000
    /// ... and the whole dry run at most this long.
    public var dryRunTotalMilliseconds: Int = 300_000
    /// Migrate through a connection pooler in session mode (one server
    /// session per client): its session lock holds. Off, a pooler is refused.
    public var allowsSessionPooler = false
    /// Transactional migrations commit without waiting for the WAL flush;
    /// the run ends with one synchronous commit before reporting success.
    public var asynchronousCommits = true
    /// The committed schema file; nil: `schema.sql` next to the migrations folder (dbmate's place).
    public var schemaFile: URL?

    public var schemaFileURL: URL {
        schemaFile ?? directory.standardizedFileURL.deletingLastPathComponent().appendingPathComponent("schema.sql")
    }

    public init(conninfo: String, directory: URL) {
        self.conninfo = conninfo
        self.directory = directory
    }

    public static var defaultAppliedBy: String {
        let user = getenv("USER").map { String(cString: $0) } ?? "railyard"
        return "\(user)@\(ProcessInfo.processInfo.hostName)"
    }

    /// The schema as a quoted SQL identifier.
    var quotedSchema: String { SQLName.quote(schema) }
    var migrationsTable: String { "\(quotedSchema).railyard_migrations" }
    var runsTable: String { "\(quotedSchema).railyard_runs" }
    var runStepsTable: String { "\(quotedSchema).railyard_run_steps" }
    /// Where the old Node scripts' `migrations` table may be: in the tracking
    /// schema, else in `public`, where the scripts created it.
    var legacyTableCandidates: [String] {
        let own = "\(quotedSchema).migrations"
        return schema == "public" ? [own] : [own, "\"public\".migrations"]
    }
}

/// What one `migrate` call should do.
public struct MigrateRequest: Sendable {
    /// The run's id (the API gives it out before the run starts); new when nil.
    public var id: String?
    public var origin = RunOrigin(trigger: .migrate)
    public var target: String?
    public var dryRun = false
    public var allowChanged = false
    public var retryFailed = false
    public var strictOrder = false
    /// Refuse a database ahead of the folder too.
    public var strict = false

    public init(target: String? = nil, dryRun: Bool = false, allowChanged: Bool = false,
                retryFailed: Bool = false, strictOrder: Bool = false, origin: RunOrigin = RunOrigin(trigger: .migrate), id: String? = nil) {
        self.origin = origin
        self.id = id
        self.target = target
        self.dryRun = dryRun
        self.allowChanged = allowChanged
        self.retryFailed = retryFailed
        self.strictOrder = strictOrder
    }

    var plannerOptions: Planner.Options {
        .init(target: target, allowChanged: allowChanged, retryFailed: retryFailed, strictOrder: strictOrder, strict: strict)
    }
}

enum SQLName {
    static func quote(_ identifier: String) -> String {
        "\"" + identifier.split(separator: "\"", omittingEmptySubsequences: false).joined(separator: "\"\"") + "\""
    }
}
