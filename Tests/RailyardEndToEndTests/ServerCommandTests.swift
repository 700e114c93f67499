import Foundation
import Testing
import RailyardTestSupport
@testable import RailyardEngine

/// `railyard-server` run as Railway and developers run it.
@Suite("railyard-server direct commands")
struct ServerCommandTests {
    func run(_ arguments: [String], database: TestDatabase?, extra: [String: String] = [:]) throws -> (status: Int32, stdout: String, stderr: String) {
        var environment = extra
        if let database { environment["DATABASE_URL"] = database.conninfo }
        return try Subprocess.run(RepositoryPaths.serverBinary, arguments, environment: environment,
                                  removing: database == nil ? ["DATABASE_URL"] : [])
    }

    @Test func migrateLogsEachMigrationAndReportsFailuresWithPositions() throws {
        let database = try TestDatabase.create()
        let folder = try MigrationFolder([
            "20250101000000_first.sql": "CREATE TABLE first ();",
            "20250102000000_broken.sql": "CREATE TABLE ok ();\nCREATE TABLE bad (id integer REFERENCES missing (id));",
        ])
        let result = try run(["migrate", "--dir", folder.url.path], database: database)
        #expect(result.status == 1)
        #expect(result.stdout.contains("✓ Completed migration: 20250101000000_first.sql ("))
        #expect(result.stderr.contains("✗ Failed migration: 20250102000000_broken.sql"))
        #expect(result.stderr.contains("20250102000000_broken.sql:2:"))
        #expect(result.stderr.contains("ERROR 42P01"))
    }

    @Test func migrateJSONIsTheReport() throws {
        let database = try TestDatabase.create()
        let folder = try MigrationFolder(["1_a.sql": "CREATE TABLE a ();", "2_b.sql": "SELECT 1/0;"])
        let result = try run(["migrate", "--json", "--dir", folder.url.path], database: database)
        #expect(result.status == 1)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(json["status"] as? String == "failed")
        let failure = try #require(json["error"] as? [String: Any])
        #expect(failure["sqlstate"] as? String == "22012")
        #expect(failure["filename"] as? String == "2_b.sql")
        #expect(failure["line"] as? Int == 1)
        let steps = try #require(json["steps"] as? [[String: Any]])
        #expect(steps.map { $0["status"] as? String } == ["applied", "failed"])
    }

    @Test func statusShowsEveryMigration() throws {
        let database = try TestDatabase.create()
        let folder = try MigrationFolder(["1_a.sql": "CREATE TABLE a ();", "2_b.sql": "CREATE TABLE b ();"])
        #expect(try run(["migrate", "--dir", folder.url.path, "--target", "1"], database: database).status == 0)
        let table = try run(["status", "--dir", folder.url.path], database: database)
        #expect(table.status == 0)
        #expect(table.stdout.contains("1 applied, 1 pending"))
        let json = try run(["status", "--json", "--dir", folder.url.path], database: database)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let summary = try #require(object["summary"] as? [String: Int])
        #expect(summary["applied"] == 1 && summary["pending"] == 1 && summary["total"] == 2)
        let migrations = try #require(object["migrations"] as? [[String: Any]])
        #expect(migrations.map { $0["status"] as? String } == ["applied", "pending"])
        #expect(migrations[0]["applied_at"] is String)
    }

    @Test func invalidFilesAreListedWithPositionsAndNothingRuns() throws {
        let database = try TestDatabase.create()
        let folder = try MigrationFolder(["1_a.sql": "CREATE TABLE a ();", "2_b.sql": "CREATE TABLE b ();\nCREATE INDEX CONCURRENTLY i ON b (x);"])
        let result = try run(["migrate", "--dir", folder.url.path], database: database)
        #expect(result.status == 1)
        #expect(result.stderr.contains("2_b.sql:2:1: error[non-transactional-statement]"))
        #expect(try !database.tableExists("a"))
    }

    @Test func unreachableDatabaseExitsThree() throws {
        let folder = try MigrationFolder(["1_a.sql": "CREATE TABLE a ();"])
        let result = try Subprocess.run(RepositoryPaths.serverBinary, ["migrate", "--dir", folder.url.path],
                                        environment: ["DATABASE_URL": "postgresql://postgres@127.0.0.1:1/none?connect_timeout=2"])
        #expect(result.status == 3)
        #expect(result.stderr.contains("cannot connect to the database"))
    }

