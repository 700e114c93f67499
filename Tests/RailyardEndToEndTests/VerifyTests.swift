import Foundation
import Testing
import RailyardTestSupport

/// `railyard-server verify`, the successor of test-migration.js: the real
/// binary replaying folders on a throwaway PostgreSQL (or a scratch
/// database on a given server).
@Suite("verify")
struct VerifyTests {
    typealias Result = (status: Int32, stdout: String, stderr: String)

    func verify(_ files: [String: String], _ arguments: [String] = [], schema: String? = nil) throws -> Result {
        let project = try MigrationFolder()
        let migrations = try project.subfolder("migrations")
        for (name, contents) in files { try migrations.write(name, contents) }
        if let schema { try project.write("schema.sql", schema) }
        return try verify(folder: migrations, arguments)
    }

    func verify(folder: MigrationFolder, _ arguments: [String] = []) throws -> Result {
        try Subprocess.run(RepositoryPaths.serverBinary, ["verify", "--dir", folder.url.path] + arguments, timeout: 120)
    }

    @Test func aMissingSemicolonIsFoundWithItsPositionBeforeADeploy() throws {
        let result = try verify(["1_users.sql": "CREATE TABLE users (id int PRIMARY KEY)\nCREATE INDEX users_id_idx ON users (id);\n"])
        #expect(result.status == 1)
        #expect(result.stdout.contains("error [replay] 1_users.sql:2:1: 42601: fails on an empty database: syntax error at or near \"CREATE\""), "\(result.stdout)")
        #expect(result.stdout.contains("0 of 1 migration replayed"))
    }

    @Test func aMigrationThatNeedsWhatOnlyProductionHasFails() throws {
        let result = try verify([
            "1_users.sql": "CREATE TABLE users (id int);",
            "2_notes.sql": "-- added by hand in production once\nALTER TABLE legacy_accounts ADD COLUMN IF NOT EXISTS note text;",
            "3_later.sql": "CREATE TABLE later (id int);",
        ])
        #expect(result.status == 1)
        #expect(result.stdout.contains("error [replay] 2_notes.sql:2:1: 42P01: fails on an empty database: relation \"legacy_accounts\" does not exist"), "\(result.stdout)")
        #expect(result.stdout.contains("1 of 3 migrations replayed"))
        #expect(!result.stdout.contains("3_later.sql"), "nothing after a failure is tried")
    }

