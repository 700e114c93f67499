import Foundation
import RailyardEngine

/// A run as the API shows it (and as `railyard_runs` stores it).
struct RunRecord: Sendable, Codable {
    struct Step: Sendable, Codable {
        var version: String
        var filename: String
        var status: String
        var durationMs: Int?
        var error: String?

        enum CodingKeys: String, CodingKey {
            case version, filename, status, error
            case durationMs = "duration_ms"
        }
    }

    /// Why a run failed; the file fields are set when a migration failed.
    struct Failure: Sendable, Codable {
        var kind: String
        var message: String
        var version: String?
        var filename: String?
        var line: Int?
        var column: Int?
        var sqlstate: String?
        var detail: String?
        var hint: String?
        var statementIndex: Int?
        var statement: String?
        var waitedFor: String?

        enum CodingKeys: String, CodingKey {
            case kind, message, version, filename, line, column, sqlstate, detail, hint, statement
            case statementIndex = "statement_index", waitedFor = "waited_for"
        }

        init(kind: String, message: String) {
            self.kind = kind
            self.message = message
        }

        init(_ failure: MigrationFailure) {
            kind = "migration_failed"
            message = failure.message
            version = failure.version
            filename = failure.filename
            line = failure.line
            column = failure.column
            sqlstate = failure.sqlstate
            detail = failure.detail
            hint = failure.hint
            statementIndex = failure.statementIndex
            statement = failure.statement
            waitedFor = failure.waitedFor
        }
    }

    var id: String
    var status: String
    var requestedBy: String?
    var startedAt: Date
    var finishedAt: Date?
    var dryRun: Bool
    var target: String?
    var steps: [Step]
    var error: Failure?

    enum CodingKeys: String, CodingKey {
        case id, status, target, steps, error
        case requestedBy = "requested_by", startedAt = "started_at", finishedAt = "finished_at", dryRun = "dry_run"
    }

    var isRunning: Bool { status == "running" }
}

struct RunList: Sendable, Encodable {
    var runs: [RunRecord]
}
