import RailyardCore
import PostgresClient

/// Everything that stops the engine, each saying where and why.
public enum EngineError: Error, Sendable, CustomStringConvertible {
    /// The migrations folder cannot be read.
    case directory(String)
    /// Files with errors: nothing was run.
    case invalidMigrations([Diagnostic])
    /// The folder and the tracking table disagree: nothing was run.
    case refused(Planner.Refusal)
    /// The database could not be reached.
    case unreachable(PostgresError)
    /// Another migrator held the lock past `--lock-wait`.
    case lockWaitTimedOut(seconds: Double, holder: String?)
    /// A query of Railyard's own failed.
    case database(context: String, PostgresError)
    /// The embedded PostgreSQL could not be started or used.
    case embedded(String)
    /// A setting has a bad value.
    case configuration(String)
    /// The run was stopped before it took the lock.
    case cancelled
    /// The connection goes through a pooler that may hand each transaction
    /// to another server session: a session lock would not serialize anything.
    case connectionPooler(clientPID: Int32, serverPID: Int32)
    /// Rows of the old scripts' `migrations` table that name no file here.
    case legacyRowsWithoutFiles(table: String, filenames: [String])
    /// There is no committed schema file to compare with.
    case noSchemaFile(String)
    /// `verify` found problems in the migrations.
    case verificationFailed(count: Int)

    /// The kind of failure, as runs and JSON name it.
    public var kind: FailureKind {
        switch self {
        case .directory: .directory
        case .invalidMigrations: .invalidMigrations
        case .refused: .refused
        case .unreachable: .unreachable
        case .lockWaitTimedOut: .lockWaitTimeout
        case .database: .database
        case .embedded: .embeddedDatabase
        case .configuration: .configuration
        case .cancelled: .cancelled
        case .connectionPooler: .connectionPooler
        case .legacyRowsWithoutFiles: .legacyRowsWithoutFiles
        case .noSchemaFile: .noSchemaFile
        case .verificationFailed: .verificationFailed
        }
    }

    public var description: String {
        switch self {
        case .directory(let message):
            return message
        case .invalidMigrations(let diagnostics):
            let errors = diagnostics.errors
            return "\(errors.count) problem\(errors.count == 1 ? "" : "s") in migration files; nothing was run:\n"
                + errors.map(\.description).joined(separator: "\n")
        case .refused(let refusal):
            return "refusing to migrate: \(refusal)"
        case .unreachable(let error):
            return "cannot connect to the database: \(error.message)"
        case .lockWaitTimedOut(let seconds, let holder):
            return "another migrator held the migration lock for more than \(Int(seconds)) s"
                + (holder.map { " (\($0))" } ?? "")
        case .database(let context, let error):
            return "\(context): \(error)"
        case .embedded(let message):
            return "embedded PostgreSQL: \(message)"
        case .configuration(let message):
            return message
        case .cancelled:
            return "the run was stopped before it started migrating"
        case .connectionPooler(let clientPID, let serverPID):
            return "the connection goes through a connection pooler (the session said pid \(clientPID), the server runs it as pid \(serverPID)): "
                + "in transaction pooling, as Railway's PgBouncer template uses, the migration lock is not held and two migrators could both run"
        case .legacyRowsWithoutFiles(let table, let filenames):
            return "the legacy table \(table) lists \(filenames.count) migration\(filenames.count == 1 ? "" : "s") with no file here: "
                + filenames.joined(separator: ", ")
        case .noSchemaFile(let path):
            return "there is no schema file at \(path) to compare with"
        case .verificationFailed(let count):
            return "verify found \(count) problem\(count == 1 ? "" : "s") in the migrations"
        }
    }
}
