import RailyardCore
import RailyardEngine

/// What to do about a run that could not run, in the API's words: the
/// fields of `POST /api/runs`.
enum RunAdvice {
    static func hint(for error: any Error) -> String? {
        guard let error = error as? EngineError else { return nil }
        switch error {
        case .unreachable: return "the server's DATABASE_URL does not reach the database; GET /api/health says when it answers"
        case .lockWaitTimedOut: return "another migrator holds the lock; start the run again when it has finished"
        case .connectionPooler: return "the server's DATABASE_URL goes through a transaction-pooling PgBouncer: give it the database's direct URL"
        case .legacyRowsWithoutFiles: return "restore the files, or start the run with \"allow_changed\": true to import them as missing"
        case .refused(.changed), .refused(.missing): return "restore the file, or start the run with \"allow_changed\": true to run anyway"
        case .refused(.failed): return "fix the cause, then start the run with \"retry_failed\": true to resume it"
        case .refused(.ahead(_, let pending)) where pending.isEmpty: return "the database is ahead of this server's folder; without \"strict\": true the run goes on"
        case .refused(.ahead): return "deploy the newer version, or start the run with \"allow_changed\": true to apply the older pending migrations anyway"
        default: return nil
        }
    }
}
