import Foundation
import Testing
import RailyardTestSupport
import RailyardCore
@testable import RailyardEngine

@Suite("Applying migrations to a real PostgreSQL")
struct ApplyTests {
    @Test func emptyDatabaseReachesTheFullSchemaAndASecondRunAppliesNothing() throws {
        let database = try TestDatabase.create()
        let folder = try MigrationFolder.repository()
        let migrator = database.migrator(folder)
        let first = try migrator.migrate()
        #expect(first.status == .succeeded)
        #expect(first.appliedCount == 8)
        for table in ["user_profiles", "clients", "receipts", "bank_transactions", "user_sessions"] {
            #expect(try database.tableExists(table), "\(table) missing")
        }
        let columns = try database.execute("""
            SELECT column_name FROM information_schema.columns WHERE table_name = 'user_profiles' ORDER BY 1
            """).rows.map { $0[0]! }
        #expect(columns.contains("last_login_at") && columns.contains("login_count") && columns.contains("last_seen_at"))
        #expect(try database.scalar("SELECT column_default FROM information_schema.columns WHERE table_name = 'receipts' AND column_name = 'id'") == "uuid_generate_v4()")
        #expect(try database.scalar("SELECT count(*) FROM pg_trigger WHERE tgname LIKE '%set_updated_at'") == "4")
        #expect(try database.scalar("SELECT indisvalid FROM pg_index WHERE indexrelid = 'user_sessions_active_idx'::regclass") == "t")

        // updated_at triggers work on the real schema.
        try database.execute("""
            INSERT INTO user_profiles (email, updated_at) VALUES ('a@example.com', now() - interval '1 day');
            UPDATE user_profiles SET full_name = 'A' WHERE email = 'a@example.com';
            """)
        #expect(try database.scalar("SELECT updated_at > now() - interval '1 minute' FROM user_profiles") == "t")

        let second = try migrator.migrate()
        #expect(second.status == .succeeded)
        #expect(second.steps.isEmpty)
        #expect(try migrator.status().states.allSatisfy { $0.status == .applied })
    }

    @Test func failingMigrationLeavesNothingOfItselfAndStopsTheRun() throws {
        let database = try TestDatabase.create()
        let folder = try MigrationFolder([
            "1_first.sql": "CREATE TABLE first (id int);",
            "2_broken.sql": "-- migrate:up\nCREATE TABLE half (id int);\nINSERT INTO half VALUES (1);\n\n  SELECT id FROM no_such_table;\n-- migrate:down\nDROP TABLE half;",
            "3_later.sql": "CREATE TABLE later (id int);",
        ])
        let report = try database.migrator(folder).migrate()
        #expect(report.status == .failed)
        let failure = try #require(report.error)
        #expect(failure.filename == "2_broken.sql")
        #expect(failure.sqlstate == "42P01")
        #expect((failure.line, failure.column) == (5, 18))
        #expect(failure.message.contains("no_such_table"))
        #expect(try database.tableExists("first"))
        #expect(try !database.tableExists("half"))
        #expect(try !database.tableExists("later"))
        #expect(try database.trackedVersions() == ["1"])
        #expect(report.steps.map(\.status) == [.applied, .failed, .skipped])
    }

    @Test func errorColumnsCountCharactersAfterMultibyteText() throws {
        let database = try TestDatabase.create()
        let folder = try MigrationFolder([
            "1_unicode.sql": "CREATE TABLE t (name text);\nINSERT INTO t VALUES ('héllo wörld ✓'), (bogus_column);",
        ])
        let failure = try #require(try database.migrator(folder).migrate().error)
        #expect(failure.sqlstate == "42703")
        #expect((failure.line, failure.column) == (2, 42), "characters, not bytes (bytes would give 46)")
    }

