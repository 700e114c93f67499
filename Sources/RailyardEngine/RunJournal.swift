import Foundation
import RailyardCore
import PostgresClient

/// Run history in the database: `railyard_runs` (one row per run) and
/// `railyard_run_steps` (one row per migration of a run). Every entry
/// point's run is written here by the engine, so any replica sees it:
/// started once planned, each step applied in the migration's own
/// transaction, the end together with the synchronous commit that makes
/// the run durable.
public struct RunJournal: Sendable {
    let configuration: MigratorConfiguration

    public init(configuration: MigratorConfiguration) {
        self.configuration = configuration
    }

    var runsTable: String { configuration.runsTable }
    var stepsTable: String { configuration.runStepsTable }

    static let timestamp = #"to_char(%@ AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')"#

    // MARK: Writing (on the migrating connection, holding the migration lock)

    /// Inserts the run and its pending steps in one statement.
    func recordStarted(_ run: Run, on connection: PostgresConnection) throws {
        let (sql, parameters) = startedQuery(run)
        try execute("recording the run", sql, parameters, on: connection)
    }

    private func startedQuery(_ run: Run) -> (sql: String, parameters: [String?]) {
        let steps = run.steps
        return ("""
            WITH run AS (
                INSERT INTO \(runsTable) (id, status, trigger, requested_by, host, deployment_id, commit_sha, pid, started_at, dry_run, target)
                VALUES ($1, $2, $3, $4, $5, $6, $7, pg_backend_pid(), $8::timestamptz, $9::boolean, $10)
                ON CONFLICT (id) DO UPDATE SET status = EXCLUDED.status, pid = EXCLUDED.pid
            )
            INSERT INTO \(stepsTable) (run_id, position, version, filename, status, out_of_order, error, note)
            SELECT $1, s.position - 1, s.version, s.filename, s.status, s.out_of_order, s.error, s.note
            FROM unnest($11::text[], $12::text[], $13::text[], $14::boolean[], $15::text[], $16::text[])
                 WITH ORDINALITY AS s(version, filename, status, out_of_order, error, note, position)
            ON CONFLICT (run_id, position) DO UPDATE SET status = EXCLUDED.status, error = EXCLUDED.error, note = EXCLUDED.note
            """, [run.id, run.status.rawValue, run.origin.trigger.rawValue, run.origin.requestedBy, run.origin.host,
                  run.origin.deploymentID, run.origin.commitSHA, UTCTimestamp.format(run.startedAt),
                  run.dryRun ? "true" : "false", run.target,
                  ArrayLiteral.text(steps.map(\.version)), ArrayLiteral.text(steps.map(\.filename)),
                  ArrayLiteral.text(steps.map(\.status.rawValue)), ArrayLiteral.text(steps.map { $0.outOfOrder ? "t" : "f" }),
                  ArrayLiteral.text(steps.map(\.error)), ArrayLiteral.text(steps.map(\.note))])
    }

    /// A run that had nothing to do (no steps), from its start to its end,
    /// in one statement, followed in the same round trip by `then` (the
    /// lock's release); true when `then` ran. The session commits
    /// synchronously, as every run's end does, so the commit flushes the
    /// commits the run found: "up to date" means durable.
    func recordNothingToDo(_ run: Run, then trailing: [(sql: String, parameters: [String?])],
                           on connection: PostgresConnection) throws -> Bool {
        let record: (sql: String, parameters: [String?]) = ("""
            INSERT INTO \(runsTable) (id, status, trigger, requested_by, host, deployment_id, commit_sha, pid, started_at, finished_at,
                                     dry_run, target)
            VALUES ($1, $2, $3, $4, $5, $6, $7, pg_backend_pid(), $8::timestamptz, $9::timestamptz, $10::boolean, $11)
            ON CONFLICT (id) DO UPDATE SET status = EXCLUDED.status, pid = EXCLUDED.pid, finished_at = EXCLUDED.finished_at
            """, [run.id, run.status.rawValue, run.origin.trigger.rawValue, run.origin.requestedBy, run.origin.host,
                  run.origin.deploymentID, run.origin.commitSHA, UTCTimestamp.format(run.startedAt),
                  UTCTimestamp.format(run.finishedAt ?? Date()), run.dryRun ? "true" : "false", run.target])
        let queries = [record] + trailing
        let failure: (index: Int, error: PostgresError)?
        do {
            failure = try connection.pipeline(queries)
        } catch {
            throw EngineError.database(context: "recording the run", error)
        }
        guard let failure, failure.index == 0 else { return failure == nil }
        throw EngineError.database(context: "recording the run", failure.error)
    }

