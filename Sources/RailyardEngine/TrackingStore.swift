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
        try query("checking for the tracking table", Self.existsQuery, [configuration.migrationsTable]).scalar == "t"
    }

    static let existsQuery = "SELECT to_regclass($1) IS NOT NULL"

    /// Creates the tables when missing; returns true when it created them.
    /// Call it holding the migration lock, so two migrators never race here.
    @discardableResult
    func ensureTables() throws -> Bool {
        if try exists() { return false }
        // A role may create tables in a schema (public) without the right to create schemas.
        let schemaExists = try query("creating the tracking tables", "SELECT to_regnamespace($1) IS NOT NULL",
                                     [configuration.quotedSchema]).scalar == "t"
        try run("creating the tracking tables", """
            \(schemaExists ? "" : "CREATE SCHEMA IF NOT EXISTS \(configuration.quotedSchema);")
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
                error text,
                completed_checksum text
            );
            COMMENT ON TABLE \(configuration.migrationsTable) IS '\(Self.identityMarker)';
            CREATE TABLE IF NOT EXISTS \(configuration.runsTable) (
                id text PRIMARY KEY,
                status text NOT NULL CONSTRAINT railyard_runs_status_check CHECK (status IN ('running', 'succeeded', 'failed', 'cancelled')),
                trigger text,
                requested_by text,
                host text,
                deployment_id text,
                commit_sha text,
                pid integer,
                started_at timestamptz NOT NULL DEFAULT now(),
                finished_at timestamptz,
                dry_run boolean NOT NULL DEFAULT false,
                target text,
                steps jsonb NOT NULL DEFAULT '[]',
                error jsonb,
                wait jsonb,
                cancel_requested_at timestamptz,
                cancelled_by text
            );
            \(Self.runStepsDefinition(configuration))
            """)
        return true
    }

    /// True when `railyard_migrations` exists, after adding to it what
    /// later versions of Railyard track when an earlier one made it (one
    /// query when nothing is missing). Call it holding the migration lock.
    func existsUpgrading() throws -> Bool {
        let row = try query("checking the tracking table", """
            SELECT to_regclass($1) IS NOT NULL,
                   EXISTS (SELECT FROM pg_attribute WHERE attrelid = to_regclass($1) AND attname = 'completed_checksum' AND NOT attisdropped),
                   to_regclass($2) IS NOT NULL,
                   obj_description(to_regclass($1), 'pg_class') IS NOT DISTINCT FROM $3
            """, [configuration.migrationsTable, configuration.runStepsTable, Self.identityMarker]).rows.first
        guard row?[0] == "t" else { return false }
        if row?[3] != "t" { try rekeyByIdentity() }
        if row?[1] != "t" {
            try run("upgrading the tracking table", "ALTER TABLE \(configuration.migrationsTable) ADD COLUMN IF NOT EXISTS completed_checksum text")
        }
        if row?[2] != "t" {
            let runs = configuration.runsTable
            try run("upgrading the run history", """
                ALTER TABLE \(runs) ADD COLUMN IF NOT EXISTS trigger text, ADD COLUMN IF NOT EXISTS host text,
                    ADD COLUMN IF NOT EXISTS deployment_id text, ADD COLUMN IF NOT EXISTS commit_sha text,
                    ADD COLUMN IF NOT EXISTS pid integer, ADD COLUMN IF NOT EXISTS wait jsonb,
                    ADD COLUMN IF NOT EXISTS cancel_requested_at timestamptz, ADD COLUMN IF NOT EXISTS cancelled_by text,
                    DROP CONSTRAINT IF EXISTS railyard_runs_status_check,
                    ADD CONSTRAINT railyard_runs_status_check CHECK (status IN ('running', 'succeeded', 'failed', 'cancelled'));
                \(Self.runStepsDefinition(configuration))
                """)
        }
        return true
    }

    /// The tracking table's comment once its rows are keyed by migration id.
    static let identityMarker = "Railyard tracking table; version holds the migration id (a 14-digit version, else the file name without .sql)"

    /// Rows an earlier Railyard keyed by digits that are not a timestamp
    /// (`001`, `20250612`) take their file's id, so that two files sharing
    /// those digits are two migrations.
    private func rekeyByIdentity() throws {
        let table = configuration.migrationsTable
        try run("keying the tracking table by migration id", """
            UPDATE \(table) AS t SET version = left(t.filename, -4)
            WHERE \(Self.keyedByDigits) AND NOT EXISTS (SELECT FROM \(table) AS other WHERE other.version = left(t.filename, -4))
            """)
        // The marker spares the next runs this check; a role that does not own
        // the table may not comment on it, and then the check simply runs again.
        do {
            try connection.execute("COMMENT ON TABLE \(table) IS '\(Self.identityMarker)'")
        } catch where error.sqlstate == "42501" {
        } catch {
            throw EngineError.database(context: "keying the tracking table by migration id", error)
        }
    }

    /// A row `t` keyed by digits that are not a timestamp, which `rekeyByIdentity` keys by its file's id.
    static let keyedByDigits = """
        t.version ~ '^[0-9]+$' AND length(t.version) <> 14 AND starts_with(t.filename, t.version || '_') AND right(t.filename, 4) = '.sql'
        """

    /// The same test as `keyedByDigits`, on a row already read: the server
    /// need not run a regular expression over every row.
    static func isKeyedByDigits(version: String, filename: String?) -> Bool {
        let digits = version.utf8
        guard let name = filename?.utf8, digits.count != 14, !digits.isEmpty, name.count >= digits.count + 5,
              digits.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }), name.starts(with: digits) else { return false }
        return name[name.index(name.startIndex, offsetBy: digits.count)] == UInt8(ascii: "_") && name.suffix(4).elementsEqual(".sql".utf8)
    }

    /// `checksumsQuery` where nothing needs upgrading, without asking the
    /// catalog (a new session's first catalog queries cost milliseconds): it
    /// names what later versions added, so on older tables it fails. A row
    /// that still needs `rekeyByIdentity` is one `isKeyedByDigits`.
    var currentChecksumsQuery: String {
        """
        WITH added_later AS (
            SELECT completed_checksum FROM \(configuration.migrationsTable) WHERE false
            UNION ALL SELECT NULL FROM \(configuration.runStepsTable) WHERE false
        )
        \(checksumsQuery)
        """
    }

    static func runStepsDefinition(_ configuration: MigratorConfiguration) -> String {
        """
        CREATE TABLE IF NOT EXISTS \(configuration.runStepsTable) (
            run_id text NOT NULL,
            position integer NOT NULL,
            version text NOT NULL,
            filename text NOT NULL,
            status text NOT NULL CHECK (status IN ('pending', 'running', 'applied', 'failed', 'skipped')),
            duration_ms integer,
            out_of_order boolean NOT NULL DEFAULT false,
            error text,
            note text,
            PRIMARY KEY (run_id, position)
        );
        """
    }

    /// What a failed non-transactional migration had run: the checksum of
    /// its completed statements (nil when an earlier Railyard recorded it).
    func completedChecksum(id: String) throws -> String? {
        try query("reading how far a failed migration got",
                  "SELECT completed_checksum FROM \(configuration.migrationsTable) WHERE version = $1", [id]).scalar
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
        try read("reading the tracking table", recordsQuery, Self.records(from:))
    }

    /// `records()`, nil when the table does not exist, asked with the check in one round trip.
    func recordsIfExisting() throws -> [AppliedMigration]? {
        let context = "reading the tracking table"
        var exists = false
        var records: [AppliedMigration] = []
        let errors: [PostgresError?]
        do {
            errors = try connection.pipelineOutcomes([(Self.existsQuery, [configuration.migrationsTable]), (recordsQuery, [])],
                                                     syncingAfter: [0]) { index, rows in
                if index == 0 { exists = rows.count > 0 && rows.equals(0, 0, "t") } else { records = Self.records(from: rows) }
            }
        } catch {
            throw EngineError.database(context: context, error)
        }
        if let error = errors[0] ?? (exists ? errors[1] : nil) { throw EngineError.database(context: context, error) }
        return exists ? records : nil
    }

    var recordsQuery: String {
        """
        SELECT version, name, filename, checksum,
               floor(extract(epoch FROM applied_at) * 1000)::bigint,
               applied_by, execution_ms, transactional, status, failed_statement, error
        FROM \(configuration.migrationsTable)
        """
    }

    static func records(from rows: ResultRows) -> [AppliedMigration] {
        (0..<rows.count).map { row in
            AppliedMigration(
                version: rows.text(row, 0) ?? "", name: rows.text(row, 1) ?? "", filename: rows.text(row, 2) ?? "",
                checksum: rows.text(row, 3),
                appliedAt: rows.integer(row, 4).map { Date(timeIntervalSince1970: Double($0) / 1000) }, appliedBy: rows.text(row, 5),
                executionMs: rows.integer(row, 6).map { Int($0) }, transactional: !rows.equals(row, 7, "f"),
                state: rows.equals(row, 8, "failed") ? .failed : .applied,
                failedStatement: rows.integer(row, 9).map { Int($0) }, error: rows.text(row, 10))
        }
    }

    /// The rows with only what deciding that nothing is pending needs
    /// (identity, file name, checksum, state): a no-op reads no more.
    func checksums() throws -> [AppliedMigration] {
        try read("reading the tracking table", checksumsQuery, Self.checksums(from:))
    }

    var checksumsQuery: String { "SELECT version, filename, checksum, status FROM \(configuration.migrationsTable)" }

    static func checksums(from rows: ResultRows) -> [AppliedMigration] {
        (0..<rows.count).map { row in
            AppliedMigration(version: rows.text(row, 0) ?? "", name: "", filename: rows.text(row, 1) ?? "", checksum: rows.text(row, 2),
                             state: rows.equals(row, 3, "failed") ? .failed : .applied)
        }
    }

    /// One query's rows, decoded in place by `decode`.
    private func read<T>(_ context: String, _ sql: String, _ decode: (ResultRows) -> T) throws -> T {
        var decoded: T?
        let errors: [PostgresError?]
        do {
            errors = try connection.pipelineOutcomes([(sql, [])]) { _, rows in decoded = decode(rows) }
        } catch {
            throw EngineError.database(context: context, error)
        }
        if let error = errors[0] { throw EngineError.database(context: context, error) }
        guard let decoded else { throw EngineError.database(context: context, PostgresError(kind: .client, message: "the query returned no result")) }
        return decoded
    }

    /// Records a migration as applied (inside its transaction when it has one).
    func recordApplied(_ file: MigrationFile, milliseconds: Int) throws {
        let (sql, parameters) = recordAppliedQuery(file, milliseconds: milliseconds)
        try query("recording \(file.filename) as applied", sql, parameters)
    }

    /// The tracking row's upsert. Without `milliseconds` the duration is
    /// measured in the database: from the transaction's start to the insert.
    func recordAppliedQuery(_ file: MigrationFile, milliseconds: Int? = nil) -> (sql: String, parameters: [String?]) {
        (recordAppliedSQL(measuredHere: milliseconds != nil), recordAppliedParameters(file, milliseconds: milliseconds))
    }

    /// `recordAppliedQuery`'s parameters alone, for its prepared statement.
    func recordAppliedParameters(_ file: MigrationFile, milliseconds: Int? = nil) -> [String?] {
        var parameters: [String?] = [file.id, file.name, file.filename, file.checksum, configuration.appliedBy]
        if let milliseconds { parameters.append(String(milliseconds)) }
        parameters.append(file.transactional ? "true" : "false")
        return parameters
    }

    /// The upsert's SQL, the same for every file.
    func recordAppliedSQL(measuredHere: Bool) -> String {
        let duration = measuredHere ? "$6::integer" : TransactionClock.elapsedMilliseconds
        let transactional = measuredHere ? "$7" : "$6"
        return """
            INSERT INTO \(configuration.migrationsTable)
                (version, name, filename, checksum, applied_by, execution_ms, transactional, status)
            VALUES ($1, $2, $3, $4, $5, \(duration), \(transactional)::boolean, 'applied')
            ON CONFLICT (version) DO UPDATE SET
                name = EXCLUDED.name, filename = EXCLUDED.filename, checksum = EXCLUDED.checksum,
                applied_at = now(), applied_by = EXCLUDED.applied_by, execution_ms = EXCLUDED.execution_ms,
                transactional = EXCLUDED.transactional, status = 'applied',
                failed_statement = NULL, error = NULL
            """
    }

    /// `completed` is the checksum of the statements before `statement`, so
    /// that a retry resumes only while they are unchanged.
    func recordFailed(_ file: MigrationFile, statement: Int, completed: String, error: String) throws {
        try query("recording \(file.filename) as failed", """
            INSERT INTO \(configuration.migrationsTable)
                (version, name, filename, checksum, applied_by, transactional, status, failed_statement, error, completed_checksum)
            VALUES ($1, $2, $3, $4, $5, false, 'failed', $6, $7, $8)
            ON CONFLICT (version) DO UPDATE SET
                checksum = EXCLUDED.checksum, applied_at = now(), applied_by = EXCLUDED.applied_by,
                status = 'failed', failed_statement = EXCLUDED.failed_statement, error = EXCLUDED.error,
                completed_checksum = EXCLUDED.completed_checksum
            """, [file.id, file.name, file.filename, file.checksum, configuration.appliedBy,
                  String(statement), error, completed])
    }

    // MARK: Legacy `migrations(id, filename, executed_at)` table

    /// The old Node script's table, where it is: the tracking schema's
    /// `migrations`, else `public.migrations` (the scripts' own place).
    func legacyTable() throws -> String? {
        for table in configuration.legacyTableCandidates {
            let columns = try query("looking for a legacy migrations table", """
                SELECT attname FROM pg_attribute
                WHERE attrelid = to_regclass($1) AND attnum > 0 AND NOT attisdropped
                """, [table]).rows.compactMap { $0[0] }
            if columns.contains("filename") { return table }
        }
        return nil
    }

    /// Rows of the old Node script's table, when it exists.
    func legacyRows() throws -> (table: String, rows: [(filename: String, executedAt: String?)])? {
        guard let table = try legacyTable() else { return nil }
        let hasExecutedAt = try query("reading the legacy migrations table", """
            SELECT EXISTS (SELECT FROM pg_attribute WHERE attrelid = to_regclass($1) AND attname = 'executed_at' AND NOT attisdropped)
            """, [table]).scalar == "t"
        let executedAt = hasExecutedAt ? "executed_at" : "NULL::timestamptz"
        let rows = try query("reading the legacy migrations table",
                             "SELECT filename, \(executedAt)::timestamptz::text FROM \(table) ORDER BY 1", [])
            .rows.compactMap { row in row[0].map { (filename: $0, executedAt: row[1]) } }
        return (table, rows)
    }

    /// Imports the legacy table's files as applied; returns how many. A row
    /// that names no file here stops the import (its SQL would be forgotten,
    /// or run again under another name) unless `importingUnmatched`, when
    /// those with a usable name are imported to show as missing.
    func adoptLegacy(files: [MigrationFile], importingUnmatched: Bool = false) throws -> Int {
        guard let (table, rows) = try legacyRows() else { return 0 }
        let byFilename = Dictionary(files.map { ($0.filename, $0) }, uniquingKeysWith: { first, _ in first })
        func match(_ filename: String) -> MigrationFile? {
            byFilename[filename] ?? (try? MigrationFileName(filename)).flatMap { name in
                files.first { VersionOrder.same($0.id, name.id) }
            }
        }
        let unmatched = rows.map(\.filename).filter { match($0) == nil }
        if !unmatched.isEmpty && !importingUnmatched {
            throw EngineError.legacyRowsWithoutFiles(table: table, filenames: unmatched)
        }
        var count = 0
        for row in rows {
            guard let name = try? MigrationFileName(row.filename) else { continue }
            let current = match(row.filename)
            let result = try query("importing \(row.filename) from the legacy migrations table", """
                INSERT INTO \(configuration.migrationsTable)
                    (version, name, filename, checksum, applied_at, applied_by, transactional, status)
                VALUES ($1, $2, $3, $4, COALESCE($5::timestamptz, now()), 'legacy migrations table', true, 'applied')
                ON CONFLICT (version) DO NOTHING
                """, [name.id, name.name, row.filename, current?.checksum, row.executedAt])
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
