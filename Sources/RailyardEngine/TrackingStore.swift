import Foundation
import RailyardCore
import PostgresClient

/// The tracking tables: `railyard_migrations` (one row per migration, written
/// in the migration's own transaction) and `railyard_runs` (run history).
struct TrackingStore {
    let connection: PostgresConnection
    let configuration: MigratorConfiguration

    /// True when `railyard_migrations` exists.
    func exists() throws -> Bool {
        try query("checking for the tracking table",
                  "SELECT to_regclass($1) IS NOT NULL", [configuration.migrationsTable]).scalar == "t"
    }

    /// Creates the tables when missing; returns true when it created them.
    /// Call it holding the migration lock, so two migrators never race here.
    @discardableResult
    func ensureTables() throws -> Bool {
        if try exists() { return false }
        try run("creating the tracking tables", """
            CREATE SCHEMA IF NOT EXISTS \(configuration.quotedSchema);
            CREATE TABLE IF NOT EXISTS \(configuration.migrationsTable) (
                version text PRIMARY KEY,
                name text NOT NULL,
                filename text NOT NULL,
                checksum text,
                applied_at timestamptz NOT NULL DEFAULT now(),
                applied_by text,
                execution_ms integer,
                transactional boolean NOT NULL DEFAULT true,
                status text NOT NULL DEFAULT 'applied' CHECK (status IN ('applied', 'failed')),
                failed_statement integer,
                error text
            );
            CREATE TABLE IF NOT EXISTS \(configuration.runsTable) (
                id text PRIMARY KEY,
                status text NOT NULL CHECK (status IN ('running', 'succeeded', 'failed')),
                requested_by text,
                started_at timestamptz NOT NULL DEFAULT now(),
                finished_at timestamptz,
                dry_run boolean NOT NULL DEFAULT false,
                target text,
                steps jsonb NOT NULL DEFAULT '[]',
                error jsonb
            );
            """)
        return true
    }

    /// Changes whenever a tracking row is added, changed or removed: the row
    /// count and the newest row version (xmin). Nil before the table exists.
    func fingerprint() throws -> String? {
        guard try exists() else { return nil }
        return try query("reading the tracking table", """
            SELECT count(*) || ':' || coalesce(max(xmin::text::bigint), 0) FROM \(configuration.migrationsTable)
            """, []).scalar
    }

    /// Every tracked migration.
    func records() throws -> [AppliedMigration] {
        let result = try query("reading the tracking table", """
            SELECT version, name, filename, checksum,
                   to_char(applied_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
                   applied_by, execution_ms, transactional, status, failed_statement, error
            FROM \(configuration.migrationsTable)
            """, [])
        return result.rows.map { row in
            AppliedMigration(
                version: row[0] ?? "", name: row[1] ?? "", filename: row[2] ?? "", checksum: row[3],
                appliedAt: row[4].flatMap(UTCTimestamp.parse), appliedBy: row[5],
                executionMs: row[6].flatMap { Int($0) }, transactional: row[7] != "f",
                state: row[8] == "failed" ? .failed : .applied,
                failedStatement: row[9].flatMap { Int($0) }, error: row[10])
        }
    }

    /// Records a migration as applied (inside its transaction when it has one).
    func recordApplied(_ file: MigrationFile, milliseconds: Int) throws {
        let (sql, parameters) = recordAppliedQuery(file, milliseconds: milliseconds)
        try query("recording \(file.filename) as applied", sql, parameters)
    }

    /// The tracking row's upsert. Without `milliseconds` the duration is
    /// measured in the database: from the transaction's start to the insert.
    func recordAppliedQuery(_ file: MigrationFile, milliseconds: Int? = nil) -> (sql: String, parameters: [String?]) {
        let duration = milliseconds.map { _ in "$6::integer" } ?? "(EXTRACT(EPOCH FROM clock_timestamp() - now()) * 1000)::integer"
        var parameters: [String?] = [file.version, file.name, file.filename, file.checksum, configuration.appliedBy]
        if let milliseconds { parameters.append(String(milliseconds)) }
        parameters.append(file.transactional ? "true" : "false")
        let transactional = milliseconds == nil ? "$6" : "$7"
        return ("""
            INSERT INTO \(configuration.migrationsTable)
                (version, name, filename, checksum, applied_by, execution_ms, transactional, status)
            VALUES ($1, $2, $3, $4, $5, \(duration), \(transactional)::boolean, 'applied')
            ON CONFLICT (version) DO UPDATE SET
                name = EXCLUDED.name, filename = EXCLUDED.filename, checksum = EXCLUDED.checksum,
                applied_at = now(), applied_by = EXCLUDED.applied_by, execution_ms = EXCLUDED.execution_ms,
                transactional = EXCLUDED.transactional, status = 'applied',
                failed_statement = NULL, error = NULL
            """, parameters)
    }