    @Test func errorsWithoutAPositionPointAtTheFailingStatement() throws {
        let database = try TestDatabase.create()
        let folder = try MigrationFolder([
            "1_parent.sql": "CREATE TABLE parent (id int PRIMARY KEY);\nCREATE TABLE child (parent_id int REFERENCES parent (id));",
            "2_orphan.sql": "INSERT INTO parent VALUES (1);\n\nINSERT INTO child VALUES (2);",
        ])
        let failure = try #require(try database.migrator(folder).migrate().error)
        #expect(failure.sqlstate == "23503")
        #expect((failure.line, failure.column) == (3, 1))
        #expect(failure.detail?.contains("parent") == true)
        #expect(try database.scalar("SELECT count(*) FROM parent") == "0")
    }

    @Test func fileWrappedInBeginCommitRunsAsOneMigration() throws {
        let database = try TestDatabase.create()
        let folder = try MigrationFolder([
            "1_table.sql": "CREATE TABLE accounts (id int, balance int);",
            "2_data.sql": "BEGIN;\nINSERT INTO accounts VALUES (1, 10);\nUPDATE accounts SET balance = balance * 2;\nCOMMIT;\n",
        ])
        #expect(try database.migrator(folder).migrate().status == .succeeded)
        #expect(try database.scalar("SELECT balance FROM accounts") == "20")
        #expect(try database.trackedVersions() == ["1", "2"])
    }

    @Test func copyFromStdinLoadsItsRows() throws {
        let database = try TestDatabase.create()
        let folder = try MigrationFolder([
            "1_seed.sql": "CREATE TABLE currencies (code text, name text);\nCOPY currencies (code, name) FROM stdin;\nUSD\tUS dollar; the one\nEUR\tEuro\n\\.\nUPDATE currencies SET name = upper(name);\n",
        ])
        #expect(try database.migrator(folder).migrate().status == .succeeded)
        #expect(try database.scalar("SELECT string_agg(name, ',' ORDER BY code) FROM currencies") == "EURO,US DOLLAR; THE ONE")
    }

    @Test func targetAppliesUpToTheVersion() throws {
        let database = try TestDatabase.create()
        let folder = try MigrationFolder(["1_a.sql": "CREATE TABLE a ();", "2_b.sql": "CREATE TABLE b ();", "3_c.sql": "CREATE TABLE c ();"])
        #expect(try database.migrator(folder).migrate(MigrateRequest(target: "2")).appliedCount == 2)
        #expect(try database.trackedVersions() == ["1", "2"])
        #expect(throws: EngineError.self) { try database.migrator(folder).migrate(MigrateRequest(target: "9")) }
    }

    @Test func dryRunWritesNothingAndReportsWhatWouldFail() throws {
        let database = try TestDatabase.create()
        let folder = try MigrationFolder(["1_a.sql": "CREATE TABLE a (id int);", "2_b.sql": "CREATE TABLE b (id int REFERENCES a (nope));"])
        let report = try database.migrator(folder).migrate(MigrateRequest(dryRun: true))
        #expect(report.dryRun)
        #expect(report.status == .failed)
        #expect(report.error?.filename == "2_b.sql")
        #expect(try !database.tableExists("a"))
        #expect(try !database.tableExists("railyard_migrations"))

        try folder.write("2_b.sql", "CREATE TABLE b (id int REFERENCES a (id));")
        try database.execute("SELECT 1")
        let fixed = try database.migrator(folder).migrate(MigrateRequest(dryRun: true))
        #expect(fixed.status == .failed, "a REFERENCES to a non-unique column still fails")
        try folder.write("1_a.sql", "CREATE TABLE a (id int PRIMARY KEY);")
        #expect(try database.migrator(folder).migrate(MigrateRequest(dryRun: true)).status == .succeeded)
        #expect(try !database.tableExists("a"))
    }

    @Test func editedAppliedFileIsRefusedNamingTheFile() throws {
        let database = try TestDatabase.create()
        let folder = try MigrationFolder(["1_users.sql": "CREATE TABLE users (id int);"])
        _ = try database.migrator(folder).migrate()
        try folder.write("1_users.sql", "CREATE TABLE users (id bigint);")
        try folder.write("2_next.sql", "CREATE TABLE next ();")
        do {
            _ = try database.migrator(folder).migrate()
            Issue.record("an edited applied migration must stop the run")
        } catch let error as EngineError {
            guard case .refused(.changed(let states)) = error else { Issue.record("unexpected \(error)"); return }
            #expect(states.map(\.filename) == ["1_users.sql"])
            #expect(error.description.contains("1_users.sql"))
        }
        #expect(try !database.tableExists("next"))
        let allowed = try database.migrator(folder).migrate(MigrateRequest(allowChanged: true))
        #expect(allowed.appliedCount == 1)
    }

