import FoundationEssentials

/// A run's words, one place for all of them: the engine reports a `Run`,
/// `railyard_runs` stores it, the API sends it as JSON, the CLI reads it.
/// The raw values are the wire names.
public enum RunStatus: String, Sendable, Codable, CaseIterable {
    case running, succeeded, failed, cancelled

    public var isFinished: Bool { self != .running }
}

public enum StepStatus: String, Sendable, Codable, CaseIterable {
    case pending, running, applied, failed, skipped

    public var isFinished: Bool { self == .applied || self == .failed || self == .skipped }
}

/// What started a run.
public enum RunTrigger: String, Sendable, Codable, CaseIterable {
    /// `railyard-server migrate`: Railway's pre-deploy command, or by hand.
    case migrate
    /// `railyard-server serve --migrate-on-start` (the image's default command).
    case migrateOnStart = "migrate-on-start"
    case setup
    /// `POST /api/runs`.
    case api
    case repair
}

/// Why a run failed; the file fields are set when a migration failed.
public enum FailureKind: String, Sendable, Codable, CaseIterable {
    case migrationFailed = "migration_failed"
    case cancelled
    case interrupted
    case refused
    case invalidMigrations = "invalid_migrations"
    case unreachable
    case lockWaitTimeout = "lock_wait_timeout"
    case database
    case directory
    case embeddedDatabase = "embedded_database"
    case configuration
    case connectionPooler = "connection_pooler"
    case legacyRowsWithoutFiles = "legacy_rows_without_files"
    case noSchemaFile = "no_schema_file"
    case verificationFailed = "verification_failed"
    case error
}

/// One failure type, from the engine to the CLI.
public struct RunFailure: Sendable, Codable, Equatable, CustomStringConvertible {
    public var kind: FailureKind
    public var message: String
    public var version: String?
    public var filename: String?
    public var line: Int?
    public var column: Int?
    public var sqlstate: String?
    public var detail: String?
    public var hint: String?
    /// 0-based index of the statement that failed, among the up statements.
    public var statementIndex: Int?
    /// The start of the failing statement's text.
    public var statement: String?
    /// For lock timeouts: the lock waited for and who held it.
    public var waitedFor: String?

    enum CodingKeys: String, CodingKey {
        case kind, message, version, filename, line, column, sqlstate, detail, hint, statement
        case statementIndex = "statement_index", waitedFor = "waited_for"
    }

    public init(kind: FailureKind, message: String) {
        self.kind = kind
        self.message = message
    }

    /// `file:line:column: ERROR sqlstate: message`, then DETAIL, HINT, WAITED FOR, STATEMENT lines.
    public var description: String {
        var text = ""
        if let filename, let line, let column { text += "\(filename):\(line):\(column): " }
        if let sqlstate { text += "ERROR \(sqlstate): " }
        text += message
        if let detail { text += "\n  DETAIL: \(detail)" }
        if let hint { text += "\n  HINT: \(hint)" }
        if let waitedFor { text += "\n  WAITED FOR: \(waitedFor)" }
        if let statement { text += "\n  STATEMENT: \(statement)" }
        return text
    }
}

/// What a run is waiting for, while it waits.
public struct LockWait: Sendable, Codable, Equatable {
    public enum Kind: String, Sendable, Codable {
        /// Another migrator holds the migration lock.
        case migrationLock = "migration_lock"
        /// A migration's statement waits for a table (or other) lock.
        case tableLock = "table_lock"
        /// A migration gave up on `lock_timeout` and waits to try again.
        case retryBackoff = "retry_backoff"
    }

    public var kind: Kind
    /// The migration waiting, for table locks and back-offs.
    public var filename: String?
    public var holderPID: Int?
    /// Who holds it, in words (application, state, last query).
    public var holder: String?
    public var attempt: Int?
    public var attempts: Int?
    public var since: Date

    enum CodingKeys: String, CodingKey {
        case kind, filename, holder, attempt, attempts, since
        case holderPID = "holder_pid"
    }

