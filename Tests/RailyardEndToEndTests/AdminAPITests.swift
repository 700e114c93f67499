import Foundation
import Testing
import RailyardTestSupport

/// The admin API through the real HTTP stack: the `railyard-server serve`
/// binary against a real PostgreSQL.
@Suite("Admin API")
struct AdminAPITests {
    static let files = [
        "1_users.sql": "-- migrate:up\nCREATE TABLE users (id int PRIMARY KEY);\n-- migrate:down\nDROP TABLE users;\n",
        "2_emails.sql": "CREATE TABLE emails (id int, user_id int REFERENCES users (id));\nCREATE INDEX emails_user_idx ON emails (user_id);\nALTER TABLE users ADD COLUMN name text;\n",
    ]

    func server(_ files: [String: String] = AdminAPITests.files, environment: [String: String] = [:], arguments: [String] = []) throws -> (APIServer, TestDatabase, MigrationFolder) {
        let database = try TestDatabase.create()
        let folder = try MigrationFolder(files)
        return (try APIServer(conninfo: database.conninfo, folder: folder, arguments: arguments, environment: environment), database, folder)
    }

    /// libpq's message names hosts, users and databases: the public answer
    /// does not; the log does.
    @Test func healthKeepsTheDatabaseErrorOutOfThePublicAnswer() async throws {
        let server = try TestDatabase.serverConninfo()
        let api = try APIServer(conninfo: server + " dbname=secret_db_name_in_health user=secret_role_in_health",
                                folder: try MigrationFolder(Self.files))
        let reply = try await api.request("GET", "/api/health", token: .none)
        #expect(reply.status == 503)
        #expect(!reply.text.contains("secret_"), "\(reply.text)")
        #expect((reply.json["detail"] as? String)?.contains("cannot reach the database") == true, "\(reply.text)")
        #expect(eventually(timeout: 10) { api.process.stderr.contains("secret_role_in_health") }, "the log keeps the reason")
    }

    @Test func healthIsPublicAndSaysTheDatabaseIsConnected() async throws {
        let (api, _, _) = try server()
        let reply = try await api.request("GET", "/api/health", token: .none)
        #expect(reply.status == 200)
        #expect(reply.json["status"] as? String == "ok")
        #expect(reply.json["database"] as? String == "connected")
        #expect(reply.json["version"] is String)
        #expect(reply.json["timestamp"] is String)
    }

    @Test func everyProtectedEndpointChecksTheToken() async throws {
        let (api, _, _) = try server()
        let readable = [("GET", "/api/migrations"), ("GET", "/api/migrations/1"), ("POST", "/api/migrations/1/rollback-scaffold"),
                        ("GET", "/api/runs"), ("GET", "/api/runs/00000000-0000-0000-0000-000000000000"), ("GET", "/metrics")]
        for (method, path) in readable + [("POST", "/api/runs")] {
            let none = try await api.request(method, path, token: .none)
            #expect(none.status == 401, "\(method) \(path)")
            #expect(none.headers["www-authenticate"]?.hasPrefix("Bearer") == true, "\(method) \(path)")
            #expect(none.headers["content-type"] == "application/problem+json")
            #expect(try await api.request(method, path, token: .wrong).status == 401, "\(method) \(path)")
        }
        for (method, path) in readable {
            let expected = path.hasPrefix("/api/runs/") ? 404 : 200
            #expect(try await api.request(method, path, token: .read).status == expected, "\(method) \(path) read")
            #expect(try await api.request(method, path, token: .admin).status == expected, "\(method) \(path) admin")
        }
        let forbidden = try await api.request("POST", "/api/runs", token: .read, body: "{}")
        #expect(forbidden.status == 403)
        #expect(forbidden.json["title"] as? String == "Forbidden")
    }

