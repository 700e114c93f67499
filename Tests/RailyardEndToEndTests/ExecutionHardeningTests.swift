import Foundation
import Testing
import RailyardTestSupport
import PostgresClient
@testable import RailyardEngine

/// What PostgreSQL runs is what Railyard runs: lexer corner cases end to
/// end, COPY results the engine does not expect, sessions that a migration
/// changes, and a dry run's bounds.
@Suite("Execution hardening")
struct ExecutionHardeningTests {
    @Test func statementAfterACommentEndedByALoneCarriageReturnRuns() throws {
        let database = try TestDatabase.create()
        let folder = try MigrationFolder(["20250101000000_cr.sql": "CREATE TABLE a (); -- made on an old Mac\rCREATE TABLE b ();\r"])
        let result = try database.migrateCommand(folder)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try database.tableExists("a") && database.tableExists("b"))
    }

    @Test func sqlAfterCopyOnItsLineRunsAfterTheData() throws {
        let database = try TestDatabase.create()
        let folder = try MigrationFolder([
            "20250101000000_t.sql": "CREATE TABLE t (n int); CREATE TABLE log (what text);",
            "20250102000000_copy.sql": "COPY t FROM stdin; INSERT INTO log VALUES ('after the data');\n1\n2\n\\.\nINSERT INTO log VALUES ('last');\n",
            "20250103000000_stdout.sql": "COPY t FROM STDOUT;\n3\n\\.\n",
        ])
        let result = try database.migrateCommand(folder)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try database.scalar("SELECT string_agg(n::text, ',' ORDER BY n) FROM t") == "1,2,3")
        #expect(try database.scalar("SELECT string_agg(what, ',' ORDER BY what) FROM log") == "after the data,last")
    }

    @Test(arguments: [
        ("COPY (SELECT 1) TO STDOUT;", true),
        ("COPY (SELECT 1) TO STDOUT;", false),
        ("COPY seen TO STDOUT;", true),
    ])
    func copyToStdoutFailsTheMigrationNamingTheStatement(copy: String, transactional: Bool) throws {
        let database = try TestDatabase.create()
        let marker = transactional ? "" : "-- railyard:no-transaction\n"
        let folder = try MigrationFolder([
            "20250101000000_seen.sql": "CREATE TABLE seen (n int);",
            "20250102000000_copy_out.sql": marker + "INSERT INTO seen VALUES (1);\n\(copy)\nINSERT INTO seen VALUES (2);\n",
            "20250103000000_later.sql": "CREATE TABLE later ();",
        ])
        let started = Date()
        let result = try database.migrateCommand(folder)
        #expect(Date().timeIntervalSince(started) < 30, "a COPY the engine does not expect must never spin")
        #expect(result.status == 1)
        let line = transactional ? 2 : 3
        #expect(result.stderr.contains("20250102000000_copy_out.sql:\(line):1"), "\(result.stderr)")
        #expect(result.stderr.contains("TO STDOUT sends rows to the client"))
        #expect(try !database.tableExists("later"))
        if transactional {
            #expect(try database.scalar("SELECT count(*) FROM seen") == "0", "the migration rolls back")
        }
        #expect(try database.scalar("SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database WHERE l.locktype = 'advisory' AND d.datname = current_database()") == "0")
    }

    @Test func copyFromStdinWithoutDataFailsAndTheRunGoesNoFurther() throws {
        let database = try TestDatabase.create()
        // The last statement of the file: no line follows, so no data.
        let folder = try MigrationFolder(["20250101000000_t.sql": "CREATE TABLE t (n int);\nCOPY t FROM stdin;"])
        let result = try database.migrateCommand(folder)
        #expect(result.status == 1)
        #expect(result.stderr.contains("20250101000000_t.sql:2:1"), "\(result.stderr)")
        #expect(try !database.tableExists("t"))
    }

    /// Pipelined, one statement at a time (COPY data), and transaction:false:
    /// each migration starts from the session's initial state.
    @Test(arguments: ["", "COPY noise FROM stdin;\n1\n\\.\n", "-- railyard:no-transaction\n"])
    func sessionChangesDoNotReachTheNextMigration(style: String) throws {
        let database = try TestDatabase.create()
        try database.execute("CREATE SCHEMA other; CREATE ROLE ry_leak_\(database.name) NOLOGIN; GRANT ALL ON SCHEMA public TO ry_leak_\(database.name)")
        let role = "ry_leak_\(database.name)"
        let folder = try MigrationFolder([
            "20250101000000_noise.sql": "CREATE TABLE noise (n int);",
            "20250102000000_change_session.sql": style + """
                SET search_path = other, public;
                SET session_replication_role = replica;
                SET statement_timeout = '1h';
                CREATE TEMP TABLE scratch (n int);
                PREPARE leaked AS SELECT 1;
                SET ROLE \(role);
                """,
            "20250103000000_observe.sql": """
                CREATE TABLE public.observed AS SELECT current_setting('search_path') AS search_path,
                  current_user::text AS who, current_setting('session_replication_role') AS replication_role,
                  current_setting('statement_timeout') AS statement_timeout,
                  to_regclass('pg_temp.scratch') IS NULL AS no_temp_table,
                  NOT EXISTS (SELECT FROM pg_prepared_statements WHERE name = 'leaked') AS no_prepared, pg_sleep(0.01) IS NOT NULL AS slept;
                """,
        ])
        let result = try database.migrateCommand(folder)
        defer { _ = try? database.execute("DROP OWNED BY \(role); DROP ROLE \(role)") }
        #expect(result.status == 0, "\(result.stderr)")
        let row = try database.execute("SELECT search_path, who, replication_role, statement_timeout, no_temp_table, no_prepared FROM observed").rows.first
        #expect(row == ["\"$user\", public", "postgres", "origin", "0", "t", "t"])
    }

    @Test func dryRunStatementsAreBounded() throws {
        let database = try TestDatabase.create()
        let folder = try MigrationFolder(["20250101000000_slow.sql": "CREATE TABLE t ();\nSELECT pg_sleep(20);"])
        let started = Date()
        let result = try database.migrateCommand(folder, ["--dry-run"], environment: ["RAILYARD_DRY_RUN_STATEMENT_TIMEOUT": "500ms"])
        #expect(Date().timeIntervalSince(started) < 15)
        #expect(result.status == 1)
        #expect(result.stderr.contains("57014"), "\(result.stderr)")
        #expect(try !database.tableExists("t"))
    }

    @Test func dryRunStopsAtItsTotalLimit() throws {
        let database = try TestDatabase.create()
        let folder = try MigrationFolder([
            "20250101000000_a.sql": "SELECT pg_sleep(0.8);",
            "20250102000000_b.sql": "SELECT pg_sleep(10);",
            "20250103000000_c.sql": "SELECT 1;",
        ])
        let started = Date()
        let result = try database.migrateCommand(folder, ["--dry-run", "--json"], environment: ["RAILYARD_DRY_RUN_TIMEOUT": "1500ms"])
        #expect(Date().timeIntervalSince(started) < 8)
        #expect(result.status == 1)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let steps = try #require(json["steps"] as? [[String: Any]])
        #expect(steps.map { $0["status"] as? String } == ["applied", "failed", "skipped"])
        let failure = try #require(json["error"] as? [String: Any])
        #expect((failure["message"] as? String)?.contains("the dry run's time limit (1500 ms)") == true, "\(failure)")
    }
}

