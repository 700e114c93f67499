import Foundation
import Testing
import RailyardTestSupport

/// The real `railyard` binary against a real `railyard-server`.
@Suite("railyard CLI end to end")
struct CLITests {
    static let files = [
        "1_users.sql": "-- migrate:up\nCREATE TABLE users (id int PRIMARY KEY);\n-- migrate:down\nDROP TABLE users;\n",
        "2_emails.sql": "CREATE TABLE emails (id int, user_id int REFERENCES users (id));\nALTER TABLE users ADD COLUMN name text;\n",
    ]

    func server(_ files: [String: String] = CLITests.files, conninfo: String? = nil, environment: [String: String] = [:]) throws -> (APIServer, TestDatabase) {
        let database = try TestDatabase.create()
        let folder = try MigrationFolder(files)
        return (try APIServer(conninfo: conninfo ?? database.conninfo, folder: folder, environment: environment), database)
    }

    /// Runs `railyard` in `directory` (default: a fresh empty one).
    func cli(_ arguments: [String], server: APIServer?, token: String? = APIServer.adminToken,
             directory: String? = nil, environment: [String: String] = [:]) throws -> (status: Int32, stdout: String, stderr: String) {
        var env = environment
        if let server { env["RAILYARD_URL"] = server.baseURL }
        if let token { env["RAILYARD_TOKEN"] = token }
        let cwd = directory ?? FileManager.default.temporaryDirectory.path
        return try Subprocess.run("/bin/sh", ["-c", "cd \"$0\" && exec \"$@\"", cwd, RepositoryPaths.cliBinary] + arguments,
                                  environment: env, removing: token == nil ? ["RAILYARD_TOKEN"] : [])
    }

    @Test func healthExitCodes() throws {
        let (api, _) = try server()
        let healthy = try cli(["health"], server: api)
        #expect(healthy.status == 0)
        #expect(healthy.stdout.contains("healthy: database connected"))
        let json = try cli(["health", "--json"], server: api)
        #expect(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) is [String: Any])

        let (sick, _) = try server(conninfo: "host=127.0.0.1 port=1 user=postgres dbname=x connect_timeout=2")
        let unhealthy = try cli(["health"], server: sick)
        #expect(unhealthy.status == 1)
        #expect(unhealthy.stdout.contains("unhealthy"))

        let unreachable = try cli(["health", "--server", "http://127.0.0.1:1"], server: nil)
        #expect(unreachable.status == 3)
        #expect(unreachable.stderr.contains("cannot connect"))
        let tls = try cli(["health", "--server", "https://127.0.0.1:\(api.port)"], server: nil)
        #expect(tls.status == 3)
        #expect(tls.stderr.contains("TLS failed"))
    }

    /// `health` in its plain form skips the argument parser; every other
    /// form goes through it. Both must answer alike.
    @Test func healthArgumentsInEveryForm() throws {
        let (api, _) = try server()
        for form in [["--server", api.baseURL, "--json", "--timeout", "5"], ["--server=\(api.baseURL)", "--json"],
                     ["--json", "--server", api.baseURL, "--allow-insecure-http"]] {
            let result = try cli(["health"] + form, server: nil)
            #expect(result.status == 0, "\(form): \(result.stderr)")
            let body = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
            #expect(body?["status"] as? String == "ok", "\(form)")
        }
        let zero = try cli(["health", "--timeout", "0"], server: api)
        #expect(zero.status == 64)
        #expect(zero.stderr.contains("--timeout must be a positive number of seconds"))
        let ftp = try cli(["health", "--server", "ftp://example.com"], server: nil)
        #expect(ftp.status == 64)
        #expect(ftp.stderr.contains("--server must be an http:// or https:// URL"))
        let missingValue = try cli(["health", "--server"], server: nil)
        #expect(missingValue.status == 64)
        let help = try cli(["health", "--help"], server: nil)
        #expect(help.status == 0)
        #expect(help.stdout.contains("USAGE: railyard health"))
        let noColor = try cli(["health", "--server", api.baseURL], server: nil)
        #expect(noColor.stdout == "✓ healthy: database connected (railyard \(try #require(Self.version(noColor.stdout)))); migrations not up to date: 2 pending\n")
    }