    @Test func usageErrorsExitSixtyFour() throws {
        let result = try Subprocess.run(RepositoryPaths.serverBinary, ["migrate", "--lock-timeout", "soon"])
        #expect(result.status == 64)
        #expect(result.stderr.contains("--lock-timeout"))
        #expect(try Subprocess.run(RepositoryPaths.serverBinary, ["migrate", "--target", "v2"]).status == 64)
    }

    @Test func waitSucceedsOnALiveDatabaseAndTimesOutOnADeadOne() throws {
        let database = try TestDatabase.create()
        let live = try run(["wait", "--timeout", "5"], database: database)
        #expect(live.status == 0)
        #expect(live.stdout.contains("accepting connections"))
        let started = Date()
        let dead = try Subprocess.run(RepositoryPaths.serverBinary, ["wait", "--timeout", "1"],
                                      environment: ["DATABASE_URL": "postgresql://postgres@127.0.0.1:1/none"])
        #expect(dead.status == 3)
        #expect(Date().timeIntervalSince(started) < 10)
    }

    @Test func setupChecksTheServerAndMigrates() throws {
        let database = try TestDatabase.create()
        let folder = try MigrationFolder.repository()
        let result = try run(["setup", "--dir", folder.url.path], database: database)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("✓ Connected: PostgreSQL 15"))
        #expect(result.stdout.contains("✓ Extension uuid-ossp is available"))
        #expect(result.stdout.contains("✓ Tracking tables ready"))
        #expect(result.stdout.contains("✓ Completed migration: 20250612152230_add_user_sessions.sql ("))
        #expect(result.stdout.contains("✓ Setup complete"))
    }

    /// `setup --help` offers --json: it prints one JSON document and nothing else.
    @Test func setupJSONIsOneDocument() throws {
        let database = try TestDatabase.create()
        let folder = try MigrationFolder(["1_a.sql": "CREATE TABLE a (id int);"])
        let result = try run(["setup", "--dir", folder.url.path, "--json"], database: database)
        #expect(result.status == 0, "\(result.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], "\(result.stdout)")
        #expect((report["server"] as? [String: Any])?["version"] as? String != nil)
        #expect((report["extensions"] as? [[String: Any]])?.map { $0["name"] as? String } == ["uuid-ossp", "pgcrypto"])
        #expect((report["run"] as? [String: Any])?["status"] as? String == "succeeded")
        let failed = try run(["setup", "--dir", folder.url.path, "--json",
                              "--database-url", "host=127.0.0.1 port=1 user=x dbname=x connect_timeout=2"], database: nil)
        #expect(failed.status == 3)
        let problem = try JSONSerialization.jsonObject(with: Data(failed.stdout.utf8)) as? [String: Any]
        #expect((problem?["error"] as? [String: Any])?["kind"] as? String == "unreachable", "\(failed.stdout)")
    }

    /// The table people read at a deploy: each column as wide as its widest
    /// cell, two spaces between columns, none at a line's end.
    @Test func statusTableAlignsEveryColumn() throws {
        let database = try TestDatabase.create()
        let folder = try MigrationFolder(["20250101000000_create_accounts.sql": "CREATE TABLE accounts (id int);",
                                          "20250102000000_index_concurrently.sql": "-- migrate:up transaction:false\nCREATE INDEX CONCURRENTLY accounts_id ON accounts (id);\n"])
        #expect(try run(["migrate", "--dir", folder.url.path], database: database).status == 0)
        try "SELECT 1;".write(to: folder.url.appendingPathComponent("20250103000000_later.sql"), atomically: true, encoding: .utf8)
        try "SELECT 'unterminated;".write(to: folder.url.appendingPathComponent("20250104000000_broken.sql"), atomically: true, encoding: .utf8)
        let status = try run(["status", "--dir", folder.url.path], database: database)
        #expect(status.status == 0, "\(status.stderr)")
        let lines = status.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines.count == 8, "\(status.stdout)")
        guard lines.count == 8 else { return }
        // Each cell starts where its heading does, after at least two spaces.
        let starts = [0] + ["NAME", "STATUS", "APPLIED AT (UTC)", "TIME"].map { lines[0].utf8.count - (lines[0].range(of: $0).map { lines[0][$0.lowerBound...].utf8.count } ?? 0) }
        func cells(_ line: String) -> [String] {
            let bytes = Array(line.utf8)
            return starts.indices.map { column in
                let end = column + 1 < starts.count ? min(starts[column + 1], bytes.count) : bytes.count
                #expect(column == 0 || bytes[starts[column] - 2..<starts[column]].allSatisfy { $0 == 32 }, "\(line)")
                return String(decoding: bytes[min(starts[column], bytes.count)..<end], as: UTF8.self).trimmingCharacters(in: .whitespaces)
            }
        }
        // As wide as the widest cell: a version, "index_concurrently", "applied [no-tx]".
        #expect(Array(starts[1...3]) == [16, 36, 53], "\(lines[0])")
        let rows = lines[1...4].map(cells)
        #expect(rows.map { $0[0] } == ["20250101000000", "20250102000000", "20250103000000", "20250104000000"])
        #expect(rows.map { $0[1] } == ["create_accounts", "index_concurrently", "later", "broken"])
        #expect(rows.map { $0[2] } == ["applied", "applied [no-tx]", "pending", "invalid"])
        for row in rows[0...1] {
            #expect(row[3].wholeMatch(of: /\d{4}-\d\d-\d\d \d\d:\d\d:\d\d/) != nil, "\(row)")
            #expect(row[4].wholeMatch(of: /\d+ ms/) != nil, "\(row)")
        }
        #expect(rows[2][3...] == ["-", "-"])
        #expect(rows[3][3].hasPrefix("1:8: "), "\(rows[3])")
        #expect(rows[3][4] == "-")
        #expect(lines.allSatisfy { !$0.hasSuffix(" ") })
        #expect(lines[5] == "" && lines[7] == "")
        #expect(lines[6] == "2 applied, 1 pending, 1 invalid", "\(lines[6])")
    }

    @Test func embeddedDatabaseIsStartedUsedAndStopped() throws {
        let project = try MigrationFolder(["1_a.sql": "CREATE TABLE a (id int);"])
        let state = project.url.appendingPathComponent("state").path
        let migrate = try run(["migrate", "--dir", project.url.path, "--state-dir", state], database: nil)
        #expect(migrate.status == 0, "\(migrate.stderr)")
        #expect(migrate.stdout.contains("✓ Completed migration: 1_a.sql ("))
        // As root the cluster runs as `postgres`, which cannot enter the private
        // state folder: it lives in a private folder of its own, linked from there.
        let data = (try? FileManager.default.destinationOfSymbolicLink(atPath: state + "/postgres")) ?? state + "/postgres"
        #expect(FileManager.default.fileExists(atPath: data + "/PG_VERSION"))
        #expect(!FileManager.default.fileExists(atPath: data + "/postmaster.pid"), "the cluster is stopped on exit")
        let status = try run(["status", "--dir", project.url.path, "--state-dir", state], database: nil)
        #expect(status.status == 0, "\(status.stderr)")
        #expect(status.stdout.contains("1 applied, 0 pending"))
        // postmaster.opts records how the server was last started: Unix socket only.
        let options = try String(contentsOfFile: data + "/postmaster.opts", encoding: .utf8)
        #expect(options.contains("\"listen_addresses=\""), "\(options)")
        #expect(options.contains("unix_socket_directories=\(data)"), "\(options)")
    }

    /// A shell's PGPORT (for another server) must not move the embedded one,
    /// which would listen where Railyard does not look.
    @Test func theEmbeddedDatabaseIgnoresPGPORT() throws {
        let project = try MigrationFolder(["1_a.sql": "CREATE TABLE a (id int);"])
        let state = project.url.appendingPathComponent("state").path
        let migrate = try run(["migrate", "--dir", project.url.path, "--state-dir", state], database: nil, extra: ["PGPORT": "54999"])
        #expect(migrate.status == 0, "\(migrate.stderr)")
        #expect(migrate.stdout.contains("✓ Completed migration: 1_a.sql ("))
    }
}