    public init(kind: Kind, filename: String? = nil, holderPID: Int? = nil, holder: String? = nil,
                attempt: Int? = nil, attempts: Int? = nil, since: Date = Date()) {
        self.kind = kind
        self.filename = filename
        self.holderPID = holderPID
        self.holder = holder
        self.attempt = attempt
        self.attempts = attempts
        self.since = since
    }
}

extension LockWait {
    /// The wait in words, as the CLI and the event stream's log say it.
    public var summary: String {
        let holder = holder.map { " (\($0))" } ?? ""
        switch kind {
        case .migrationLock:
            return "waiting for the migration lock" + holder
        case .tableLock:
            return "\(filename ?? "a migration") waits for \(self.holder ?? "a lock") (attempt \(attempt ?? 1) of \(attempts ?? 1))"
        case .retryBackoff:
            return "\(filename ?? "a migration") timed out on a lock; attempt \(attempt ?? 2) of \(attempts ?? 2) follows" + holder
        }
    }
}

public struct RunStep: Sendable, Codable, Equatable {
    public var version: String
    public var filename: String
    public var status: StepStatus
    public var durationMs: Int?
    public var outOfOrder: Bool
    /// Why it failed or was skipped.
    public var error: String?
    /// Anything else worth saying ("rolled back (dry run)").
    public var note: String?
    /// What the server said while it ran (NOTICEs, WARNINGs), while its
    /// server keeps it in memory.
    public var notices: [String]?

    enum CodingKeys: String, CodingKey {
        case version, filename, status, error, note, notices
        case durationMs = "duration_ms", outOfOrder = "out_of_order"
    }

    public init(version: String, filename: String, status: StepStatus, durationMs: Int? = nil,
                outOfOrder: Bool = false, error: String? = nil, note: String? = nil) {
        self.version = version
        self.filename = filename
        self.status = status
        self.durationMs = durationMs
        self.outOfOrder = outOfOrder
        self.error = error
        self.note = note
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        version = try container.decode(String.self, forKey: .version)
        filename = try container.decode(String.self, forKey: .filename)
        status = try container.decode(StepStatus.self, forKey: .status)
        durationMs = try container.decodeIfPresent(Int.self, forKey: .durationMs)
        outOfOrder = try container.decodeIfPresent(Bool.self, forKey: .outOfOrder) ?? false
        error = try container.decodeIfPresent(String.self, forKey: .error)
        note = try container.decodeIfPresent(String.self, forKey: .note)
        notices = try container.decodeIfPresent([String].self, forKey: .notices)
    }
}

/// Who started a run and where.
public struct RunOrigin: Sendable, Codable, Equatable {
    public var trigger: RunTrigger
    /// The token's role for the API; the OS user for commands.
    public var requestedBy: String?
    public var host: String?
    /// `RAILWAY_DEPLOYMENT_ID` and `RAILWAY_GIT_COMMIT_SHA`, when set.
    public var deploymentID: String?
    public var commitSHA: String?

    public init(trigger: RunTrigger, requestedBy: String? = nil, host: String? = nil,
                deploymentID: String? = nil, commitSHA: String? = nil) {
        self.trigger = trigger
        self.requestedBy = requestedBy
        self.host = host
        self.deploymentID = deploymentID
        self.commitSHA = commitSHA
    }
}

/// A run: the engine's report, a row of `railyard_runs`, the API's JSON.
public struct Run: Sendable, Codable {
    public var id: String
    public var status: RunStatus
    public var origin: RunOrigin
    public var startedAt: Date
    public var finishedAt: Date?
    public var dryRun: Bool
    public var target: String?
    public var steps: [RunStep]
    public var error: RunFailure?
    public var cancelledBy: String?
    /// Set while the run waits for a lock.
    public var wait: LockWait?