    @Test func migrationsAreListedWithStatusAndDetail() async throws {
        let (api, database, folder) = try server()
        _ = try database.migrator(folder) { $0.schema = "public" }.migrate(.init(target: "1"))
        let list = try await api.request("GET", "/api/migrations", token: .read)
        #expect(list.status == 200)
        let migrations = try #require(list.json["migrations"] as? [[String: Any]])
        #expect(migrations.map { $0["status"] as? String } == ["applied", "pending"])
        #expect(migrations[0]["applied_at"] is String && migrations[0]["checksum"] is String)
        let summary = try #require(list.json["summary"] as? [String: Int])
        #expect(summary == ["total": 2, "applied": 1, "pending": 1, "changed": 0, "missing": 0, "failed": 0, "ahead": 0, "renamed": 0])

        let detail = try await api.request("GET", "/api/migrations/2", token: .read)
        #expect(detail.status == 200)
        #expect(detail.json["statement_count"] as? Int == 3)
        #expect((detail.json["up_sql"] as? String)?.contains("CREATE INDEX emails_user_idx") == true)
        let lint = try #require(detail.json["lint"] as? [[String: Any]])
        let addColumn = try #require(lint.first { $0["rule"] as? String == "add-column-if-not-exists" })
        #expect(addColumn["line"] as? Int == 3 && addColumn["column"] as? Int == 19 && addColumn["hint"] is String)
        #expect(lint.contains { $0["rule"] as? String == "create-table-if-not-exists" })
        #expect(!lint.contains { $0["rule"] as? String == "index-without-concurrently" }, "emails is created in the same migration")
        #expect(try await api.request("GET", "/api/migrations/99", token: .read).status == 404)
        let malformed = try await api.request("GET", "/api/migrations/v1", token: .read)
        #expect(malformed.status == 400)
        #expect(malformed.headers["content-type"] == "application/problem+json")
    }

    @Test func aRunAppliesInTheBackgroundAndIsRecorded() async throws {
        let (api, database, folder) = try server()
        let pending = try await api.request("GET", "/api/migrations", token: .read)
        #expect((pending.json["summary"] as? [String: Int])?["pending"] == 2)
        let started = try await api.request("POST", "/api/runs", token: .admin, body: "{}")
        #expect(started.status == 202)
        let id = try #require(started.json["id"] as? String)
        #expect(started.headers["location"] == "/api/runs/\(id)")
        let run = try await api.waitForRun(id)
        #expect(run["status"] as? String == "succeeded", "\(run)")
        let steps = try #require(run["steps"] as? [[String: Any]])
        #expect(steps.map { $0["status"] as? String } == ["applied", "applied"])
        #expect(steps.allSatisfy { $0["duration_ms"] is Int })
        #expect(try database.trackedVersions() == ["1", "2"])
        #expect(try database.scalar("SELECT status FROM railyard_runs WHERE id = '\(id)'") == "succeeded")
        // The served list follows the tracking table and the folder, cached or not.
        let applied = try await api.request("GET", "/api/migrations", token: .read)
        #expect((applied.json["summary"] as? [String: Int])?["applied"] == 2)
        try folder.write("3_more.sql", "CREATE TABLE more ();")
        try await Task.sleep(nanoseconds: 1_100_000_000)  // the folder is looked at once a second
        let grown = try await api.request("GET", "/api/migrations", token: .read)
        #expect((grown.json["summary"] as? [String: Int])?["pending"] == 1)
        try database.execute("DELETE FROM railyard_migrations WHERE filename = '2_emails.sql'")
        let shrunk = try await api.request("GET", "/api/migrations", token: .read)
        #expect((shrunk.json["summary"] as? [String: Int])?["pending"] == 2)

        let runs = try await api.request("GET", "/api/runs", token: .read)
        #expect((runs.json["runs"] as? [[String: Any]])?.first?["id"] as? String == id)
        #expect(try await api.request("GET", "/api/runs?limit=0", token: .read).status == 400)
        #expect(try await api.request("GET", "/api/runs/not-a-uuid", token: .read).status == 400)
        let metrics = try await api.request("GET", "/metrics", token: .read)
        #expect(metrics.text.contains("railyard_runs_total{status=\"succeeded\"} 1"))
        #expect(metrics.text.contains("railyard_migration_duration_seconds"))
    }