/// The embedded cluster facing other local users: private folders, peer
/// authentication, a socket only its user can open.
@Suite("Embedded database, other local users")
struct EmbeddedDatabaseIsolationTests {
    func migrate(_ project: MigrationFolder, state: String) throws -> (status: Int32, stdout: String, stderr: String) {
        try Subprocess.run(RepositoryPaths.serverBinary, ["migrate", "--dir", project.url.path, "--state-dir", state],
                           removing: ["DATABASE_URL"])
    }

    @Test func clusterTakesPeerConnectionsOnAPrivateSocketOnly() throws {
        let project = try MigrationFolder(["1_a.sql": "CREATE TABLE a (id int);"])
        let state = project.url.appendingPathComponent("state").path
        let result = try migrate(project, state: state)
        #expect(result.status == 0, "\(result.stderr)")
        let data = try #require(try? FileManager.default.destinationOfSymbolicLink(atPath: state + "/postgres")) ?? state + "/postgres"
        let hba = try String(contentsOfFile: data + "/pg_hba.conf", encoding: .utf8)
        let rules = hba.split(separator: "\n").filter { !$0.hasPrefix("#") && !$0.trimmingCharacters(in: .whitespaces).isEmpty }
        #expect(rules == ["local all all peer map=railyard"], "\(hba)")
        let options = try String(contentsOfFile: data + "/postmaster.opts", encoding: .utf8)
        #expect(options.contains("unix_socket_permissions=0700"), "\(options)")
        let stateMode = try #require(try FileManager.default.attributesOfItem(atPath: state)[.posixPermissions] as? Int)
        #expect(stateMode & 0o022 == 0)
    }

