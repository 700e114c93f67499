import Foundation
import Testing
import RailyardTestSupport
import PostgresClient

/// Every run recorded, visible and exclusive across replicas, cancellable,
/// its lock waits visible while they last.
@Suite("One run model")
struct RunModelTests {
    func runs(_ api: APIServer) throws -> [[String: Any]] {
        try api.requestSync("GET", "/api/runs", token: .read).json["runs"] as? [[String: Any]] ?? []
    }

    func run(_ id: String, on api: APIServer) throws -> [String: Any] {
        try api.requestSync("GET", "/api/runs/\(id)", token: .read).json
    }

    static func stepStatuses(_ run: [String: Any]) -> [String] {
        (run["steps"] as? [[String: Any]] ?? []).map { $0["status"] as? String ?? "?" }
    }

    @Test func everyEntryPointIsRecordedWithWhoAndWhere() throws {
        let database = try TestDatabase.create()
        let folder = try MigrationFolder(["1_one.sql": "CREATE TABLE one ();", "2_two.sql": "CREATE TABLE two ();"])
        let predeploy = try database.migrateCommand(folder, ["--target", "1"], environment: [
            "USER": "deployer", "RAILWAY_DEPLOYMENT_ID": "deployment-17", "RAILWAY_GIT_COMMIT_SHA": "c0ffee",
        ])
        #expect(predeploy.status == 0, "\(predeploy.stderr)")
        let api = try APIServer(conninfo: database.conninfo, folder: folder, arguments: ["--migrate-on-start"],
                                environment: ["USER": "railway"])
        try folder.write("3_three.sql", "CREATE TABLE three ();")
        Thread.sleep(forTimeInterval: 1.1)  // the server looks at the folder at most once a second
        let id = try #require(try api.requestSync("POST", "/api/runs", body: "{}").json["id"] as? String)
        let finished = try api.waitForRunSync(id)
        #expect(finished["status"] as? String == "succeeded")

        let listed = try runs(api)
        #expect(listed.map { $0["trigger"] as? String } == ["api", "migrate-on-start", "migrate"])
        #expect(listed.map { $0["status"] as? String } == ["succeeded", "succeeded", "succeeded"])
        #expect(listed.map { $0["requested_by"] as? String } == ["api (admin token)", "railway", "deployer"])
        #expect(listed.allSatisfy { ($0["host"] as? String)?.isEmpty == false })
        #expect(listed.last?["deployment_id"] as? String == "deployment-17")
        #expect(listed.last?["commit_sha"] as? String == "c0ffee")
        for (run, file) in zip(listed, ["3_three.sql", "2_two.sql", "1_one.sql"]) {
            let steps = try #require(run["steps"] as? [[String: Any]])
            #expect(steps.map { $0["filename"] as? String } == [file])
            #expect(steps.first?["status"] as? String == "applied")
            #expect(steps.first?["duration_ms"] is Int, "per-step timing: \(steps)")
        }

        // The CLI shows the same history.
        let table = try Subprocess.run(RepositoryPaths.cliBinary, ["runs"],
                                       environment: ["RAILYARD_URL": api.baseURL, "RAILYARD_TOKEN": APIServer.readToken])
        #expect(table.status == 0, "\(table.stderr)")
        for word in ["api", "migrate-on-start", "migrate", "deployer", "1/1"] { #expect(table.stdout.contains(word), "\(table.stdout)") }
    }

    @Test func twoReplicasShareOneRunAndEitherCancelsIt() throws {
        let database = try TestDatabase.create()
        let folder = try MigrationFolder([
            "1_fast.sql": "CREATE TABLE fast ();",
            "2_slow.sql": "CREATE TABLE slow ();\nSELECT pg_sleep(20);",
            "3_after.sql": "CREATE TABLE after ();",
        ])
        let a = try APIServer(conninfo: database.conninfo, folder: folder)
        let b = try APIServer(conninfo: database.conninfo, folder: folder)
        let id = try #require(try a.requestSync("POST", "/api/runs", body: "{}").json["id"] as? String)

        // B sees A's run step by step while it runs.
        var seen: [String: Any] = [:]
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            seen = try run(id, on: b)
            if Self.stepStatuses(seen) == ["applied", "running", "pending"] { break }
            Thread.sleep(forTimeInterval: 0.05)
        }
        #expect(Self.stepStatuses(seen) == ["applied", "running", "pending"], "\(seen)")
        #expect(seen["status"] as? String == "running")

        // B refuses a second run, naming A's.
        let refused = try b.requestSync("POST", "/api/runs", body: "{}")
        #expect(refused.status == 409)
        #expect(refused.json["active_run"] as? String == id)

        // B cancels it: A's migration rolls back and the lock is freed.
        let cancel = try b.requestSync("POST", "/api/runs/\(id)/cancel")
        #expect(cancel.status == 202, "\(cancel.text)")
        let ended = try b.waitForRunSync(id, timeout: 20)
        #expect(ended["status"] as? String == "cancelled", "\(ended)")
        #expect(ended["cancelled_by"] as? String == "api (admin token)")
        #expect(Self.stepStatuses(ended) == ["applied", "failed", "skipped"])
        #expect(try !database.tableExists("slow"), "the cancelled migration rolled back")
        #expect(try database.trackedVersions() == ["1"])
        #expect(eventually(timeout: 5) {
            (try? database.scalar("SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database WHERE l.locktype = 'advisory' AND d.datname = current_database()")) == "0"
        })
        #expect(try b.requestSync("POST", "/api/runs/\(id)/cancel").status == 409, "a finished run cannot be cancelled")
    }

    @Test func ctrlCOnTheCLICancelsItsRunAndDetachLeavesItRunning() throws {
        let database = try TestDatabase.create()
        let folder = try MigrationFolder(["1_fast.sql": "CREATE TABLE fast ();", "2_slow.sql": "CREATE TABLE slow ();\nSELECT pg_sleep(20);"])
        let api = try APIServer(conninfo: database.conninfo, folder: folder)
        let environment = ["RAILYARD_URL": api.baseURL, "RAILYARD_TOKEN": APIServer.adminToken]
        let cli = try Subprocess(RepositoryPaths.cliBinary, ["migrate"], environment: environment)
        #expect(eventually(timeout: 20) { cli.stdout.contains("✓ Completed migration: 1_fast.sql") })
        #expect(eventually(timeout: 20) {
            (try? database.scalar("SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'PgSleep' AND datname = current_database()")) == "1"
        })
        cli.kill(SIGINT)
        let status = cli.wait(timeout: 20)
        #expect(status == 130, "\(cli.stdout)\n\(cli.stderr)")
        #expect(cli.stderr.contains("Cancelling run"), "\(cli.stderr)")
        #expect(cli.stderr.contains("cancelled by api (admin token)"), "\(cli.stderr)")
        #expect(try !database.tableExists("slow"))
        #expect(try database.scalar("SELECT status FROM railyard_runs ORDER BY started_at DESC LIMIT 1") == "cancelled")

        try folder.write("2_slow.sql", "CREATE TABLE slow ();\nSELECT pg_sleep(1);")
        Thread.sleep(forTimeInterval: 1.1)
        let detached = try Subprocess.run(RepositoryPaths.cliBinary, ["migrate", "--detach"], environment: environment, timeout: 10)
        #expect(detached.status == 0, "\(detached.stderr)")
        let id = try #require(detached.stdout.split(separator: " ").dropFirst().first.map(String.init), "\(detached.stdout)")
        #expect(detached.stdout.contains("railyard runs \(id) --follow"))
        let followed = try Subprocess.run(RepositoryPaths.cliBinary, ["runs", id, "--follow"], environment: environment, timeout: 30)
        #expect(followed.status == 0, "\(followed.stderr)")
        #expect(followed.stdout.contains("✓ Completed migration: 2_slow.sql"), "\(followed.stdout)")
        #expect(followed.stdout.contains("1 migration applied"))
        #expect(try database.tableExists("slow"))
    }

    @Test func aTableLockWaitIsVisibleWhileItLastsAndSigtermEndsTheBackOff() throws {
        let database = try TestDatabase.create()
        try database.execute("CREATE TABLE accounts (id int)")
        let holder = try database.connect()
        try holder.execute("BEGIN; LOCK TABLE accounts IN ACCESS EXCLUSIVE MODE")
        let holderPID = Int(holder.backendPID)
        defer { _ = try? holder.execute("ROLLBACK"); holder.close() }
        let folder = try MigrationFolder(["1_alter.sql": "ALTER TABLE accounts ADD COLUMN note text;"])

        let api = try APIServer(conninfo: database.conninfo, folder: folder, environment: [
            "RAILYARD_LOCK_TIMEOUT": "1500ms", "RAILYARD_LOCK_RETRIES": "3", "RAILYARD_LOCK_RETRY_DELAY": "1s",
        ])
        let id = try #require(try api.requestSync("POST", "/api/runs", body: "{}").json["id"] as? String)
        var wait: [String: Any] = [:]
        var sawBackOff = false
        let deadline = Date().addingTimeInterval(15)
        while Date() < deadline {
            let current = try run(id, on: api)["wait"] as? [String: Any] ?? [:]
            if current["kind"] as? String == "table_lock" && wait.isEmpty { wait = current }
            if current["kind"] as? String == "retry_backoff" { sawBackOff = true }
            if !wait.isEmpty && sawBackOff { break }
            Thread.sleep(forTimeInterval: 0.05)
        }
        #expect(wait["holder_pid"] as? Int == holderPID, "\(wait)")
        #expect(wait["attempt"] as? Int == 1 && wait["attempts"] as? Int == 4, "\(wait)")
        #expect((wait["holder"] as? String)?.contains("accounts") == true, "\(wait)")
        #expect(wait["filename"] as? String == "1_alter.sql")
        #expect(sawBackOff, "the back-off before the next attempt is visible too")
        // Cancel through the API ends the back-off: nothing is left waiting.
        #expect(try api.requestSync("POST", "/api/runs/\(id)/cancel").status == 202)
        let ended = try api.waitForRunSync(id, timeout: 10)
        #expect(ended["status"] as? String == "cancelled", "\(ended)")

        // The pre-deploy command in a back-off stops within a second on SIGTERM.
        let migrate = try Subprocess(RepositoryPaths.serverBinary, ["migrate", "--dir", folder.url.path], environment: [
            "DATABASE_URL": database.conninfo, "RAILYARD_LOCK_TIMEOUT": "300ms", "RAILYARD_LOCK_RETRY_DELAY": "30s",
        ])
        #expect(eventually(timeout: 15) { migrate.stdout.contains("↻ Retrying 1_alter.sql") }, "\(migrate.stdout)")
        let sent = Date()
        migrate.kill(SIGTERM)
        let status = migrate.wait(timeout: 10)
        #expect(Date().timeIntervalSince(sent) < 1.0, "SIGTERM during a back-off must end it at once")
        #expect(status == 143, "\(migrate.stderr)")
        #expect(try database.scalar("SELECT count(*) FROM information_schema.columns WHERE table_name = 'accounts' AND column_name = 'note'") == "0")
        #expect(try database.scalar("SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database WHERE l.locktype = 'advisory' AND d.datname = current_database()") == "0")
        #expect(try database.scalar("SELECT status || ' by ' || cancelled_by FROM railyard_runs WHERE trigger = 'migrate'") == "cancelled by SIGTERM")
    }
}