    @Test func missingFileIsRefused() throws {
        let database = try TestDatabase.create()
        let folder = try MigrationFolder(["1_a.sql": "CREATE TABLE a ();", "2_b.sql": "CREATE TABLE b ();"])
        _ = try database.migrator(folder).migrate()
        try FileManager.default.removeItem(at: folder.url.appendingPathComponent("1_a.sql"))
        #expect(throws: EngineError.self) { try database.migrator(folder).migrate() }
        #expect(try database.migrator(folder).status().states.first?.status == .missing)
    }

    @Test func outOfOrderMigrationsAreAppliedAndFlagged() throws {
        let database = try TestDatabase.create()
        let folder = try MigrationFolder(["1_a.sql": "CREATE TABLE a ();", "3_c.sql": "CREATE TABLE c ();"])
        _ = try database.migrator(folder).migrate()
        try folder.write("2_b.sql", "CREATE TABLE b ();")
        #expect(throws: EngineError.self) { try database.migrator(folder).migrate(MigrateRequest(strictOrder: true)) }
        let report = try database.migrator(folder).migrate()
        #expect(report.steps.map(\.outOfOrder) == [true])
        #expect(try database.trackedVersions() == ["1", "2", "3"])
    }

    @Test func invalidFilesAreRefusedBeforeAnythingRuns() throws {
        let database = try TestDatabase.create()
        let folder = try MigrationFolder(["1_a.sql": "CREATE TABLE a ();", "2_b.sql": "SELECT 'unterminated"])
        #expect(throws: EngineError.self) { try database.migrator(folder).migrate() }
        #expect(try !database.tableExists("a"))
    }

    @Test func legacyMigrationsTableIsAdoptedAndItsFilesNeverRunAgain() throws {
        let database = try TestDatabase.create()
        try database.execute("""
            CREATE TABLE migrations (id serial PRIMARY KEY, filename text NOT NULL, executed_at timestamptz DEFAULT now());
            CREATE TABLE users (id int);
            CREATE TABLE invoices (id int);
            INSERT INTO migrations (filename, executed_at) VALUES
                ('001_create_users.sql', '2024-01-02 03:04:05+00'), ('002_create_invoices.sql', '2024-02-03 04:05:06+00');
            """)
        let folder = try MigrationFolder([
            "001_create_users.sql": "CREATE TABLE users (id int);",
            "002_create_invoices.sql": "CREATE TABLE invoices (id int);",
            "003_add_email.sql": "ALTER TABLE users ADD COLUMN email text;",
        ])
        let status = try database.migrator(folder).status()
        #expect(status.states.map(\.status) == [.applied, .applied, .pending])
        let report = try database.migrator(folder).migrate()
        #expect(report.status == .succeeded)
        #expect(report.steps.map(\.filename) == ["003_add_email.sql"])
        #expect(try database.trackedVersions() == ["001", "002", "003"])
        #expect(try database.scalar("SELECT applied_at = '2024-01-02 03:04:05+00' FROM railyard_migrations WHERE version = '001_create_users'") == "t")
        #expect(try database.migrator(folder).status().states.allSatisfy { $0.status == .applied })
    }

    @Test func trackingTablesLiveInTheConfiguredSchema() throws {
        let database = try TestDatabase.create()
        let folder = try MigrationFolder(["1_a.sql": "CREATE TABLE a ();"])
        _ = try database.migrator(folder) { $0.schema = "ops" }.migrate()
        #expect(try database.tableExists("ops.railyard_migrations"))
        #expect(try database.tableExists("ops.railyard_runs"))
        #expect(try !database.tableExists("public.railyard_migrations"))
    }
}
