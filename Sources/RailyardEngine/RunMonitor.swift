import Foundation
import RailyardCore
import PostgresClient

/// Watches a run from a second connection: whether its migration waits for
/// a lock (so the wait is visible while it lasts, and a `lock_timeout`
/// failure can say what it waited for and who held it), and whether anyone
/// asked, through `railyard_runs`, to cancel it. The connection opens only
/// once the run lasts long enough to be worth a look.
final class RunMonitor: @unchecked Sendable {  // its state is guarded by `state`; `connection` is the monitor thread's alone
    private let conninfo: String
    private let watchedPID: Int32
    private let journal: RunJournal
    private let cancellation: MigrationCancellation
    private let onWait: (LockWait?) -> Void
    private let state = NSCondition()
    private var runID: String?
    private var followedSince = Date()
    /// The migrations watched: one, or a batch whose steps start at `firstPosition`.
    private typealias Watched = (filenames: [String], firstPosition: Int?, attempt: Int, attempts: Int, since: Date)
    private var watching: Watched?
    private var finished = false
    private var lastSeen: (description: String, holderPID: Int?, filename: String)?
    /// The durations of the watched batch's migrations committed so far, as its steps say.
    private var committed: [Int] = []
    private var published: LockWait?
    private var pending: [LockWait?] = []
    private var connection: PostgresConnection?
    private var thread: Thread?

    static let firstLook: TimeInterval = 0.2
    static let interval: TimeInterval = 0.25

    init(conninfo: String, watchedPID: Int32, journal: RunJournal, cancellation: MigrationCancellation,
         onWait: @escaping (LockWait?) -> Void) {
        self.conninfo = conninfo
        self.watchedPID = watchedPID
        self.journal = journal
        self.cancellation = cancellation
        self.onWait = onWait
    }

    /// From now on, cancel requests recorded for `id` reach this run.
    func follow(runID id: String) {
        state.lock()
        runID = id
        followedSince = Date()
        startThread()
        state.signal()
        state.unlock()
    }

    /// Starts watching a migration (attempt `attempt` of `attempts`), forgetting anything seen before.
    func begin(filename: String, attempt: Int, attempts: Int) {
        watch(([filename], nil, attempt, attempts, Date()))
    }

    /// Starts watching a batch sent as one message, whose results come
    /// only at its end: which migration waits is read from the run's steps
    /// (`firstPosition` on) as they commit. A wait that ends is unpublished
    /// at once, since the batch goes on.
    func begin(batch filenames: [String], firstPosition: Int, attempts: Int) {
        watch((filenames, firstPosition, 1, attempts, Date()))
    }

    private func watch(_ migrations: Watched) {
        state.lock()
        watching = migrations
        lastSeen = nil
        committed = []
        startThread()
        state.signal()
        state.unlock()
    }

    /// Stops watching; returns the last lock wait seen since `begin`.
    @discardableResult
    func end() -> String? {
        endBatch()?.description
    }

    /// Stops watching; returns the last lock wait seen since `begin` and the migration that waited.
    @discardableResult
    func endBatch() -> (filename: String, description: String)? {
        state.lock()
        defer { state.unlock() }
        watching = nil
        if published != nil { publishLocked(nil) }
        return lastSeen.map { ($0.filename, $0.description) }
    }

    /// The durations of the watched batch's migrations seen committed, in order (read each `interval`).
    func committedInBatch() -> [Int] {
        state.lock()
        defer { state.unlock() }
        return committed
    }

    /// Says what the run waits for now (a back-off), or that it waits no more.
    func publish(_ wait: LockWait?) {
        state.lock()
        publishLocked(wait)
        state.unlock()
    }

    /// Ends the thread and closes its connection.
    func shutdown() {
        state.lock()
        finished = true
        watching = nil
        state.signal()
        state.unlock()
    }

    private func publishLocked(_ wait: LockWait?) {
        published = wait
        pending.append(wait)
        onWait(wait)
        startThread()
        state.signal()
    }