    static func version(_ line: String) -> String? {
        guard let start = line.range(of: "(railyard ")?.upperBound, let end = line.range(of: ")", range: start..<line.endIndex)?.lowerBound
        else { return nil }
        return String(line[start..<end])
    }

    @Test func authenticationExitCodes() throws {
        let (api, _) = try server()
        let wrong = try cli(["status"], server: api, token: "wrong")
        #expect(wrong.status == 4)
        #expect(wrong.stderr.contains("not authenticated"))
        let readOnly = try cli(["migrate"], server: api, token: APIServer.readToken)
        #expect(readOnly.status == 4)
        #expect(readOnly.stderr.contains("not allowed"))
        let missing = try cli(["status"], server: api, token: nil)
        #expect(missing.status == 4)
        #expect(try cli(["status"], server: api, token: APIServer.readToken).status == 0)
    }

    @Test func usageErrorsAndTheInsecureHTTPRefusal() throws {
        #expect(try cli(["status", "--no-such-flag"], server: nil).status == 64)
        #expect(try cli(["runs", "not-a-uuid"], server: nil).status == 64)
        #expect(try cli(["rollback-scaffold", "v1"], server: nil).status == 64)
        let insecure = try cli(["status", "--server", "http://db.example.com:8080"], server: nil, token: "secret")
        #expect(insecure.status == 64)
        #expect(insecure.stderr.contains("refusing to send the token over plain http://"))
        // With the override it goes ahead (and, here, cannot resolve the host).
        let allowed = try cli(["status", "--server", "http://nonexistent.invalid:8080", "--allow-insecure-http", "--timeout", "5"], server: nil, token: "secret")
        #expect(allowed.status == 3)
    }

    @Test func tokenIsPickedUpFromTheLocalServersFile() throws {
        let (api, _) = try server(environment: ["RAILYARD_ADMIN_TOKEN": ""])
        let state = api.folder.url.appendingPathComponent(".railyard").path
        // The token is written once the port is bound, just after the server says it listens.
        #expect(eventually(timeout: 10) { FileManager.default.fileExists(atPath: state + "/admin-token") })
        let attributes = try FileManager.default.attributesOfItem(atPath: state + "/admin-token")
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        let status = try cli(["status"], server: api, token: nil, directory: api.folder.url.path)
        #expect(status.status == 0, "\(status.stderr)")
        #expect(status.stdout.contains("0 applied, 2 pending"))
    }

    @Test func statusRunsAndMigrateFollowTheServer() throws {
        let (api, database) = try server()
        let before = try cli(["status"], server: api)
        #expect(before.status == 0)
        #expect(before.stdout.contains("VERSION") && before.stdout.contains("0 applied, 2 pending"))
        let json = try cli(["status", "--json"], server: api)
        let listing = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect((listing["summary"] as? [String: Int])?["pending"] == 2)

        let migrate = try cli(["migrate"], server: api)
        #expect(migrate.status == 0, "\(migrate.stderr)")
        #expect(migrate.stdout.contains("✓ Completed migration: 1_users.sql ("))
        #expect(migrate.stdout.contains("✓ Completed migration: 2_emails.sql ("))
        #expect(!migrate.stdout.contains("\u{1B}["), "no colour or progress bar when piped")
        #expect(try database.trackedVersions() == ["1", "2"])

        let runs = try cli(["runs"], server: api)
        #expect(runs.status == 0)
        #expect(runs.stdout.contains("succeeded"))
        let runsJSON = try cli(["runs", "--json"], server: api)
        let list = try #require(try JSONSerialization.jsonObject(with: Data(runsJSON.stdout.utf8)) as? [String: Any])
        let id = try #require((list["runs"] as? [[String: Any]])?.first?["id"] as? String)
        let one = try cli(["runs", id], server: api)
        #expect(one.status == 0)
        #expect(one.stdout.contains("2_emails.sql") && one.stdout.contains("applied"))
        #expect(try cli(["runs", "00000000-0000-0000-0000-000000000000"], server: api).status == 1)
    }

