import Foundation
import RailyardCore
import RailyardAPI
import PostgresClient
import RailyardEngine

/// Reads and writes `railyard_runs`.
struct RunStore: Sendable {
    let table: String
    let schema: String

    init(configuration: MigratorConfiguration) {
        schema = configuration.schema
        table = "\"" + configuration.schema.replacingOccurrences(of: "\"", with: "\"\"") + "\".railyard_runs"
    }

    /// Inserts or updates the run; does nothing while the table does not exist yet.
    func save(_ run: RunRecord, on connection: PostgresConnection) throws {
        guard try connection.execute("SELECT to_regclass($1) IS NOT NULL", [table]).scalar == "t" else { return }
        let encoder = APIJSON.encoder(compact: true)
        let steps = String(decoding: try encoder.encode(run.steps), as: UTF8.self)
        let error = try run.error.map { String(decoding: try encoder.encode($0), as: UTF8.self) }
        try connection.execute("""
            INSERT INTO \(table) (id, status, requested_by, started_at, finished_at, dry_run, target, steps, error)
            VALUES ($1, $2, $3, $4::timestamptz, $5::timestamptz, $6, $7, $8::jsonb, $9::jsonb)
            ON CONFLICT (id) DO UPDATE SET status = EXCLUDED.status, finished_at = EXCLUDED.finished_at,
                steps = EXCLUDED.steps, error = EXCLUDED.error
            """, [run.id, run.status, run.requestedBy, UTCTimestamp.format(run.startedAt), run.finishedAt.map(UTCTimestamp.format),
                  run.dryRun ? "true" : "false", run.target, steps, error])
    }

    func recent(limit: Int, on connection: PostgresConnection) throws -> [RunRecord] {
        try select("ORDER BY started_at DESC LIMIT \(limit)", [], on: connection)
    }

    func find(id: String, on connection: PostgresConnection) throws -> RunRecord? {
        try select("WHERE id = $1", [id], on: connection).first
    }

    private func select(_ clause: String, _ parameters: [String?], on connection: PostgresConnection) throws -> [RunRecord] {
        guard try connection.execute("SELECT to_regclass($1) IS NOT NULL", [table]).scalar == "t" else { return [] }
        let result = try connection.execute("""
            SELECT id, status, requested_by,
                   to_char(started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
                   to_char(finished_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
                   dry_run, target, steps::text, error::text
            FROM \(table) \(clause)
            """, parameters)
        let decoder = JSONDecoder()
        let runs = result.rows.map { row in
            RunRecord(
                id: row[0] ?? "", status: row[1] ?? "failed", requestedBy: row[2],
                startedAt: row[3].flatMap(UTCTimestamp.parse) ?? Date(timeIntervalSince1970: 0),
                finishedAt: row[4].flatMap(UTCTimestamp.parse), dryRun: row[5] == "t", target: row[6],
                steps: row[7].flatMap { try? decoder.decode([RunRecord.Step].self, from: Data($0.utf8)) } ?? [],
                error: row[8].flatMap { try? decoder.decode(RunRecord.Failure.self, from: Data($0.utf8)) })
        }
        // A run is recorded as running only while its server holds the
        // migration lock; with the lock free, that server died mid-run.
        guard runs.contains(where: { $0.status == "running" }),
              try !AdvisoryLock.isHeld(schema: schema, on: connection) else { return runs }
        return runs.map { $0.status == "running" ? $0.interrupted() : $0 }
    }
}