    @Test func aSocketFolderSomeoneElsePreparedIsRefused() throws {
        let project = try MigrationFolder(["1_a.sql": "CREATE TABLE a (id int);"])
        // Deep enough that the socket cannot live in the data folder (107-byte limit).
        let state = project.url.appendingPathComponent(String(repeating: "deep/", count: 14) + "state").path
        // A state folder others may enter (0755): the cluster lives inside it, the socket cannot.
        try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        let socketFolder = "/tmp/railyard-" + EmbeddedDatabase.shortHash(state + "/postgres")
        try? FileManager.default.removeItem(atPath: socketFolder)
        try FileManager.default.createDirectory(atPath: socketFolder, withIntermediateDirectories: false)
        chmod(socketFolder, 0o777)
        defer { try? FileManager.default.removeItem(atPath: socketFolder) }
        let result = try migrate(project, state: state)
        #expect(result.status != 0)
        #expect(result.stderr.contains(socketFolder), "\(result.stderr)")
        #expect(result.stderr.contains("remove it"), "\(result.stderr)")
        let mode = try #require(try FileManager.default.attributesOfItem(atPath: socketFolder)[.posixPermissions] as? Int)
        #expect(mode == 0o777, "the folder is refused as it is, not taken over")
    }
}

/// Small things that cost an evening.
@Suite("Everyday details")
struct EverydayDetailsTests {
    /// A bare number is seconds everywhere: RAILYARD_STATEMENT_TIMEOUT=2 as --lock-wait 2.
    @Test func bareTimeoutsAreSeconds() throws {
        let database = try TestDatabase.create()
        let folder = try MigrationFolder(["1_slowish.sql": "SELECT pg_sleep(0.3);"])
        let result = try database.migrateCommand(folder, environment: ["RAILYARD_STATEMENT_TIMEOUT": "2"])
        #expect(result.status == 0, "2 means 2 s, not 2 ms: \(result.stderr)")
    }

    @Test func waitAnswersInNumbersAndStopsOnAPermanentError() throws {
        let database = try TestDatabase.create()
        let ok = try Subprocess.run(RepositoryPaths.serverBinary, ["wait", "--json"], environment: ["DATABASE_URL": database.conninfo])
        #expect(ok.status == 0)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(ok.stdout.utf8)) as? [String: Any])
        #expect(json["waited_seconds"] is Double || json["waited_seconds"] is Int, "\(ok.stdout)")
        let started = Date()
        let wrong = try Subprocess.run(RepositoryPaths.serverBinary, ["wait", "--timeout", "30"],
                                       environment: ["DATABASE_URL": database.conninfo + " user=nobody_at_all"])
        #expect(wrong.status == 3)
        #expect(Date().timeIntervalSince(started) < 5, "a role that does not exist will not appear by waiting")
        #expect(wrong.stderr.contains("nobody_at_all"))
        let negative = try Subprocess.run(RepositoryPaths.serverBinary, ["wait", "--timeout", "-1"], environment: ["DATABASE_URL": database.conninfo])
        #expect(negative.status == 64 && negative.stderr.contains("--timeout must be positive"), "\(negative.stderr)")
    }