    @Test func migrateThatFailsMidwayExitsOneWithThePosition() throws {
        var files = Self.files
        files["3_broken.sql"] = "CREATE TABLE ok ();\n  INSERT INTO missing VALUES (1);\n"
        let (api, database) = try server(files)
        let result = try cli(["migrate"], server: api)
        #expect(result.status == 1)
        #expect(result.stdout.contains("✓ Completed migration: 2_emails.sql"))
        #expect(result.stdout.contains("✗ Failed migration: 3_broken.sql"))
        #expect(result.stderr.contains("3_broken.sql:2:15: ERROR 42P01"), "\(result.stderr)")
        #expect(try database.trackedVersions() == ["1", "2"])
        let json = try cli(["migrate", "--json"], server: api)
        #expect(json.status == 1)
        let run = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect(run["status"] as? String == "failed")
    }

    @Test func rollbackScaffoldWriteProducesALintCleanFile() throws {
        let (api, _) = try server()
        let printed = try cli(["rollback-scaffold", "2"], server: api)
        #expect(printed.status == 0)
        #expect(printed.stdout.contains("ALTER TABLE users DROP COLUMN IF EXISTS name;"))
        let project = try MigrationFolder()
        let migrations = project.url.appendingPathComponent("migrations")
        try FileManager.default.createDirectory(at: migrations, withIntermediateDirectories: true)
        for (name, contents) in Self.files { try contents.write(to: migrations.appendingPathComponent(name), atomically: true, encoding: .utf8) }
        let written = try cli(["rollback-scaffold", "2", "--write"], server: api, directory: project.url.path)
        #expect(written.status == 0, "\(written.stderr)")
        let names = try FileManager.default.contentsOfDirectory(atPath: migrations.path)
        let scaffold = try #require(names.first { $0.hasSuffix("_rollback_emails.sql") })
        #expect(try String(contentsOf: migrations.appendingPathComponent(scaffold), encoding: .utf8).contains("DROP TABLE IF EXISTS emails;"))
        let lint = try cli(["lint"], server: nil, directory: project.url.path)
        #expect(lint.status == 0, "\(lint.stdout)")
        #expect(try cli(["rollback-scaffold", "99"], server: api).status == 1)
    }

    @Test func newCreatesATemplateAndNeverOverwrites() throws {
        let project = try MigrationFolder()
        let created = try cli(["new", "add_invoices"], server: nil, directory: project.url.path)
        #expect(created.status == 0, "\(created.stderr)")
        let migrations = project.url.appendingPathComponent("migrations")
        let file = try #require(try FileManager.default.contentsOfDirectory(atPath: migrations.path).first)
        #expect(file.range(of: #"^\d{14}_add_invoices\.sql$"#, options: .regularExpression) != nil)
        let text = try String(contentsOf: migrations.appendingPathComponent(file), encoding: .utf8)
        #expect(text.contains("-- migrate:up") && text.contains("-- migrate:down"))
        #expect(try cli(["lint"], server: nil, directory: project.url.path).status == 0)

        #expect(try cli(["new", "Add-Invoices"], server: nil, directory: project.url.path).status == 64)
        #expect(try cli(["new", "add invoices"], server: nil, directory: project.url.path).status == 64)

        // Files already there for the next few seconds are never replaced.
        let formatter = DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMddHHmmss"
        let start = Date()
        for second in 0..<5 {
            try "keep me".write(to: migrations.appendingPathComponent("\(formatter.string(from: start.addingTimeInterval(Double(second))))_taken.sql"),
                                atomically: true, encoding: .utf8)
        }
        let clash = try cli(["new", "taken"], server: nil, directory: project.url.path)
        #expect(clash.status == 0, "a version in use is skipped: \(clash.stderr)")
        let taken = try FileManager.default.contentsOfDirectory(atPath: migrations.path).filter { $0.hasSuffix("_taken.sql") }
        #expect(taken.count == 6)
        let kept = try taken.filter { try String(contentsOf: migrations.appendingPathComponent($0), encoding: .utf8) == "keep me" }
        #expect(kept.count == 5, "the files already there are never replaced")
    }