/// `make test` runs this suite on its own (it changes a server setting and
/// relies on nothing else writing WAL meanwhile).
@Suite("Timing-sensitive durability", .serialized)
struct TimingSensitiveDurabilityTests {
    /// A peer's asynchronous commit is not flushed yet when a migrator finds
    /// nothing to do: "up to date" must still mean durable.
    @Test func runThatAppliesNothingFlushesWhatItFound() throws {
        let database = try TestDatabase.create()
        let folder = try MigrationFolder(["20250101000000_a.sql": "CREATE TABLE a (n int);"])
        let migrate = { try database.migrateCommand(folder) }
        #expect(try migrate().status == 0)
        let server = try PostgresConnection(conninfo: try TestDatabase.serverConninfo())
        try server.execute("ALTER SYSTEM SET wal_writer_delay = '10s'")
        try server.execute("SELECT pg_reload_conf()")
        defer {
            _ = try? server.execute("ALTER SYSTEM RESET wal_writer_delay")
            _ = try? server.execute("SELECT pg_reload_conf()")
        }
        Thread.sleep(forTimeInterval: 0.5)
        let peer = try database.connect()
        var unflushed: String?
        for _ in 0..<5 where unflushed == nil {
            try peer.execute("BEGIN; SET LOCAL synchronous_commit = off; INSERT INTO a VALUES (1); COMMIT")
            let lsn = try #require(try peer.execute("SELECT pg_current_wal_insert_lsn()::text").scalar)
            if try peer.execute("SELECT pg_current_wal_flush_lsn() < '\(lsn)'::pg_lsn").scalar == "t" { unflushed = lsn }
        }
        let lsn = try #require(unflushed, "the peer's asynchronous commit was flushed before the test could look")
        let result = try migrate()
        #expect(result.status == 0)
        #expect(result.stdout.contains("Database is up to date"))
        #expect(try peer.execute("SELECT pg_current_wal_flush_lsn() >= '\(lsn)'::pg_lsn").scalar == "t",
                "migrate reported success while a commit it saw was not yet durable")
    }
}