    @Test func aSecondRunWhileOneIsActiveIsAConflictNamingIt() async throws {
        var files = Self.files
        // The run waits at this migration until the test lets go of the gate.
        files["3_gate.sql"] = "SELECT pg_advisory_xact_lock(4242);"
        let (api, database, _) = try server(files, environment: ["RAILYARD_LOCK_TIMEOUT": "2min"])
        let gate = try database.connect()
        try gate.execute("SELECT pg_advisory_lock(4242)")
        let first = try await api.request("POST", "/api/runs", token: .admin)
        let id = try #require(first.json["id"] as? String)
        #expect(try eventually(timeout: 30) {
            try database.scalar("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = 4242 AND NOT granted") == "1"
        })
        let second = try await api.request("POST", "/api/runs", token: .admin, body: "{\"dry_run\": true}")
        #expect(second.status == 409)
        #expect(second.json["active_run"] as? String == id)
        #expect((second.json["detail"] as? String)?.contains(id) == true)
        let running = try await api.request("GET", "/api/runs/\(id)", token: .read)
        #expect(running.json["status"] as? String == "running")
        let steps = running.json["steps"] as? [[String: Any]] ?? []
        #expect(steps.map { $0["status"] as? String } == ["applied", "applied", "running"])
        try gate.execute("SELECT pg_advisory_unlock(4242)")
        #expect(try await api.waitForRun(id)["status"] as? String == "succeeded")
    }

    @Test func aFailedRunReportsTheFileLineColumnAndSQLState() async throws {
        var files = Self.files
        files["3_broken.sql"] = "SELECT 1;\nSELECT nope FROM users;\n"
        let (api, database, _) = try server(files)
        let id = try #require(try await api.request("POST", "/api/runs", token: .admin).json["id"] as? String)
        let run = try await api.waitForRun(id)
        #expect(run["status"] as? String == "failed")
        let error = try #require(run["error"] as? [String: Any])
        #expect(error["filename"] as? String == "3_broken.sql")
        #expect(error["line"] as? Int == 2 && error["column"] as? Int == 8)
        #expect(error["sqlstate"] as? String == "42703")
        #expect(try database.trackedVersions() == ["1", "2"])
    }

    @Test func badRequestBodiesAreClientErrors() async throws {
        let (api, _, _) = try server()
        #expect(try await api.request("POST", "/api/runs", body: "{not json").status == 400)
        #expect(try await api.request("POST", "/api/runs", body: "[1, 2]").status == 400)
        #expect(try await api.request("POST", "/api/runs", body: "{\"dry_run\": \"yes\"}").status == 400)
        #expect(try await api.request("POST", "/api/runs", body: "{\"target\": \"abc\"}").status == 400)
        #expect(try await api.request("POST", "/api/runs", body: "{\"target\": \"77\"}").status == 404)
        #expect(try await api.request("POST", "/api/runs", body: "{\"allow_changed\": null}").status == 400)
        #expect(try await api.request("POST", "/api/runs", body: "{\"surprise\": 1}").status == 400)
        #expect(try await api.request("POST", "/api/runs", body: "dry_run=true", contentType: "text/plain").status == 415)
        let big = "{\"target\": \"" + String(repeating: "1", count: 70_000) + "\"}"
        let tooLarge = try await api.request("POST", "/api/runs", body: big)
        #expect(tooLarge.status == 413)
        #expect(tooLarge.headers["content-type"] == "application/problem+json")
        // Refused from the header alone, before any body arrives.
        let status = try api.raw("POST /api/runs HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(APIServer.adminToken)\r\nContent-Type: application/json\r\nContent-Length: 10000000\r\n\r\n")
        #expect(status.hasPrefix("HTTP/1.1 413"))
        let dry = try await api.request("POST", "/api/runs", body: "{\"dry_run\": true, \"target\": \"1\"}")
        #expect(dry.status == 202)
        #expect(dry.json["dry_run"] as? Bool == true)
    }

    @Test func rollbackScaffoldsUseTheDownSectionOrAnInverse() async throws {
        let (api, _, _) = try server()
        let down = try await api.request("POST", "/api/migrations/1/rollback-scaffold", token: .read)
        #expect(down.status == 200)
        #expect(down.json["source"] as? String == "down-section")
        #expect((down.json["sql"] as? String)?.contains("DROP TABLE users;") == true)
        #expect((down.json["filename"] as? String)?.hasSuffix("_rollback_users.sql") == true)
        let generated = try await api.request("POST", "/api/migrations/2/rollback-scaffold", token: .read)
        #expect(generated.json["source"] as? String == "generated")
        let sql = try #require(generated.json["sql"] as? String)
        let dropColumn = try #require(sql.range(of: "ALTER TABLE users DROP COLUMN IF EXISTS name;"))
        let dropIndex = try #require(sql.range(of: "DROP INDEX IF EXISTS emails_user_idx;"))
        let dropTable = try #require(sql.range(of: "DROP TABLE IF EXISTS emails;"))
        #expect(dropColumn.lowerBound < dropIndex.lowerBound && dropIndex.lowerBound < dropTable.lowerBound)
        #expect(try await api.request("POST", "/api/migrations/404/rollback-scaffold", token: .read).status == 404)
        #expect(try await api.request("POST", "/api/migrations/x/rollback-scaffold", token: .read).status == 400)
    }

    @Test func theContractIsServed() async throws {
        let (api, _, _) = try server()
        let reply = try await api.request("GET", "/openapi.yaml", token: .none)
        #expect(reply.status == 200)
        #expect(reply.headers["content-type"] == "application/yaml")
        let file = try Data(contentsOf: RepositoryPaths.root.appendingPathComponent("openapi.yaml"))
        #expect(reply.body == file)
    }

    @Test func migrateOnStartAppliesBeforeServing() async throws {
        let (api, database, _) = try server(arguments: ["--migrate-on-start"])
        #expect(try database.trackedVersions() == ["1", "2"])
        #expect(try await api.request("GET", "/api/health", token: .none).status == 200)
    }

    @Test func sigtermDuringARunRollsItBackReleasesTheLockAndExits() throws {
        var files = Self.files
        files["3_slow.sql"] = "CREATE TABLE slow ();\nSELECT pg_sleep(30);"
        let (api, database, _) = try server(files, environment: ["RAILYARD_SHUTDOWN_GRACE": "0.5"])
        let id = try #require(try api.requestSync("POST", "/api/runs", token: .admin).json["id"] as? String)
        #expect(try eventually(timeout: 20) {
            try database.scalar("SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'PgSleep' AND datname = current_database()") == "1"
        })
        let stopped = Date()
        api.process.kill(SIGTERM)
        let status = api.process.wait(timeout: 15)
        #expect(status == 0, "exit status \(String(describing: status)): \(api.process.stderr.suffix(2000))")
        #expect(Date().timeIntervalSince(stopped) < 10)
        #expect(try database.trackedVersions() == ["1", "2"])
        #expect(try !database.tableExists("slow"), "the interrupted migration rolled back")
        #expect(try database.scalar("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())") == "0")
        #expect(try database.scalar("SELECT status || ' by ' || cancelled_by FROM railyard_runs WHERE id = '\(id)'")
                == "cancelled by server shutdown (SIGTERM)")
    }

    @Test func jsonLogsAreOneObjectPerLine() async throws {
        let (api, _, _) = try server(environment: ["LOG_FORMAT": "json"])
        _ = try await api.request("GET", "/api/health", token: .none)
        let lines = api.process.stderr.split(separator: "\n").filter { !$0.isEmpty }
        #expect(!lines.isEmpty)
        for line in lines {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            #expect(object?["message"] is String, "\(line)")
        }
    }
}