    @Test func lintReportsPositionsAndExitsOneOnErrors() throws {
        let project = try MigrationFolder()
        let migrations = project.url.appendingPathComponent("migrations")
        try FileManager.default.createDirectory(at: migrations, withIntermediateDirectories: true)
        try "CREATE TABLE a ();\nCOMMIT;\n".write(to: migrations.appendingPathComponent("1_a.sql"), atomically: true, encoding: .utf8)
        try "notes".write(to: migrations.appendingPathComponent("README.md"), atomically: true, encoding: .utf8)
        try "SELECT 1;".write(to: migrations.appendingPathComponent("Bad Name.sql"), atomically: true, encoding: .utf8)
        let lint = try cli(["lint"], server: nil, directory: project.url.path)
        #expect(lint.status == 1)
        #expect(lint.stdout.contains("1_a.sql:2:1: error[transaction-control]"))
        #expect(lint.stdout.contains("Bad Name.sql:1:1: error[file-name]"))
        #expect(lint.stdout.contains("README.md: ignored"))
        let json = try cli(["lint", "--json"], server: nil, directory: project.url.path)
        let report = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect(report["errors"] as? Int == 2)
    }

    @Test func globalOptionsComeBeforeOrAfterTheCommand() throws {
        let (api, _) = try server()
        for arguments in [["--server", api.baseURL, "status"], ["--server=\(api.baseURL)", "--json", "status"],
                          ["--token", APIServer.adminToken, "--server", api.baseURL, "runs", "--limit", "5"], ["status", "--server", api.baseURL]] {
            let result = try cli(arguments, server: nil)
            #expect(result.status == 0, "\(arguments): \(result.stderr)")
        }
        #expect(try cli(["--server", api.baseURL, "--bogus", "status"], server: nil).status == 64)
    }

    @Test func theLocalTokenIsFoundFromASubfolder() throws {
        let folder = try MigrationFolder(CLITests.files)
        let database = try TestDatabase.create()
        let api = try APIServer(conninfo: database.conninfo, folder: folder, environment: ["RAILYARD_ADMIN_TOKEN": ""])
        #expect(eventually(timeout: 10) { FileManager.default.fileExists(atPath: folder.url.path + "/.railyard/admin-token") })
        let nested = folder.url.appendingPathComponent("app/src").path
        try FileManager.default.createDirectory(atPath: nested, withIntermediateDirectories: true)
        let result = try cli(["status"], server: api, token: nil, directory: nested, environment: ["RAILYARD_STATE_DIR": ""])
        #expect(result.status == 0, "\(result.stderr)")
    }

    @Test func newNeverCollidesSuggestsNamesAndKnowsWhenItIsInMigrations() throws {
        let project = try MigrationFolder()
        for _ in 0..<3 {
            #expect(try cli(["new", "add_user_prefs"], server: nil, directory: project.url.path).status == 0)
        }
        let names = try FileManager.default.contentsOfDirectory(atPath: project.url.path + "/migrations")
        #expect(Set(names.map { $0.prefix(14) }).count == 3, "three files, three versions: \(names)")
        let lint = try cli(["lint"], server: nil, directory: project.url.path)
        #expect(lint.status == 0 && lint.stdout.contains("3 files checked"), "\(lint.stdout)")

        let inside = try cli(["new", "from_inside"], server: nil, directory: project.url.path + "/migrations")
        #expect(inside.status == 0, "\(inside.stderr)")
        #expect(!FileManager.default.fileExists(atPath: project.url.path + "/migrations/migrations"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: project.url.path + "/migrations").count == 4)

        let hyphen = try cli(["new", "add-user-prefs"], server: nil, directory: project.url.path)
        #expect(hyphen.status == 64)
        #expect(hyphen.stderr.contains("try railyard new add_user_prefs"), "\(hyphen.stderr)")

        let one = try MigrationFolder(["1_a.sql": "SELECT 1;"])
        #expect(try cli(["lint", "--dir", one.url.path], server: nil).stdout.contains("1 file checked"))
    }