    /// One synchronous commit that flushes the WAL past every earlier
    /// asynchronous commit, this session's and its peers'. It must write WAL
    /// itself (a commit that wrote nothing is not flushed), so it rewrites a
    /// tracking row unchanged: `version`'s, or any when nil.
    func makeDurable(touching version: String?) throws {
        try run("confirming the applied migrations are durable", "BEGIN; SET LOCAL synchronous_commit = on")
        do {
            let table = configuration.migrationsTable
            try query("confirming the applied migrations are durable",
                      "UPDATE \(table) SET status = status WHERE version = coalesce($1, (SELECT version FROM \(table) LIMIT 1))",
                      [version])
            try run("confirming the applied migrations are durable", "COMMIT")
        } catch {
            _ = try? connection.execute("ROLLBACK")
            throw error
        }
    }

    /// Records how far a non-transactional migration got: `statement` is the
    /// index of the statement that failed or is about to run.
    func recordFailed(_ file: MigrationFile, statement: Int, error: String) throws {
        try query("recording \(file.filename) as failed", """
            INSERT INTO \(configuration.migrationsTable)
                (version, name, filename, checksum, applied_by, transactional, status, failed_statement, error)
            VALUES ($1, $2, $3, $4, $5, false, 'failed', $6, $7)
            ON CONFLICT (version) DO UPDATE SET
                checksum = EXCLUDED.checksum, applied_at = now(), applied_by = EXCLUDED.applied_by,
                status = 'failed', failed_statement = EXCLUDED.failed_statement, error = EXCLUDED.error
            """, [file.version, file.name, file.filename, file.checksum, configuration.appliedBy,
                  String(statement), error])
    }

    // MARK: Legacy `migrations(id, filename, executed_at)` table

    /// Rows of the old Node script's table, when it exists.
    func legacyRows() throws -> [(filename: String, executedAt: String?)]? {
        let columns = try query("looking for a legacy migrations table", """
            SELECT attname FROM pg_attribute
            WHERE attrelid = to_regclass($1) AND attnum > 0 AND NOT attisdropped
            """, [configuration.legacyTable]).rows.compactMap { $0[0] }
        guard columns.contains("filename") else { return nil }
        let executedAt = columns.contains("executed_at") ? "executed_at" : "NULL::timestamptz"
        return try query("reading the legacy migrations table",
                         "SELECT filename, \(executedAt)::timestamptz::text FROM \(configuration.legacyTable) ORDER BY 1", [])
            .rows.compactMap { row in row[0].map { ($0, row[1]) } }
    }

    /// Imports the legacy table's files as applied; returns how many.
    func adoptLegacy(files: [MigrationFile]) throws -> Int {
        guard let rows = try legacyRows() else { return 0 }
        var count = 0
        for row in rows {
            guard let name = try? MigrationFileName(row.filename) else { continue }
            let current = files.first { VersionOrder.same($0.version, name.version) }
            let result = try query("importing \(row.filename) from the legacy migrations table", """
                INSERT INTO \(configuration.migrationsTable)
                    (version, name, filename, checksum, applied_at, applied_by, transactional, status)
                VALUES ($1, $2, $3, $4, COALESCE($5::timestamptz, now()), 'legacy migrations table', true, 'applied')
                ON CONFLICT (version) DO NOTHING
                """, [name.version, name.name, row.filename, current?.checksum, row.executedAt])
            if result.commandTag.hasSuffix(" 1") { count += 1 }
        }
        return count
    }

    // MARK: Helpers

    @discardableResult
    func query(_ context: String, _ sql: String, _ parameters: [String?]) throws -> QueryResult {
        do {
            return try connection.execute(sql, parameters)
        } catch {
            throw EngineError.database(context: context, error)
        }
    }

    func run(_ context: String, _ sql: String) throws {
        do {
            try connection.execute(sql)
        } catch {
            throw EngineError.database(context: context, error)
        }
    }
}
