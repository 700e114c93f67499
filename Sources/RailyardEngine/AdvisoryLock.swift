import Foundation
import PostgresClient

/// The session-level advisory lock that serializes every migrator of one
/// database and schema. It is taken by polling `pg_try_advisory_lock` until a
/// deadline, so no blocking lock request is ever left behind, and it lives on
/// the migrating connection itself (`CREATE INDEX CONCURRENTLY` would wait on
/// a transaction-level lock held by the migrator's own transaction).
public struct AdvisoryLock {
    let connection: PostgresConnection
    let schema: String
    var allowsSessionPooler = false

    private static let keyExpression = "hashtextextended('railyard_migrations:' || $1, 0)"

    /// Waits up to `seconds`; `onWait` is called once if the lock is busy.
    /// `firstAttempt` is the row of a `tryLockQuery` already run on this
    /// connection, which counts as the first try.
    func acquire(waitingUpTo seconds: Double, cancellation: MigrationCancellation?, firstAttempt: [String?]? = nil,
                 onWait: (String?) -> Void) throws {
        let deadline = Date().addingTimeInterval(seconds)
        var delay = 0.05
        var announced = false
        var given = firstAttempt
        while true {
            if let row = given {
                given = nil
                if try taken(row) { return }
            } else if try tryLock() {
                return
            }
            let holder = try? holderDescription()
            if !announced {
                onWait(holder)
                announced = true
            }
            if cancellation?.isCancelled == true { throw EngineError.cancelled }
            if Date() >= deadline {
                throw EngineError.lockWaitTimedOut(seconds: seconds, holder: holder)
            }
            Thread.sleep(forTimeInterval: min(delay * Double.random(in: 0.5...1.5), max(0, deadline.timeIntervalSinceNow)))
            delay = min(delay * 1.5, 0.5)
        }
    }

    func release() {
        let (sql, parameters) = releaseQuery
        _ = try? connection.execute(sql, parameters)
    }

    var releaseQuery: (sql: String, parameters: [String?]) {
        ("SELECT pg_advisory_unlock(\(Self.keyExpression))", [schema])
    }

    /// Takes the lock if it is free; its row goes to `taken(_:)`.
    var tryLockQuery: (sql: String, parameters: [String?]) {
        ("SELECT pg_try_advisory_lock(\(Self.keyExpression)), pg_backend_pid()", [schema])
    }

    private func tryLock() throws -> Bool {
        let (sql, parameters) = tryLockQuery
        do {
            return try taken(connection.execute(sql, parameters).rows.first ?? [])
        } catch let error as PostgresError {
            throw EngineError.database(context: "taking the migration lock", error)
        }
    }

    /// Whether a `tryLockQuery` row took the lock, once checked that this
    /// client talks to the server session it started: behind a pooler the
    /// pid libpq was given is the pooler's, not the server's.
    private func taken(_ row: [String?]) throws -> Bool {
        let serverPID = row.count > 1 ? row[1].flatMap { Int32($0) } ?? 0 : 0
        if serverPID != connection.backendPID && !allowsSessionPooler {
            if row.first == "t" { release() }
            throw EngineError.connectionPooler(clientPID: connection.backendPID, serverPID: serverPID)
        }
        return row.first == "t"
    }

    /// The granted `pg_locks` row `l` of the lock whose key is `k.key`.
    private static let grantedLockCondition = """
        l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
          AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
          AND l.classid::bigint = ((k.key >> 32) & 4294967295)
          AND l.objid::bigint = (k.key & 4294967295)
        """

    /// The pid of the session holding the migration lock of the schema in `$1`.
    static let holderPIDQuery = """
        SELECT l.pid FROM (SELECT \(keyExpression) AS key) k, pg_locks l WHERE \(grantedLockCondition)
        """

    /// Whether any session holds the migration lock of `schema`.
    public static func isHeld(schema: String, on connection: PostgresConnection) throws -> Bool {
        try connection.execute("""
            WITH k AS (SELECT \(Self.keyExpression) AS key)
            SELECT EXISTS (SELECT 1 FROM k, pg_locks l WHERE \(grantedLockCondition))
            """, [schema]).scalar == "t"
    }

    /// Who holds the lock, for messages.
    private func holderDescription() throws -> String? {
        let result = try connection.execute("""
            WITH k AS (SELECT \(Self.keyExpression) AS key)
            SELECT a.pid, a.application_name, a.usename, EXTRACT(EPOCH FROM now() - a.backend_start)::bigint
            FROM k, pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
            WHERE \(Self.grantedLockCondition)
            LIMIT 1
            """, [schema])
        guard let row = result.rows.first else { return nil }
        let application = row[1].flatMap { $0.isEmpty ? nil : $0 } ?? "unknown application"
        return "held by pid \(row[0] ?? "?") (\(application), user \(row[2] ?? "?"), connected \(row[3] ?? "?") s ago)"
    }
}