    @Test func aPortInUseIsSaidPlainly() throws {
        let database = try TestDatabase.create()
        let folder = try MigrationFolder(["1_a.sql": "CREATE TABLE a ();"])
        let first = try APIServer(conninfo: database.conninfo, folder: folder)
        let second = try Subprocess.run(RepositoryPaths.serverBinary, ["serve"], environment: [
            "DATABASE_URL": database.conninfo, "MIGRATIONS_DIR": folder.url.path, "PORT": String(first.port), "HOST": "127.0.0.1",
            "RAILYARD_ADMIN_TOKEN": "t", "RAILYARD_STATE_DIR": folder.url.path + "/state2",
        ], timeout: 30)
        #expect(second.status == 1)
        #expect(second.stderr.contains("cannot listen on 127.0.0.1:\(first.port): the address is already in use"), "\(second.stderr)")
        #expect(!second.stderr.contains("bind(descriptor"))
        #expect(!second.stderr.contains("Railyard admin API on"), "the URL is said only once the port is bound")
    }

    /// An unmarked CREATE INDEX CONCURRENTLY: status says so, and a gate fails on it.
    @Test func statusListsInvalidFilesAndItsGateFailsOnThem() throws {
        let database = try TestDatabase.create()
        let folder = try MigrationFolder(["1_a.sql": "CREATE TABLE a (id int);"])
        #expect(try database.migrateCommand(folder).status == 0)
        try folder.write("2_index.sql", "CREATE INDEX CONCURRENTLY a_id ON a (id);")
        let status = try Subprocess.run(RepositoryPaths.serverBinary, ["status", "--dir", folder.url.path, "--exit-code"],
                                        environment: ["DATABASE_URL": database.conninfo])
        #expect(status.status == 1)
        #expect(status.stdout.contains("invalid") && status.stdout.contains("1:1:"), "\(status.stdout)")
        #expect(status.stdout.contains("1 invalid"))
        let api = try APIServer(conninfo: database.conninfo, folder: folder)
        let cli = try Subprocess.run(RepositoryPaths.cliBinary, ["status", "--exit-code"],
                                     environment: ["RAILYARD_URL": api.baseURL, "RAILYARD_TOKEN": APIServer.readToken])
        #expect(cli.status == 1, "\(cli.stdout)")
        #expect(cli.stdout.contains("invalid") && cli.stderr.contains("2_index.sql is invalid"), "\(cli.stdout)\n\(cli.stderr)")
    }

    /// A role that may create tables in public but not schemas.
    @Test func theTrackingTablesNeedNoRightToCreateSchemas() throws {
        let database = try TestDatabase.create()
        let role = "ry_tables_only_\(database.name)"
        try database.execute("""
            CREATE ROLE \(role) LOGIN; GRANT CONNECT ON DATABASE \(database.name) TO \(role);
            GRANT USAGE, CREATE ON SCHEMA public TO \(role); REVOKE CREATE ON DATABASE \(database.name) FROM PUBLIC
            """)
        defer { _ = try? database.execute("DROP OWNED BY \(role); DROP ROLE \(role)") }
        let folder = try MigrationFolder(["1_a.sql": "CREATE TABLE a ();"])
        let result = try Subprocess.run(RepositoryPaths.serverBinary, ["migrate", "--dir", folder.url.path],
                                        environment: ["DATABASE_URL": database.conninfo + " user=\(role)"])
        #expect(result.status == 0, "\(result.stderr)")
    }
}