/// Time bounds the API promises. `make test` runs this suite on its own,
/// after the others, so the machine's load from parallel suites does not
/// decide the result.
@Suite("Timing-sensitive admin API")
struct TimingSensitiveAPITests {
    @Test func healthAnswers503WithinThreeSecondsWhenTheDatabaseHangsAndRecovers() async throws {
        let database = try TestDatabase.create()
        let socketDirectory = try #require(database.conninfo.split(separator: " ").first { $0.hasPrefix("host=") }?.dropFirst(5))
        let proxy = try Subprocess("/usr/bin/env", ["python3", RepositoryPaths.root.appendingPathComponent("scripts/hanging-postgres-proxy.py").path,
                                                    "0", String(socketDirectory), "120"])
        #expect(eventually(timeout: 10) { Int(proxy.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) != nil })
        let proxyPort = try #require(Int(proxy.stdout.trimmingCharacters(in: .whitespacesAndNewlines)))
        let folder = try MigrationFolder(AdminAPITests.files)
        let api = try APIServer(conninfo: "host=127.0.0.1 port=\(proxyPort) user=postgres dbname=\(database.name) sslmode=disable", folder: folder)

        for _ in 0..<2 {
            let started = Date()
            let reply = try await api.request("GET", "/api/health", token: .none, timeout: 10)
            let elapsed = Date().timeIntervalSince(started)
            #expect(reply.status == 503)
            #expect(reply.json["database"] as? String == "disconnected")
            #expect(elapsed < 3.0, "health took \(elapsed) s")
        }
        // Reads that need the database fail cleanly too.
        #expect(try await api.request("GET", "/api/migrations", token: .read, timeout: 20).status == 503)

        proxy.kill(SIGUSR1)
        var recovered = false
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline && !recovered {
            recovered = try await api.request("GET", "/api/health", token: .none, timeout: 10).status == 200
            if !recovered { try await Task.sleep(nanoseconds: 200_000_000) }
        }
        #expect(recovered, "health must return to 200 without a restart")
        #expect(try await api.request("GET", "/api/migrations", token: .read).status == 200)
        proxy.kill(SIGTERM)
    }
}
