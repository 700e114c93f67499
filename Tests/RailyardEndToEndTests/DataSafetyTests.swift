import Foundation
import Testing
import RailyardTestSupport
@testable import RailyardEngine

/// Resuming a failed migration only where it stopped, and adopting the old
/// scripts' table where they put it.
@Suite("Data safety")
struct DataSafetyTests {
    static let failing = """
        -- railyard:no-transaction
        CREATE TABLE log (n int);
        INSERT INTO log VALUES (1);
        INSERT INTO log VALUES (1 / (SELECT count(*) FROM log WHERE n = 99));
        INSERT INTO log VALUES (3);
        """

    /// A database with `failing` failed at its third statement.
    func failedMigration() throws -> (TestDatabase, MigrationFolder) {
        let database = try TestDatabase.create()
        let folder = try MigrationFolder(["20250101000000_backfill.sql": Self.failing])
        let first = try database.migrateCommand(folder)
        #expect(first.status == 1)
        #expect(try database.scalar("SELECT failed_statement FROM railyard_migrations") == "2")
        return (database, folder)
    }

    @Test func retryResumesWhenOnlyTheFailedStatementChanged() throws {
        let (database, folder) = try failedMigration()
        try folder.write("20250101000000_backfill.sql", Self.failing.replacingOccurrences(of: "1 / (SELECT count(*) FROM log WHERE n = 99)", with: "2"))
        let retry = try database.migrateCommand(folder, ["--retry-failed"])
        #expect(retry.status == 0, "\(retry.stderr)")
        #expect(try database.scalar("SELECT string_agg(n::text, ',' ORDER BY n) FROM log") == "1,2,3", "nothing ran twice")
    }

    @Test(arguments: [
        // An already-run statement deleted: resuming at index 2 would skip "2".
        ("-- railyard:no-transaction\nCREATE TABLE log (n int);\nINSERT INTO log VALUES (2);\nINSERT INTO log VALUES (3);\n", "deleted"),
        // The file shortened: index 2 is past its end, and it would be marked applied.
        ("-- railyard:no-transaction\nCREATE TABLE log (n int);\n", "shortened"),
        // An already-run statement edited.
        (failing.replacingOccurrences(of: "VALUES (1);", with: "VALUES (10);"), "edited"),
    ])
    func retryRefusesWhenWhatAlreadyRanChanged(contents: String, how: String) throws {
        let (database, folder) = try failedMigration()
        try folder.write("20250101000000_backfill.sql", contents)
        let retry = try database.migrateCommand(folder, ["--retry-failed"])
        #expect(retry.status == 1, "\(how): \(retry.stdout)")
        #expect(retry.stderr.contains("statements that already ran have changed"), "\(how): \(retry.stderr)")
        #expect(try database.scalar("SELECT status FROM railyard_migrations") == "failed")
        #expect(try database.scalar("SELECT string_agg(n::text, ',' ORDER BY n) FROM log") == "1")
    }

    @Test func theScriptsTableIsFoundInPublicWhateverTheTrackingSchema() throws {
        let database = try TestDatabase.create()
        try database.execute("""
            CREATE TABLE public.migrations (id serial PRIMARY KEY, filename text NOT NULL, executed_at timestamptz DEFAULT now());
            INSERT INTO public.migrations (filename) VALUES ('001_initial.sql');
            CREATE TABLE initial (id int);
            """)
        let folder = try MigrationFolder(["001_initial.sql": "CREATE TABLE initial (id int);", "002_next.sql": "CREATE TABLE next ();"])
        let result = try database.migrateCommand(folder, environment: ["RAILYARD_SCHEMA": "ops"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("Imported 1 migration"))
        #expect(!result.stdout.contains("001_initial.sql ("), "the adopted migration must not run again")
        #expect(try database.scalar("SELECT string_agg(version, ',' ORDER BY version) FROM ops.railyard_migrations") == "001_initial,002_next")
    }

    @Test func legacyRowsWithoutFilesStopTheAdoption() throws {
        let database = try TestDatabase.create()
        try database.execute("""
            CREATE TABLE migrations (id serial PRIMARY KEY, filename text NOT NULL, executed_at timestamptz DEFAULT now());
            INSERT INTO migrations (filename) VALUES ('001_initial.sql'), ('002_gone.sql'), ('hotfix-by-hand.sql');
            CREATE TABLE initial (id int);
            """)
        let folder = try MigrationFolder(["001_initial.sql": "CREATE TABLE initial (id int);", "003_next.sql": "CREATE TABLE next ();"])
        let refused = try database.migrateCommand(folder)
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("002_gone.sql, hotfix-by-hand.sql"), "\(refused.stderr)")
        #expect(try !database.tableExists("next"))
        #expect(try !database.tableExists("public.railyard_migrations"), "nothing is imported half-way")

        let allowed = try database.migrateCommand(folder, ["--allow-changed"])
        #expect(allowed.status == 0, "\(allowed.stderr)")
        #expect(try database.scalar("SELECT string_agg(version, ',' ORDER BY version) FROM railyard_migrations") == "001_initial,002_gone,003_next")
    }

    /// A Railway service changes behaviour through its variables, without
    /// editing its pre-deploy command; the API and the CLI take the same choices.
    @Test func everyRecoveryFlagHasAVariableAndAnAPIField() throws {
        let (database, folder) = try failedMigration()
        try folder.write("20250101000000_backfill.sql", Self.failing.replacingOccurrences(of: "1 / (SELECT count(*) FROM log WHERE n = 99)", with: "2"))
        #expect(try database.migrateCommand(folder).status == 1, "a failed migration refuses by default")
        let resumed = try database.migrateCommand(folder, environment: ["RAILYARD_RETRY_FAILED": "true"])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(try database.migrateCommand(folder, environment: ["RAILYARD_RETRY_FAILED": "maybe"]).status == 64)

        try folder.write("20250101000000_backfill.sql", Self.failing + "\n-- edited after it was applied\nSELECT 4;\n")
        #expect(try database.migrateCommand(folder).status == 1, "a changed migration refuses by default")
        #expect(try database.migrateCommand(folder, environment: ["RAILYARD_ALLOW_CHANGED": "1"]).status == 0)

        let api = try APIServer(conninfo: database.conninfo, folder: folder)
        let started = try api.requestSync("POST", "/api/runs", body: #"{"allow_changed": true, "retry_failed": true, "strict_order": true, "strict": false}"#)
        #expect(started.status == 202, "\(started.text)")
        let id = try #require(started.json["id"] as? String)
        #expect(try api.waitForRunSync(id)["status"] as? String == "succeeded")
        let cli = try Subprocess.run(RepositoryPaths.cliBinary, ["migrate", "--allow-changed", "--strict-order"],
                                     environment: ["RAILYARD_URL": api.baseURL, "RAILYARD_TOKEN": APIServer.adminToken])
        #expect(cli.status == 0, "\(cli.stderr)")
    }
}