    private func startThread() {
        guard thread == nil else { return }
        let thread = Thread { [weak self] in self?.loop() }
        thread.name = "railyard-run-monitor"
        self.thread = thread
        thread.start()
    }

    private func loop() {
        var lastCancelPoll = Date.distantPast
        var lastLook = Date.distantPast
        while true {
            state.lock()
            while !finished && watching == nil && runID == nil && pending.isEmpty { state.wait() }
            if finished {
                state.unlock()
                connection?.close()
                return
            }
            var wake = Date().addingTimeInterval(Self.interval)
            if let watching { wake = max(watching.since.addingTimeInterval(Self.firstLook), lastLook.addingTimeInterval(Self.interval)) }
            if runID != nil { wake = min(wake, max(followedSince.addingTimeInterval(Self.interval), lastCancelPoll.addingTimeInterval(Self.interval))) }
            if pending.isEmpty { _ = state.wait(until: wake) }
            let writes = pending
            pending.removeAll()
            let migration = watching
            let run = runID
            let pollCancel = run != nil && Date() >= followedSince.addingTimeInterval(Self.interval)
                && Date() >= lastCancelPoll.addingTimeInterval(Self.interval)
            state.unlock()

            if let run {
                for wait in writes { try? journal.recordWait(wait, runID: run, on: live()) }
            }
            if pollCancel, let run {
                lastCancelPoll = Date()
                if let who = try? journal.cancelRequest(runID: run, on: live()) { cancellation.cancel(by: who) }
            }
            guard let migration, Date() >= migration.since.addingTimeInterval(Self.firstLook),
                  Date() >= lastLook.addingTimeInterval(Self.interval) else { continue }
            lastLook = Date()
            let filename = readProgress(of: migration, run: run)
            if let sighting = look() {
                guard let seen = sighting else {
                    if migration.firstPosition != nil { unpublishEndedWait(since: migration.since) }
                    continue
                }
                state.lock()
                let stillSame = watching?.since == migration.since
                // A look as the wait ends can still see the request but no longer
                // its holder: the holder seen earlier in this wait says more.
                let losesHolder = seen.holderPID == nil && lastSeen?.holderPID != nil && lastSeen?.filename == filename
                if stillSame && !losesHolder {
                    lastSeen = (seen.description, seen.holderPID, filename)
                    let wait = LockWait(kind: .tableLock, filename: filename, holderPID: seen.holderPID,
                                        holder: seen.description, attempt: migration.attempt, attempts: migration.attempts)
                    if published?.holderPID != wait.holderPID || published?.kind != .tableLock || published?.attempt != wait.attempt
                        || published?.filename != wait.filename {
                        publishLocked(wait)
                    }
                }
                state.unlock()
            }
        }
    }

    /// Reads which of a batch's migrations have committed (kept for
    /// `committedInBatch`); returns the one running now, the first not committed.
    private func readProgress(of migration: Watched, run: String?) -> String {
        guard migration.filenames.count > 1, let first = migration.firstPosition, let run,
              let durations = try? journal.appliedStepDurations(runID: run, from: first, count: migration.filenames.count, on: live())
        else { return migration.filenames[0] }
        state.lock()
        if watching?.since == migration.since { committed = durations }
        state.unlock()
        return migration.filenames[min(durations.count, migration.filenames.count - 1)]
    }

    private func unpublishEndedWait(since: Date) {
        state.lock()
        if watching?.since == since, published?.kind == .tableLock { publishLocked(nil) }
        state.unlock()
    }

    private func live() throws -> PostgresConnection {
        if let connection, connection.isConnected { return connection }
        let opened = try PostgresConnection(conninfo: conninfo, connectTimeout: 3, applicationName: "railyard-run-monitor")
        connection = opened
        return opened
    }

    /// The lock the backend waits for now, described (nil inside when it
    /// waits for none); nil when the monitor could not look.
    private func look() -> (description: String, holderPID: Int?)?? {
        do {
            let result = try live().execute("""
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
            guard let row = result.rows.first else { return .some(nil) }
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
            return (text, row[3].flatMap { Int($0) })
        } catch {
            connection = nil
            return nil
        }
    }
}
