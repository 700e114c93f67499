import Foundation
import PostgresClient

/// Watches, from a second connection, whether the migrating backend is
/// waiting for a lock, so that a `lock_timeout` failure can say what it
/// waited for and who held it. The connection opens only when a migration
/// runs long enough to be worth a look.
final class LockWatcher: @unchecked Sendable {
    private let conninfo: String
    private let watchedPID: Int32
    private let state = NSCondition()
    private var watching = false
    private var watchStarted = Date()
    private var finished = false
    private var lastSeen: String?
    private var connection: PostgresConnection?
    private var thread: Thread?

    static let firstLook: TimeInterval = 0.2
    static let interval: TimeInterval = 0.25

    init(conninfo: String, watchedPID: Int32) {
        self.conninfo = conninfo
        self.watchedPID = watchedPID
    }

    /// Starts (or restarts) watching, forgetting anything seen before.
    func begin() {
        state.lock()
        defer { state.unlock() }
        watching = true
        watchStarted = Date()
        lastSeen = nil
        if thread == nil {
            let thread = Thread { [weak self] in self?.loop() }
            thread.name = "railyard-lock-watcher"
            self.thread = thread
            thread.start()
        }
        state.signal()
    }

    /// Stops watching; returns the last lock wait seen since `begin`.
    @discardableResult
    func end() -> String? {
        state.lock()
        defer { state.unlock() }
        watching = false
        return lastSeen
    }

    /// Ends the thread and closes its connection.
    func shutdown() {
        state.lock()
        finished = true
        watching = false
        state.signal()
        state.unlock()
    }

    private func loop() {
        while true {
            state.lock()
            while !finished && !watching { state.wait() }
            if finished {
                state.unlock()
                connection?.close()
                return
            }
            let due = watchStarted.addingTimeInterval(Self.firstLook)
            state.unlock()
            let pause = max(due.timeIntervalSinceNow, Self.interval)
            Thread.sleep(forTimeInterval: pause)
            guard let seen = look() else { continue }
            state.lock()
            if watching { lastSeen = seen }
            state.unlock()
        }
    }

    /// The lock the backend waits for now, described; nil when it waits for none.
    private func look() -> String? {
        do {
            if connection == nil || connection?.isConnected == false {
                connection = try PostgresConnection(conninfo: conninfo, connectTimeout: 3, applicationName: "railyard-lock-watcher")
            }
            guard let connection else { return nil }
            let result = try connection.execute("""
                SELECT w.mode, w.locktype, COALESCE(w.relation::regclass::text, ''),
                       b.pid, COALESCE(b.application_name, ''), COALESCE(b.state, ''),
                       COALESCE(EXTRACT(EPOCH FROM now() - b.xact_start)::bigint::text, ''),
                       COALESCE(left(regexp_replace(b.query, '\\s+', ' ', 'g'), 120), '')
                FROM pg_locks w
                LEFT JOIN LATERAL unnest(pg_blocking_pids(w.pid)) AS blocker(pid) ON true
                LEFT JOIN pg_stat_activity b ON b.pid = blocker.pid
                WHERE w.pid = $1 AND NOT w.granted
                LIMIT 1
                """, [String(watchedPID)])
            guard let row = result.rows.first else { return nil }
            let mode = row[0] ?? "a lock", kind = row[1] ?? "", relation = row[2] ?? ""
            var text = relation.isEmpty ? "\(mode) (\(kind))" : "\(mode) on \(relation)"
            if let pid = row[3] {
                text += ", held by pid \(pid)"
                var facts: [String] = []
                if let app = row[4], !app.isEmpty { facts.append("application \(app)") }
                if let status = row[5], !status.isEmpty { facts.append(status) }
                if let age = row[6], !age.isEmpty { facts.append("transaction open \(age) s") }
                if let query = row[7], !query.isEmpty { facts.append("last query: \(query)") }
                if !facts.isEmpty { text += " (" + facts.joined(separator: ", ") + ")" }
            }
            return text
        } catch {
            connection = nil
            return nil
        }
    }
}