    @Test func migrationsThatAreNotSafeToRerunAreWarningsOrStrictErrors() throws {
        let files = [
            "1_users.sql": "CREATE TABLE IF NOT EXISTS users (id int);",
            "2_nickname.sql": "ALTER TABLE users ADD COLUMN IF NOT EXISTS plan text;\nALTER TABLE users ADD COLUMN nickname text;",
            "3_index.sql": "CREATE INDEX ON users (id);",
        ]
        let result = try verify(files)
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("warning [rerun] 2_nickname.sql:2:1: 42701: not safe to re-run: column \"nickname\" of relation \"users\" already exists"), "\(result.stdout)")
        #expect(result.stdout.contains("warning [rerun] 3_index.sql: not safe to re-run: applying it again changes index public.users_id_idx1"), "\(result.stdout)")
        #expect(result.stdout.contains("+CREATE INDEX users_id_idx1 ON public.users USING btree (id);"))
        #expect(!result.stdout.contains("[rerun] 1_users.sql"))
        let strict = try verify(files, ["--strict"])
        #expect(strict.status == 1)
        #expect(strict.stdout.contains("error [rerun] 2_nickname.sql:2:1"))
    }

    @Test func aDownSectionThatDoesNotUndoUpIsAnErrorWithADiff() throws {
        let result = try verify([
            "1_users.sql": "-- migrate:up\nCREATE TABLE users (id int);\nCREATE INDEX users_id_idx ON users (id);\n-- migrate:down\nDROP INDEX users_id_idx;\n",
            "2_sessions.sql": "-- migrate:up\nCREATE TABLE sessions (id int);\n-- migrate:down\nDROP TABLE sessions;\n",
            "3_generated.sql": "CREATE TABLE audit (id int);",
            "4_broken_down.sql": "-- migrate:up\nCREATE TABLE notes (id int);\n-- migrate:down\nDROP TABLE note;\n",
            "5_concurrent_down.sql": "-- migrate:up\nCREATE INDEX notes_id_idx ON notes (id);\n-- migrate:down\nDROP INDEX CONCURRENTLY notes_id_idx;\n",
        ])
        #expect(result.status == 1)
        #expect(result.stdout.contains("error [down] 1_users.sql: its down section does not undo up: table public.users differ from before"), "\(result.stdout)")
        #expect(result.stdout.contains("    +-- table: public.users\n    +CREATE TABLE public.users (\n    +    id integer\n    +);"), "\(result.stdout)")
        #expect(!result.stdout.contains("standard public schema"), "the diff shows the objects that differ, not the whole schema")
        #expect(result.stdout.contains("error [down] 4_broken_down.sql:4:1: 42P01: its down section fails: table \"note\" does not exist"), "\(result.stdout)")
        #expect(result.stdout.contains("note [down] 5_concurrent_down.sql: its down section runs outside a transaction"), "\(result.stdout)")
        #expect(!result.stdout.contains("[down] 2_sessions.sql") && !result.stdout.contains("[down] 3_generated.sql"),
                "a down section and a generated scaffold that round-trip are fine")
    }

    @Test func theShippedMigrationsVerifyCleanAgainstTheirSchemaFile() throws {
        let shipped = RepositoryPaths.root.appendingPathComponent("migrations")
        let result = try Subprocess.run(RepositoryPaths.serverBinary, ["verify", "--dir", shipped.path], timeout: 120)
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("✓ 8 of 8 migrations replayed on a throwaway PostgreSQL"))
        #expect(result.stdout.contains("0 errors, 0 warnings"), "\(result.stdout)")

        // In CI: a scratch database on the PostgreSQL service, dropped afterwards.
        let database = try TestDatabase.create()
        let shadow = try Subprocess.run(RepositoryPaths.serverBinary, ["verify", "--dir", shipped.path, "--shadow-url", database.conninfo],
                                        timeout: 120)
        #expect(shadow.status == 0, "\(shadow.stdout)\(shadow.stderr)")
        #expect(shadow.stdout.contains("on a scratch database railyard_verify_"))
        #expect(try database.scalar("SELECT count(*) FROM pg_database WHERE datname LIKE 'railyard_verify_%'") == "0")
    }

    @Test func aSchemaFileThatDoesNotMatchTheMigrationsFails() throws {
        let files = ["1_users.sql": "CREATE TABLE IF NOT EXISTS users (id int, email text);"]
        let project = try MigrationFolder()
        let migrations = try project.subfolder("migrations")
        for (name, contents) in files { try migrations.write(name, contents) }
        let missing = try verify(folder: migrations)
        #expect(missing.status == 0)
        #expect(missing.stdout.contains("warning [schema_file] there is no schema file at"))
        let written = try verify(folder: migrations, ["--write-schema"])
        #expect(written.status == 0)
        #expect(try project.read("schema.sql").contains("CREATE TABLE public.users (\n    id integer,\n    email text\n);"))
        #expect(try verify(folder: migrations).stdout.contains("0 errors, 0 warnings"))

        try migrations.write("1_users.sql", "CREATE TABLE IF NOT EXISTS users (id int, email text NOT NULL);")
        let stale = try verify(folder: migrations)
        #expect(stale.status == 1)
        #expect(stale.stdout.contains("error [schema_file] the schema file does not match the schema the migrations build (table public.users)"), "\(stale.stdout)")
        #expect(stale.stdout.contains("+    email text NOT NULL"))
        let json = try verify(folder: migrations, ["--json"])
        let report = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        #expect((report?["findings"] as? [[String: Any]])?.first?["check"] as? String == "schema_file", "\(json.stdout)")
    }
}
