import FoundationEssentials

/// A run as the API shows it (and as `railyard_runs` stores it).
public struct RunRecord: Sendable, Codable {
    public struct Step: Sendable, Codable {
        public var version: String
        public var filename: String
        public var status: String
        public var durationMs: Int?
        public var error: String?

        enum CodingKeys: String, CodingKey {
            case version, filename, status, error
            case durationMs = "duration_ms"
        }

        public init(version: String, filename: String, status: String, durationMs: Int? = nil, error: String? = nil) {
            self.version = version
            self.filename = filename
            self.status = status
            self.durationMs = durationMs
            self.error = error
        }
    }

    /// Why a run failed; the file fields are set when a migration failed.
    public struct Failure: Sendable, Codable {
        public var kind: String
        public var message: String
        public var version: String?
        public var filename: String?
        public var line: Int?
        public var column: Int?
        public var sqlstate: String?
        public var detail: String?
        public var hint: String?
        public var statementIndex: Int?
        public var statement: String?
        public var waitedFor: String?

        enum CodingKeys: String, CodingKey {
            case kind, message, version, filename, line, column, sqlstate, detail, hint, statement
            case statementIndex = "statement_index", waitedFor = "waited_for"
        }

        public init(kind: String, message: String) {
            self.kind = kind
            self.message = message
        }
    }

    public var id: String
    public var status: String
    public var requestedBy: String?
    public var startedAt: Date
    public var finishedAt: Date?
    public var dryRun: Bool
    public var target: String?
    public var steps: [Step]
    public var error: Failure?

    enum CodingKeys: String, CodingKey {
        case id, status, target, steps, error
        case requestedBy = "requested_by", startedAt = "started_at", finishedAt = "finished_at", dryRun = "dry_run"
    }

    public var isRunning: Bool { status == "running" }

    public init(id: String, status: String, requestedBy: String?, startedAt: Date, finishedAt: Date?,
                dryRun: Bool, target: String?, steps: [Step], error: Failure?) {
        self.id = id
        self.status = status
        self.requestedBy = requestedBy
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.dryRun = dryRun
        self.target = target
        self.steps = steps
        self.error = error
    }
}

public struct RunList: Sendable, Codable {
    public var runs: [RunRecord]

    public init(runs: [RunRecord]) {
        self.runs = runs
    }
}

extension RunRecord {
    /// This run as it ended when the server running it died: failed, its
    /// unfinished step failed, the rest skipped.
    public func interrupted() -> RunRecord {
        var run = self
        run.status = "failed"
        run.error = Failure(kind: "interrupted",
                            message: "the server running this run stopped before it finished; every migration it applied is tracked, the one in progress was rolled back; start a new run to go on")
        run.steps = steps.map { step in
            var step = step
            switch step.status {
            case "running":
                step.status = "failed"
                step.error = "interrupted: rolled back"
            case "pending":
                step.status = "skipped"
            default:
                break
            }
            return step
        }
        return run
    }
}
