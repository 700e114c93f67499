import Foundation
import Testing
import RailyardTestSupport

/// The FlowBooks Associate workflow document (../shared/WORKFLOW.md), walked
/// step by step as the team does it, with the real binaries and a real
/// PostgreSQL: create, edit, lint, pre-deploy, check, redeploy an older
/// version, roll back, gate CI, repair; and adopting the database their Node
/// scripts made.
@Suite("The team's workflow, end to end")
struct TeamWorkflowTests {
    typealias Result = (status: Int32, stdout: String, stderr: String)

    /// `railyard …` run in `directory`, as a developer types it.
    func railyard(_ arguments: [String], in directory: URL, server: APIServer? = nil) throws -> Result {
        var environment: [String: String] = [:]
        if let server {
            environment["RAILYARD_URL"] = server.baseURL
            environment["RAILYARD_TOKEN"] = APIServer.adminToken
        }
        return try Subprocess.run("/bin/sh", ["-c", "cd \"$0\" && exec \"$@\"", directory.path, RepositoryPaths.cliBinary] + arguments,
                                  environment: environment, removing: server == nil ? ["RAILYARD_TOKEN", "RAILYARD_URL"] : [])
    }

    /// `railyard-server …` as Railway's pre-deploy (or a developer) runs it.
    func server(_ arguments: [String], folder: MigrationFolder, database: TestDatabase) throws -> Result {
        try Subprocess.run(RepositoryPaths.serverBinary, [arguments[0], "--dir", folder.url.path] + arguments.dropFirst(),
                           environment: ["DATABASE_URL": database.conninfo])
    }

    static let initialSchema = """
        -- migrate:up
        CREATE TABLE user_profiles (id uuid PRIMARY KEY, status text);
        -- migrate:down
        DROP TABLE user_profiles;
        """