    @Test func scaffoldsSayWhereTheirSQLComesFrom() throws {
        let (api, _) = try server()
        let own = try cli(["rollback-scaffold", "1"], server: api)
        #expect(own.status == 0 && own.stderr.contains("the file's own -- migrate:down section"), "\(own.stderr)")
        let generated = try cli(["rollback-scaffold", "2"], server: api)
        #expect(generated.status == 0 && generated.stderr.contains("generated"), "\(generated.stderr)")
    }

    /// What railyard-server migrate prints, the CLI prints too.
    @Test func migrateShowsTheHeaderNoticesAndTheTotal() throws {
        let (api, _) = try server(["1_notice.sql": "DO $$ BEGIN RAISE NOTICE 'backfilled % rows', 42; END $$;", "2_b.sql": "CREATE TABLE b ();"])
        let dry = try cli(["migrate", "--dry-run"], server: api)
        #expect(dry.status == 0, "\(dry.stderr)")
        #expect(!dry.stdout.contains("already exists"), "Railyard's own notices are not the migration's: \(dry.stdout)")
        let result = try cli(["migrate"], server: api)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("Applying 2 migrations"), "\(result.stdout)")
        #expect(result.stdout.contains("1_notice.sql: NOTICE: backfilled 42 rows"), "\(result.stdout)")
        #expect(result.stdout.contains("2 migrations applied ("), "\(result.stdout)")
    }

    /// A real history (Lemmy's, 342 files) lints without a false error; a
    /// project file turns rules off or up and lints only files from a version on.
    @Test func aRealHistoryLintsCleanAndTheProjectSetsTheRules() throws {
        let lemmy = RepositoryPaths.root.deletingLastPathComponent().appendingPathComponent("shared/corpus/lemmy").path
        if FileManager.default.fileExists(atPath: lemmy) {
            let result = try cli(["lint", "--dir", lemmy], server: nil)
            #expect(result.status == 0, "\(result.stdout.split(separator: "\n").filter { $0.contains("error[") }.prefix(5))")
            #expect(result.stdout.contains("0 errors"))
        } else {
            print("aRealHistoryLintsClean: did not run the Lemmy part: no ../shared/corpus next to the repository")
        }
        let project = try MigrationFolder()
        let migrations = project.url.appendingPathComponent("migrations")
        try FileManager.default.createDirectory(at: migrations, withIntermediateDirectories: true)
        try "CREATE TABLE a (id int);".write(to: migrations.appendingPathComponent("1_a.sql"), atomically: true, encoding: .utf8)
        try "ALTER TABLE a DROP COLUMN id;".write(to: migrations.appendingPathComponent("2_b.sql"), atomically: true, encoding: .utf8)
        let before = try cli(["lint"], server: nil, directory: project.url.path)
        #expect(before.status == 0 && before.stdout.contains("warning[create-table-if-not-exists]"))
        try "create-table-if-not-exists = off\ndrop-column = error\n".write(to: project.url.appendingPathComponent("railyard-lint.conf"), atomically: true, encoding: .utf8)
        let configured = try cli(["lint"], server: nil, directory: project.url.path)
        #expect(configured.status == 1, "drop-column is an error now: \(configured.stdout)")
        #expect(!configured.stdout.contains("create-table-if-not-exists"))
        try "since = 2\ndrop-column = error\n".write(to: project.url.appendingPathComponent("railyard-lint.conf"), atomically: true, encoding: .utf8)
        let since = try cli(["lint"], server: nil, directory: project.url.path)
        #expect(!since.stdout.contains("1_a.sql"), "\(since.stdout)")
        try "drop-column = maybe\n".write(to: project.url.appendingPathComponent("railyard-lint.conf"), atomically: true, encoding: .utf8)
        let bad = try cli(["lint"], server: nil, directory: project.url.path)
        #expect(bad.status == 64 && bad.stderr.contains("railyard-lint.conf:1: the level is off, warning or error"), "\(bad.stderr)")
    }
}