    /// The statement that marks step `position` applied, run inside the
    /// migration's transaction: the step is applied exactly when the migration is.
    /// Its parameters are numbered from `firstParameter` on, to share a statement.
    func stepAppliedQuery(runID: String, position: Int, firstParameter: Int = 1) -> (sql: String, parameters: [String?]) {
        ("""
            UPDATE \(stepsTable) SET status = 'applied', duration_ms = \(TransactionClock.elapsedMilliseconds)
            WHERE run_id = $\(firstParameter) AND position = $\(firstParameter + 1)
            """, stepAppliedParameters(runID: runID, position: position))
    }

    /// `stepAppliedQuery`'s parameters alone, for its prepared statement.
    func stepAppliedParameters(runID: String, position: Int) -> [String?] {
        [runID, String(position)]
    }

    /// The run's end, and every step that did not apply, written with a
    /// synchronous commit: it writes WAL, so it flushes every earlier
    /// asynchronous commit, this session's and its peers'.
    func recordFinished(_ run: Run, on connection: PostgresConnection) throws {
        let context = "recording the end of the run"
        let (sql, parameters) = try finishedQuery(run)
        try execute(context, "BEGIN; SET LOCAL synchronous_commit = on", on: connection)
        do {
            try execute(context, sql, parameters, on: connection)
            try execute(context, "COMMIT", on: connection)
        } catch {
            _ = try? connection.execute("ROLLBACK")
            throw error
        }
    }

    private func finishedQuery(_ run: Run) throws -> (sql: String, parameters: [String?]) {
        let unapplied = run.steps.enumerated().filter { $0.element.status != .applied }.map { index, step in
            StepRow(position: index, version: step.version, filename: step.filename, status: step.status.rawValue,
                    outOfOrder: step.outOfOrder, error: step.error, note: step.note)
        }
        return ("""
            WITH finished AS (
                UPDATE \(runsTable) SET status = $2, finished_at = $3::timestamptz, error = $4::jsonb, cancelled_by = $5, wait = NULL
                WHERE id = $1
            )
            UPDATE \(stepsTable) AS step SET status = s.status, error = s.error, note = s.note
            FROM jsonb_to_recordset($6::jsonb) AS s(position integer, status text, error text, note text)
            WHERE step.run_id = $1 AND step.position = s.position
            """, [run.id, run.status.rawValue, UTCTimestamp.format(run.finishedAt ?? Date()),
                  try run.error.map(Self.json), run.cancelledBy, try Self.json(unapplied)])
    }

    /// What the run waits for now (nil: nothing), from any connection.
    func recordWait(_ wait: LockWait?, runID: String, on connection: PostgresConnection) throws {
        try execute("recording a lock wait", "UPDATE \(runsTable) SET wait = $2::jsonb WHERE id = $1 AND status = 'running'",
                    [runID, try wait.map(Self.json)], on: connection)
    }

    /// Who asked to cancel the run, once someone has.
    func cancelRequest(runID: String, on connection: PostgresConnection) throws -> String? {
        let row = try connection.execute("""
            SELECT coalesce(cancelled_by, 'someone') FROM \(runsTable) WHERE id = $1 AND cancel_requested_at IS NOT NULL
            """, [runID]).rows.first
        return row?.first ?? nil
    }

    /// The durations of the run's steps from `first` on (of `count`) applied so far, in order.
    func appliedStepDurations(runID: String, from first: Int, count: Int, on connection: PostgresConnection) throws -> [Int] {
        try connection.execute("""
            SELECT coalesce(duration_ms, 0) FROM \(stepsTable)
            WHERE run_id = $1 AND position >= $2 AND position < $3 AND status = 'applied' ORDER BY position
            """, [runID, String(first), String(first + count)]).rows.map { Int($0[0] ?? "") ?? 0 }
    }

    // MARK: Reading and cancelling (any connection, no lock)

    /// The newest runs, first.
    public func recent(limit: Int, on connection: PostgresConnection) throws -> [Run] {
        try select("ORDER BY r.started_at DESC LIMIT \(max(1, min(limit, 100)))", [], on: connection)
    }

    public func find(id: String, on connection: PostgresConnection) throws -> Run? {
        try select("WHERE r.id = $1", [id], on: connection).first
    }

    /// The run that holds the migration lock now, if it is recorded.
    public func activeRunID(on connection: PostgresConnection) throws -> String? {
        guard try tablesExist(on: connection) else { return nil }
        return try connection.execute("""
            SELECT r.id FROM \(runsTable) r
            WHERE r.status = 'running' AND r.pid IN (\(AdvisoryLock.holderPIDQuery))
            ORDER BY r.started_at DESC LIMIT 1
            """, [configuration.schema]).scalar
    }

    /// The runs going on now, and those that ended within the last `seconds`,
    /// by start (for a stream to find runs that began anywhere).
    public func liveRunIDs(endedWithin seconds: Int, on connection: PostgresConnection) throws -> [String] {
        guard try tablesExist(on: connection) else { return [] }
        return try connection.execute("""
            SELECT id FROM \(runsTable)
            WHERE status = 'running' OR finished_at > now() - make_interval(secs => $1::integer)
            ORDER BY started_at LIMIT 20
            """, [String(seconds)]).rows.compactMap { $0.first ?? nil }
    }

