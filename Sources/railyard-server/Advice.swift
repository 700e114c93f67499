import RailyardCore
import RailyardEngine

/// What to do about an engine error, in this program's words: its flags,
/// its environment variables, its commands.
enum Advice {
    static func hint(for error: any Error) -> String? {
        guard let error = error as? EngineError else { return nil }
        switch error {
        case .unreachable:
            return "check DATABASE_URL (host, port, sslmode) and that the server is running; `railyard-server wait` tells when it answers"
        case .lockWaitTimedOut:
            return "wait for it to finish, or raise --lock-wait (RAILYARD_LOCK_WAIT)"
        case .connectionPooler:
            return "set DATABASE_URL to the database's direct URL, not the pooler's; a pooler in session mode is allowed with RAILYARD_POOLER=session"
        case .legacyRowsWithoutFiles:
            return "restore the files (their rows would otherwise be forgotten), or pass --allow-changed to import them as missing"
        case .embedded:
            return "or set DATABASE_URL to use a PostgreSQL of your own"
        case .refused(let refusal):
            switch refusal {
            case .changed: return "restore the file and put the change in a new migration; --allow-changed runs anyway"
            case .missing: return "restore the file; --allow-changed runs anyway"
            case .failed: return "fix the cause, then run again with --retry-failed to resume it"
            case .outOfOrder: return "without --strict-order they are applied and flagged out of order"
            case .ahead(_, let pending) where pending.isEmpty: return "without --strict (RAILYARD_STRICT) a database ahead of the folder is reported and the run goes on"
            case .ahead: return "deploy the newer version, or pass --allow-changed to apply the older pending migrations anyway"
            case .resumePointChanged, .unknownTarget: return nil
            }
        default:
            return nil
        }
    }
}