    @Test func fromANewMigrationToAnEmergencyRollback() throws {
        let project = try MigrationFolder()
        let migrations = try project.subfolder("migrations")
        try migrations.write("20250601090000_initial_schema.sql", Self.initialSchema)
        let database = try TestDatabase.create()
        #expect(try server(["migrate"], folder: migrations, database: database).status == 0)
        let previousDeployment = try migrations.snapshot()

        // 1. Creating database changes.
        let created = try railyard(["new", "add_user_preferences"], in: project.url)
        #expect(created.status == 0, "\(created.stderr)")
        let newFile = try #require(try migrations.names().first { $0.hasSuffix("_add_user_preferences.sql") })
        #expect(created.stdout.contains("Created migrations/\(newFile)"))
        let version = String(newFile.prefix(14))

        // 2. Writing the migration SQL, the safe patterns of the document.
        try migrations.write(newFile, """
            -- migrate:up
            ALTER TABLE user_profiles ADD COLUMN IF NOT EXISTS preferences jsonb;
            UPDATE user_profiles SET status = 'active' WHERE status IS NULL;
            -- migrate:down
            ALTER TABLE user_profiles DROP COLUMN IF EXISTS preferences;
            """)
        let lint = try railyard(["lint"], in: project.url)
        #expect(lint.status == 0, "\(lint.stdout)\(lint.stderr)")

        // 3./4. Deploying: Railway's pre-deploy runs migrate.
        let deployed = try server(["migrate"], folder: migrations, database: database)
        #expect(deployed.status == 0, "\(deployed.stderr)")
        #expect(deployed.stdout.contains("✓ Completed migration: \(newFile)"))
        #expect(try database.scalar("SELECT count(*) FROM information_schema.columns WHERE column_name = 'preferences'") == "1")

        // Checking status from a laptop, through the admin API, as a CI gate.
        let api = try APIServer(conninfo: database.conninfo, folder: migrations)
        let gate = try railyard(["status", "--exit-code"], in: project.url, server: api)
        #expect(gate.status == 0, "\(gate.stdout)\(gate.stderr)")
        #expect(gate.stdout.contains("2 applied, 0 pending"))

        // Emergency rollback, step 1: redeploy the previous deployment. Its
        // image lacks the newest file: the pre-deploy must pass and say so.
        let redeployed = try server(["migrate"], folder: previousDeployment, database: database)
        #expect(redeployed.status == 0, "\(redeployed.stderr)")
        #expect(redeployed.stdout.contains("The database is ahead of this folder: \(newFile)"))
        let olderStatus = try server(["status"], folder: previousDeployment, database: database)
        #expect(olderStatus.stdout.contains("ahead"))

        // Step 2: a reverse migration, from the scaffold of the down section.
        let scaffold = try railyard(["rollback-scaffold", version, "--write"], in: project.url, server: api)
        #expect(scaffold.status == 0, "\(scaffold.stderr)")
        #expect(scaffold.stderr.contains("the file's own -- migrate:down section"), "\(scaffold.stderr)")
        let rollbackFile = try #require(try migrations.names().first { $0.contains("_rollback_add_user_preferences") })
        let rolledBack = try server(["migrate"], folder: migrations, database: database)
        #expect(rolledBack.status == 0, "\(rolledBack.stderr)")
        #expect(rolledBack.stdout.contains("✓ Completed migration: \(rollbackFile)"))
        #expect(try database.scalar("SELECT count(*) FROM information_schema.columns WHERE column_name = 'preferences'") == "0")

        // CI gates on status: a pending file fails it, until it is applied.
        try migrations.write("20991231000000_add_sessions.sql", "CREATE TABLE user_sessions (id bigint PRIMARY KEY);")
        let pendingGate = try server(["status", "--exit-code"], folder: migrations, database: database)
        #expect(pendingGate.status == 1)
        #expect(pendingGate.stderr.contains("20991231000000_add_sessions.sql is pending"))
        #expect(try server(["migrate"], folder: migrations, database: database).status == 0)
        #expect(try server(["status", "--exit-code"], folder: migrations, database: database).status == 0)

        // An applied file edited afterwards (a comment in its up section):
        // refused, then accepted by a recorded repair, with nothing run again.
        try migrations.write("20250601090000_initial_schema.sql", Self.initialSchema.replacingOccurrences(
            of: "-- migrate:up\n", with: "-- migrate:up\n-- profiles of FlowBooks users\n"))
        let refused = try server(["migrate"], folder: migrations, database: database)
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("changed since it was applied: 20250601090000_initial_schema.sql"), "\(refused.stderr)")
        #expect(try server(["status", "--exit-code"], folder: migrations, database: database).status == 1)
        let repaired = try railyard(["repair", "accept", "20250601090000", "--reason", "comment only"], in: project.url, server: api)
        #expect(repaired.status == 0, "\(repaired.stderr)")
        #expect(try server(["migrate"], folder: migrations, database: database).stdout.contains("Database is up to date"))
        // The server looks at its folder once a second.
        #expect(try eventually(timeout: 5) { try railyard(["status", "--exit-code"], in: project.url, server: api).status == 0 })
        #expect(try database.scalar("""
            SELECT count(*) FROM railyard_runs r JOIN railyard_run_steps s ON s.run_id = r.id
            WHERE r.trigger = 'repair' AND s.note LIKE '%reason: comment only'
            """) == "1")
    }

    /// The Node scripts wrote `YYYYMMDD_name.sql` and tracked file names in
    /// `migrations`; two files of one day share their digits.
    @Test func adoptingTheNodeScriptsDatabaseWithTwoFilesOfOneDay() throws {
        let database = try TestDatabase.create()
        try database.execute("""
            CREATE TABLE migrations (id serial PRIMARY KEY, filename text NOT NULL UNIQUE, executed_at timestamptz DEFAULT now());
            CREATE TABLE users (id int PRIMARY KEY);
            CREATE TABLE invoices (id int PRIMARY KEY);
            INSERT INTO migrations (filename) VALUES ('20250612_add_users.sql'), ('20250612_add_invoices.sql');
            """)
        let migrations = try MigrationFolder([
            "20250612_add_users.sql": "CREATE TABLE users (id int PRIMARY KEY);",
            "20250612_add_invoices.sql": "CREATE TABLE invoices (id int PRIMARY KEY);",
            "20250613_add_email.sql": "ALTER TABLE users ADD COLUMN email text;",
        ])
        // Neither of the day's files is run again (each would fail: its table exists).
        let adopted = try server(["migrate"], folder: migrations, database: database)
        #expect(adopted.status == 0, "\(adopted.stdout)\(adopted.stderr)")
        #expect(adopted.stdout.contains("Imported 2 migrations"))
        #expect(adopted.stdout.contains("✓ Completed migration: 20250613_add_email.sql"))
        #expect(!adopted.stdout.contains("Completed migration: 20250612"))
        let status = try server(["status", "--exit-code"], folder: migrations, database: database)
        #expect(status.status == 0, "\(status.stdout)\(status.stderr)")
        #expect(status.stdout.contains("3 applied, 0 pending"))
        #expect(try database.scalar("SELECT string_agg(version, ',' ORDER BY version) FROM railyard_migrations")
                == "20250612_add_invoices,20250612_add_users,20250613_add_email")

        // Renaming an applied file: reported, never run again (ALTER would fail).
        try migrations.rename("20250613_add_email.sql", to: "20250614_add_email.sql")
        let renamedStatus = try server(["status"], folder: migrations, database: database)
        #expect(renamedStatus.stdout.contains("renamed (applied as 20250613_add_email.sql)"), "\(renamedStatus.stdout)")
        #expect(!renamedStatus.stdout.contains("missing"))
        let dryRun = try server(["migrate", "--dry-run"], folder: migrations, database: database)
        #expect(dryRun.stdout.contains("Database is up to date"), "\(dryRun.stdout)")
        let renamedRun = try server(["migrate"], folder: migrations, database: database)
        #expect(renamedRun.status == 0, "\(renamedRun.stderr)")
        #expect(renamedRun.stdout.contains("20250614_add_email.sql was applied as 20250613_add_email.sql"))
        // Digits shared by two files name neither; the file name without .sql names one.
        let ambiguous = try server(["repair", "accept", "20250612", "--reason", "x"], folder: migrations, database: database)
        #expect(ambiguous.status != 0)
        #expect(ambiguous.stderr.contains("20250612_add_invoices, 20250612_add_users"), "\(ambiguous.stderr)")
        let accepted = try server(["repair", "accept", "20250614_add_email", "--reason", "renamed"], folder: migrations, database: database)
        #expect(accepted.status == 0, "\(accepted.stderr)")
        #expect(try server(["status"], folder: migrations, database: database).stdout.contains("3 applied, 0 pending"))
        #expect(try database.scalar("SELECT filename FROM railyard_migrations WHERE version = '20250614_add_email'") == "20250614_add_email.sql")

        // The API names a migration the same ways.
        let api = try APIServer(conninfo: database.conninfo, folder: migrations)
        #expect(try api.requestSync("GET", "/api/migrations/20250612", token: .read).status == 400)
        let one = try api.requestSync("GET", "/api/migrations/20250612_add_users", token: .read)
        #expect(one.status == 200)
        #expect(one.json["filename"] as? String == "20250612_add_users.sql")
        #expect(one.json["id"] as? String == "20250612_add_users")
    }

    /// A database an earlier Railyard tracked by digits alone (`001`) is
    /// keyed by file stem on the next run, and nothing runs twice.
    @Test func rowsKeyedByDigitsAloneAreRekeyedOnce() throws {
        let database = try TestDatabase.create()
        let migrations = try MigrationFolder(["001_initial.sql": "CREATE TABLE initial (id int);",
                                              "20250612_add_users.sql": "CREATE TABLE users (id int);"])
        #expect(try server(["migrate"], folder: migrations, database: database).status == 0)
        try database.execute("""
            UPDATE railyard_migrations SET version = substring(version from '^[0-9]+');
            COMMENT ON TABLE railyard_migrations IS NULL;
            """)
        try migrations.write("20250612_add_invoices.sql", "CREATE TABLE invoices (id int);")
        let status = try server(["status"], folder: migrations, database: database)
        #expect(status.stdout.contains("2 applied, 1 pending"), "\(status.stdout)")
        let run = try server(["migrate"], folder: migrations, database: database)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("Applying 1 migration"))
        #expect(try database.scalar("SELECT string_agg(version, ',' ORDER BY version) FROM railyard_migrations")
                == "001_initial,20250612_add_invoices,20250612_add_users")
    }

    /// The re-keying runs for a role that may write the tracking table without owning it.
    @Test func aRoleThatDoesNotOwnTheTrackingTableIsRekeyedToo() throws {
        let database = try TestDatabase.create()
        let migrations = try MigrationFolder(["001_initial.sql": "CREATE TABLE initial (id int);"])
        #expect(try server(["migrate"], folder: migrations, database: database).status == 0)
        let role = "ry_deployer_\(database.name)"
        try database.execute("""
            CREATE ROLE \(role) LOGIN; GRANT USAGE, CREATE ON SCHEMA public TO \(role);
            GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO \(role);
            UPDATE railyard_migrations SET version = '001';
            COMMENT ON TABLE railyard_migrations IS NULL;
            """)
        defer { _ = try? database.execute("DROP OWNED BY \(role); DROP ROLE \(role)") }
        try migrations.write("002_next.sql", "CREATE TABLE next (id int);")
        let run = try Subprocess.run(RepositoryPaths.serverBinary, ["migrate", "--dir", migrations.url.path],
                                     environment: ["DATABASE_URL": database.conninfo + " user=\(role)"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(try database.scalar("SELECT string_agg(version, ',' ORDER BY version) FROM railyard_migrations") == "001_initial,002_next")
    }

    @Test func healthSaysWhetherMigrationsAreUpToDate() throws {
        let database = try TestDatabase.create()
        let migrations = try MigrationFolder(["1_users.sql": "CREATE TABLE users (id int);"])
        let api = try APIServer(conninfo: database.conninfo, folder: migrations)
        func counts() throws -> [String: Any] {
            let health = try api.requestSync("GET", "/api/health", token: .none)
            #expect(health.status == 200)
            return health.json["migrations"] as? [String: Any] ?? [:]
        }
        #expect(try counts()["pending"] as? Int == 1)
        #expect(try counts()["up_to_date"] as? Bool == false)
        #expect(try server(["migrate"], folder: migrations, database: database).status == 0)
        #expect(try eventually(timeout: 5) { try counts()["up_to_date"] as? Bool == true })
        try database.execute("UPDATE railyard_migrations SET status = 'failed'")
        #expect(try eventually(timeout: 5) { try counts()["failed"] as? Int == 1 })
        let words = try Subprocess.run(RepositoryPaths.cliBinary, ["health", "--server", api.baseURL])
        #expect(words.stdout.contains("migrations not up to date: 1 failed"), "\(words.stdout)")
    }
}