    /// Up to `limit` runs started after run `id`, by start.
    public func runIDs(startedAfter id: String, limit: Int, on connection: PostgresConnection) throws -> [String] {
        guard try tablesExist(on: connection) else { return [] }
        return try connection.execute("""
            SELECT r.id FROM \(runsTable) r, \(runsTable) since
            WHERE since.id = $1 AND (r.started_at, r.id) > (since.started_at, since.id)
            ORDER BY r.started_at LIMIT \(max(1, min(limit, 100)))
            """, [id]).rows.compactMap { $0.first ?? nil }
    }

    /// Asks the process running `id` to cancel it: recorded in the run's
    /// row (its process polls it) and the running statement is cancelled.
    /// False when no such run is running.
    public func requestCancel(id: String, by who: String, on connection: PostgresConnection) throws -> Bool {
        guard try tablesExist(on: connection) else { return false }
        let pid = try connection.execute("""
            UPDATE \(runsTable) SET cancel_requested_at = coalesce(cancel_requested_at, now()), cancelled_by = coalesce(cancelled_by, $2)
            WHERE id = $1 AND status = 'running' RETURNING pid
            """, [id, who]).scalar
        guard let pid else { return false }
        _ = try? connection.execute("SELECT pg_cancel_backend($1::integer)", [pid])
        return true
    }

    private func tablesExist(on connection: PostgresConnection) throws -> Bool {
        try connection.execute("SELECT to_regclass($1) IS NOT NULL AND to_regclass($2) IS NOT NULL", [runsTable, stepsTable]).scalar == "t"
    }

    private func select(_ clause: String, _ parameters: [String?], on connection: PostgresConnection) throws -> [Run] {
        guard try tablesExist(on: connection) else { return [] }
        let started = Self.timestamp.replacingOccurrences(of: "%@", with: "r.started_at")
        let finished = Self.timestamp.replacingOccurrences(of: "%@", with: "r.finished_at")
        let result = try connection.execute("""
            SELECT r.id, r.status, r.trigger, r.requested_by, r.host, r.deployment_id, r.commit_sha, \(started), \(finished),
                   r.dry_run, r.target, r.error::text, r.cancelled_by, r.wait::text,
                   r.status = 'running' AND (r.pid IS NULL OR NOT EXISTS (SELECT FROM pg_stat_activity a WHERE a.pid = r.pid)),
                   coalesce((SELECT jsonb_agg(jsonb_build_object('version', s.version, 'filename', s.filename, 'status', s.status,
                                'duration_ms', s.duration_ms, 'out_of_order', s.out_of_order, 'error', s.error, 'note', s.note)
                                ORDER BY s.position) FROM \(stepsTable) s WHERE s.run_id = r.id), r.steps)::text
            FROM \(runsTable) r \(clause)
            """, parameters)
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let text = try decoder.singleValueContainer().decode(String.self)
            guard let date = UTCTimestamp.parse(text) else { throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: text)) }
            return date
        }
        return result.rows.map { row in
            let origin = RunOrigin(trigger: row[2].flatMap(RunTrigger.init(rawValue:)) ?? .api, requestedBy: row[3], host: row[4],
                                   deploymentID: row[5], commitSHA: row[6])
            let run = Run(id: row[0] ?? "", status: row[1].flatMap(RunStatus.init(rawValue:)) ?? .failed, origin: origin,
                          startedAt: row[7].flatMap(UTCTimestamp.parse) ?? Date(timeIntervalSince1970: 0),
                          finishedAt: row[8].flatMap(UTCTimestamp.parse), dryRun: row[9] == "t", target: row[10],
                          steps: row[15].flatMap { try? decoder.decode([RunStep].self, from: Data($0.utf8)) } ?? [],
                          error: row[11].flatMap { try? decoder.decode(RunFailure.self, from: Data($0.utf8)) },
                          cancelledBy: row[12], wait: row[13].flatMap { try? decoder.decode(LockWait.self, from: Data($0.utf8)) })
            // Running, but its process's session is gone: it died mid-run.
            return row[14] == "t" ? run.interrupted() : run.withRunningStepMarked()
        }
    }

    // MARK: Helpers

    struct StepRow: Encodable {
        var position: Int
        var version: String
        var filename: String
        var status: String
        var outOfOrder: Bool
        var error: String?
        var note: String?

        enum CodingKeys: String, CodingKey {
            case position, version, filename, status, error, note
            case outOfOrder = "out_of_order"
        }
    }

    static func json<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(UTCTimestamp.format(date))
        }
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    private func execute(_ context: String, _ sql: String, _ parameters: [String?] = [], on connection: PostgresConnection) throws {
        do {
            if parameters.isEmpty { try connection.execute(sql) } else { try connection.execute(sql, parameters) }
        } catch {
            throw EngineError.database(context: context, error)
        }
    }
}
