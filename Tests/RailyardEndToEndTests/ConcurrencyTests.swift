import Foundation
import Testing
import RailyardTestSupport
import PostgresClient
@testable import RailyardEngine

@Suite("Locks, concurrent migrators and crashes")
struct ConcurrencyTests {
    @Test func eightMigratorProcessesApplyEachMigrationExactlyOnce() throws {
        let database = try TestDatabase.create()
        var files = ["001_log.sql": "CREATE TABLE apply_log (version int NOT NULL, pid int DEFAULT pg_backend_pid());"]
        for number in 2...20 {
            files[String(format: "%03d_step.sql", number)] = "CREATE TABLE step_\(number) (id int);\nINSERT INTO apply_log (version) VALUES (\(number));\nSELECT pg_sleep(0.02);"
        }
        let folder = try MigrationFolder(files)
        let processes = try (0..<8).map { _ in
            try Subprocess(RepositoryPaths.serverBinary, ["migrate", "--dir", folder.url.path],
                           environment: ["DATABASE_URL": database.conninfo])
        }
        for process in processes {
            let status = process.wait(timeout: 120)
            #expect(status == 0, "stdout: \(process.stdout)\nstderr: \(process.stderr)")
        }
        #expect(try database.scalar("SELECT count(*) FROM railyard_migrations") == "20")
        #expect(try database.scalar("SELECT count(*) FROM apply_log") == "19")
        #expect(try database.scalar("SELECT count(DISTINCT version) FROM apply_log") == "19")
        let completedLines = processes.map { $0.stdout.components(separatedBy: "✓ Completed migration").count - 1 }
        #expect(completedLines.reduce(0, +) == 20)
    }

    @Test func killNineMidRunLeavesTrackingConsistentAndARerunFinishes() throws {
        let database = try TestDatabase.create()
        let folder = try MigrationFolder([
            "1_fast.sql": "CREATE TABLE fast ();",
            // Sleeps until the test creates `go_fast`, so the re-run is quick.
            "2_slow.sql": "CREATE TABLE slow_start ();\nSELECT pg_sleep(CASE WHEN to_regclass('go_fast') IS NULL THEN 30 ELSE 0 END);\nCREATE TABLE slow_end ();",
            "3_after.sql": "CREATE TABLE after ();",
        ])
        let process = try Subprocess(RepositoryPaths.serverBinary, ["migrate", "--dir", folder.url.path],
                                     environment: ["DATABASE_URL": database.conninfo])
        let sleeping = try eventually(timeout: 30) {
            try database.scalar("SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'PgSleep' AND datname = current_database()") == "1"
        }
        #expect(sleeping)
        process.kill(SIGKILL)
        process.wait()

        #expect(try database.trackedVersions() == ["1"])
        #expect(try database.tableExists("fast"))
        #expect(try !database.tableExists("slow_start"), "the killed migration must leave nothing")
        try database.execute("CREATE TABLE go_fast ()")
        let started = Date()
        let rerun = try database.migrator(folder) { $0.lockWaitSeconds = 30 }.migrate()
        #expect(rerun.status == .succeeded)
        #expect(Date().timeIntervalSince(started) < 10, "the dead migrator's lock must be released promptly")
        #expect(try database.trackedVersions() == ["1", "2", "3"])
        #expect(try database.tableExists("slow_end") && database.tableExists("after"))
    }

    @Test func blockedMigrationFailsAfterLockTimeoutAndSaysWhatItWaitedFor() throws {
        let database = try TestDatabase.create()
        try database.execute("CREATE TABLE accounts (id int)")
        let folder = try MigrationFolder(["1_alter.sql": "ALTER TABLE accounts ADD COLUMN note text;"])
        let blocker = try database.connect()
        try blocker.execute("BEGIN; SELECT * FROM accounts;")
        var events: [MigrationEvent] = []
        let started = Date()
        let report = try database.migrator(folder) {
            $0.lockTimeoutMilliseconds = 1000
            $0.lockRetries = 2
        }.migrate { events.append($0) }
        let elapsed = Date().timeIntervalSince(started)
        try blocker.execute("ROLLBACK")

        #expect(report.status == .failed)
        let failure = try #require(report.error)
        #expect(failure.sqlstate == "55P03")
        #expect(failure.message.contains("3 attempts"))
        let waited = try #require(failure.waitedFor)
        #expect(waited.contains("AccessExclusiveLock on accounts"), "\(waited)")
        #expect(waited.contains("held by pid \(blocker.backendPID)"), "\(waited)")
        #expect(waited.contains("idle in transaction"), "\(waited)")
        let retries = events.filter { if case .retrying = $0 { true } else { false } }
        #expect(retries.count == 2)
        #expect(elapsed >= 3.0 && elapsed < 15)
        #expect(try !database.tableExists("railyard_migrations") || database.trackedVersions().isEmpty)
        #expect(try database.scalar("SELECT count(*) FROM information_schema.columns WHERE table_name = 'accounts'") == "1")
    }

    @Test func secondMigratorGivesUpAfterLockWaitNamingTheHolder() throws {
        let database = try TestDatabase.create()
        let folder = try MigrationFolder(["1_a.sql": "CREATE TABLE a ();"])
        let holder = try database.connect()
        try holder.execute("SELECT pg_advisory_lock(hashtextextended('railyard_migrations:' || 'public', 0))")
        do {
            _ = try database.migrator(folder) { $0.lockWaitSeconds = 0.5 }.migrate()
            Issue.record("expected a lock wait timeout")
        } catch EngineError.lockWaitTimedOut(_, let description) {
            #expect(description?.contains("pid \(holder.backendPID)") == true, "\(String(describing: description))")
        }
        holder.close()
        #expect(try database.migrator(folder) { $0.lockWaitSeconds = 10 }.migrate().status == .succeeded)
    }
}