/// The workflow's emergency step: Railway → Deployments → Redeploy a previous deployment.
@Suite("Redeploying an older version")
struct RedeployOlderVersionTests {
    @Test func theOlderFolderMigratesReportsTheDatabaseAheadAndServes() throws {
        let database = try TestDatabase.create()
        let newer = try MigrationFolder(["1_a.sql": "CREATE TABLE a ();", "2_b.sql": "CREATE TABLE b ();", "3_c.sql": "CREATE TABLE c ();"])
        #expect(try database.migrateCommand(newer).status == 0)
        let older = try MigrationFolder(["1_a.sql": "CREATE TABLE a ();", "2_b.sql": "CREATE TABLE b ();"])

        let predeploy = try database.migrateCommand(older)
        #expect(predeploy.status == 0, "the redeploy's pre-deploy must not fail: \(predeploy.stderr)")
        #expect(predeploy.stdout.contains("The database is ahead of this folder: 3_c.sql"), "\(predeploy.stdout)")
        let status = try Subprocess.run(RepositoryPaths.serverBinary, ["status", "--dir", older.url.path, "--exit-code"],
                                        environment: ["DATABASE_URL": database.conninfo])
        #expect(status.status == 0, "ahead is not a reason to fail a gate: \(status.stderr)")
        #expect(status.stdout.contains("1 ahead (the database has migrations newer than this folder"), "\(status.stdout)")
        #expect(try database.migrateCommand(older, ["--strict"]).status == 1)
        #expect(try database.migrateCommand(older, environment: ["RAILYARD_STRICT": "true"]).status == 1)

        // The image's default command on the older version serves too.
        let api = try APIServer(conninfo: database.conninfo, folder: older, arguments: ["--migrate-on-start"])
        let listing = try api.requestSync("GET", "/api/migrations", token: .read)
        #expect(listing.status == 200)
        #expect((listing.json["summary"] as? [String: Any])?["ahead"] as? Int == 1, "\(listing.text)")
    }
}

/// `railyard-server migrate` and `status` as deploys and CI call them.
@Suite("Plain command lines")
struct PlainCommandLineTests {
    func runServer(_ arguments: [String], database: TestDatabase?) throws -> (status: Int32, stdout: String, stderr: String) {
        try Subprocess.run(RepositoryPaths.serverBinary, arguments, environment: database.map { ["DATABASE_URL": $0.conninfo] } ?? [:],
                           removing: database == nil ? ["DATABASE_URL"] : [])
    }

    /// The plain forms of migrate and status skip the full argument parser;
    /// they must mean what the parser makes of the same options, and
    /// anything else must still reach the parser.
    @Test func plainAndParsedFormsOfMigrateAndStatusAgree() throws {
        let folder = try MigrationFolder(["1_a.sql": "CREATE TABLE a ();", "2_b.sql": "-- railyard:lock-timeout=2s\nCREATE TABLE b ();"])
        let schemaFile = folder.url.appendingPathComponent("none.sql").path
        var answers: [[String: String]] = []
        for plain in [true, false] {
            let database = try TestDatabase.create()
            func form(_ options: [(String, String?)]) -> [String] {
                options.flatMap { name, value in value.map { plain ? [name, $0] : ["\(name)=\($0)"] } ?? [name] }
            }
            let migrate = try runServer(["migrate"] + form([("--dir", folder.url.path), ("--schema-file", schemaFile), ("--lock-timeout", "3s"),
                                                      ("--lock-retries", "1"), ("--lock-wait", "5"), ("--strict-order", nil), ("--json", nil)]),
                                  database: database)
            #expect(migrate.status == 0, "\(migrate.stderr)")
            let run = try #require(try JSONSerialization.jsonObject(with: Data(migrate.stdout.utf8)) as? [String: Any])
            let status = try runServer(["status"] + form([("--dir", folder.url.path), ("--schema", "public"), ("--exit-code", nil),
                                                        ("--json", nil)]), database: database)
            #expect(status.status == 0, "\(status.stderr)")
            let listing = try #require(try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any])
            let migrations = try #require(listing["migrations"] as? [[String: Any]])
            answers.append(["run": "\(run["status"] ?? "?") \((run["steps"] as? [Any])?.count ?? -1)",
                            "status": migrations.map { "\($0["version"] ?? "?"):\($0["status"] ?? "?")" }.joined(separator: ",")])
        }
        #expect(answers[0] == answers[1])
        #expect(answers[0] == ["run": "succeeded 2", "status": "1:applied,2:applied"])

        let help = try runServer(["migrate", "--help"], database: nil)
        #expect(help.status == 0)
        #expect(help.stdout.contains("USAGE: railyard-server migrate"))
        let empty = try runServer(["status", "--schema", "", "--dir", folder.url.path], database: nil)
        #expect(empty.status == 64)
        #expect(empty.stderr.contains("--schema must not be empty"), "\(empty.stderr)")
        let repeated = try runServer(["migrate", "--dir", folder.url.path, "--dir", folder.url.path, "--lock-retries", "99"], database: nil)
        #expect(repeated.status == 64)
        #expect(repeated.stderr.contains("--lock-retries must be between 0 and 20"), "\(repeated.stderr)")
    }
}