    enum CodingKeys: String, CodingKey {
        case id, status, trigger, host, target, steps, error, wait
        case requestedBy = "requested_by", deploymentID = "deployment_id", commitSHA = "commit_sha"
        case startedAt = "started_at", finishedAt = "finished_at", dryRun = "dry_run", cancelledBy = "cancelled_by"
    }

    public init(id: String = Run.newID(), status: RunStatus = .running, origin: RunOrigin, startedAt: Date = Date(),
                finishedAt: Date? = nil, dryRun: Bool = false, target: String? = nil, steps: [RunStep] = [],
                error: RunFailure? = nil, cancelledBy: String? = nil, wait: LockWait? = nil) {
        self.id = id
        self.status = status
        self.origin = origin
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.dryRun = dryRun
        self.target = target
        self.steps = steps
        self.error = error
        self.cancelledBy = cancelledBy
        self.wait = wait
    }

    public static func newID() -> String { UUID().uuidString.lowercased() }

    public var appliedCount: Int { steps.filter { $0.status == .applied }.count }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decode(String.self, forKey: .id)
        status = try container.decode(RunStatus.self, forKey: .status)
        origin = RunOrigin(trigger: try container.decodeIfPresent(RunTrigger.self, forKey: .trigger) ?? .api,
                           requestedBy: try container.decodeIfPresent(String.self, forKey: .requestedBy),
                           host: try container.decodeIfPresent(String.self, forKey: .host),
                           deploymentID: try container.decodeIfPresent(String.self, forKey: .deploymentID),
                           commitSHA: try container.decodeIfPresent(String.self, forKey: .commitSHA))
        startedAt = try container.decode(Date.self, forKey: .startedAt)
        finishedAt = try container.decodeIfPresent(Date.self, forKey: .finishedAt)
        dryRun = try container.decodeIfPresent(Bool.self, forKey: .dryRun) ?? false
        target = try container.decodeIfPresent(String.self, forKey: .target)
        steps = try container.decodeIfPresent([RunStep].self, forKey: .steps) ?? []
        error = try container.decodeIfPresent(RunFailure.self, forKey: .error)
        cancelledBy = try container.decodeIfPresent(String.self, forKey: .cancelledBy)
        wait = try container.decodeIfPresent(LockWait.self, forKey: .wait)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(status, forKey: .status)
        try container.encode(origin.trigger, forKey: .trigger)
        try container.encodeIfPresent(origin.requestedBy, forKey: .requestedBy)
        try container.encodeIfPresent(origin.host, forKey: .host)
        try container.encodeIfPresent(origin.deploymentID, forKey: .deploymentID)
        try container.encodeIfPresent(origin.commitSHA, forKey: .commitSHA)
        try container.encode(startedAt, forKey: .startedAt)
        try container.encodeIfPresent(finishedAt, forKey: .finishedAt)
        try container.encode(dryRun, forKey: .dryRun)
        try container.encodeIfPresent(target, forKey: .target)
        try container.encode(steps, forKey: .steps)
        try container.encodeIfPresent(error, forKey: .error)
        try container.encodeIfPresent(cancelledBy, forKey: .cancelledBy)
        try container.encodeIfPresent(wait, forKey: .wait)
    }
}

extension Run {
    /// This run as it ended when the process running it died: failed, its
    /// unfinished step failed, the rest skipped.
    public func interrupted() -> Run {
        var run = self
        run.status = .failed
        run.wait = nil
        run.error = RunFailure(kind: .interrupted,
                               message: "the process running this run stopped before it finished; every migration it applied is tracked, the one in progress was rolled back; start a new run to go on")
        run.steps = steps.map { step in
            var step = step
            switch step.status {
            case .running:
                step.status = .failed
                step.error = "interrupted: rolled back"
            case .pending:
                step.status = .skipped
            default:
                break
            }
            return step
        }
        return run
    }

    /// While running, the first unfinished step is the one in progress.
    public func withRunningStepMarked() -> Run {
        guard status == .running, let index = steps.firstIndex(where: { !$0.status.isFinished }) else { return self }
        var run = self
        run.steps[index].status = .running
        return run
    }
}
