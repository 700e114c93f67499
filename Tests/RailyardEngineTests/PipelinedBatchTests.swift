import Foundation
import Synchronization
import Testing
import RailyardTestSupport
import RailyardCore
import PostgresClient
@testable import RailyardEngine

/// Consecutive transactional migrations are sent as one pipeline: the
/// server runs each as soon as the one before it commits. "A failure stops
/// the run" must hold inside a batch as it does between single migrations.
/// Every migration after the first bumps `calls`, a sequence: nextval is
/// never rolled back, so the sequence counts the migrations that ran at
/// all, committed or not.
@Suite("Pipelined batches of migrations")
struct PipelinedBatchTests {
    static func numbered(_ count: Int, body: (Int) -> String = { _ in "" }) -> [String: String] {
        var files = ["001_calls.sql": "CREATE SEQUENCE calls;"]
        for number in 2...count {
            files[String(format: "%03d_step.sql", number)] =
                "CREATE TABLE step_\(number) (id int);\nSELECT nextval('calls');\n\(body(number))"
        }
        return files
    }

    /// Tables, tracking rows and the sequence agree on exactly the versions
    /// 1...applied; `alsoRan` counts the attempts that got as far as the
    /// sequence and were rolled back (the failed one).
    static func expectPrefix(_ database: TestDatabase, applied: Int, of count: Int, alsoRan: ClosedRange<Int> = 0...0,
                             sourceLocation: Testing.SourceLocation = #_sourceLocation) throws {
        let expected = (1...max(applied, 1)).prefix(applied).map { String(format: "%03d", $0) }
        #expect(try database.trackedVersions() == expected, sourceLocation: sourceLocation)
        let tables = try database.scalar("SELECT count(*) FROM pg_tables WHERE tablename LIKE 'step\\_%'")
        #expect(tables == String(max(applied - 1, 0)), sourceLocation: sourceLocation)
        for number in 2...count {
            #expect(try database.tableExists("step_\(number)") == (number <= applied), "step_\(number)", sourceLocation: sourceLocation)
        }
        if applied >= 1 {
            let calls = Int(try database.scalar("SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM calls") ?? "") ?? -1
            let committed = max(applied - 1, 0)
            #expect(alsoRan.contains(calls - committed), "\(calls) migrations ran at all, \(committed) committed",
                    sourceLocation: sourceLocation)
        }
    }

    @Test func consecutiveTransactionalMigrationsShareABatchAndAnythingElseRunsAlone() throws {
        let folder = try MigrationFolder([
            "1_a.sql": "CREATE TABLE a (id int);",
            "2_b.sql": "CREATE TABLE b (id int);",
            "3_index.sql": "-- railyard:no-transaction\nCREATE INDEX CONCURRENTLY b_id ON b (id);",
            "4_copy.sql": "CREATE TABLE c (id int);\nCOPY c FROM stdin;\n1\n\\.\n",
            "5_d.sql": "CREATE TABLE d (id int);",
            "6_e.sql": "CREATE TABLE e (id int);",
            "7_f.sql": "CREATE TABLE f (id int);",
        ])
        let catalog = try MigrationCatalog.load(directory: folder.url, checksum: SHA256.hex)
        let plan = try Planner.plan(files: catalog.files, records: [], options: .init())
        var lengths: [Int] = []
        var index = 0
        while index < plan.steps.count {
            let length = MigrationRunner.batchLength(plan.steps[index...])
            lengths.append(length)
            index += length
        }
        #expect(catalog.diagnostics.isEmpty, "\(catalog.diagnostics)")
        #expect(plan.steps.map(\.file.filename) == catalog.files.map(\.filename))
        #expect(lengths == [2, 1, 1, 3])
    }

    @Test func batchesStopAtTheirLimits() throws {
        var files: [String: String] = [:]
        for number in 1...150 { files[String(format: "%03d_t.sql", number)] = "CREATE TABLE t\(number) (id int);" }
        let folder = try MigrationFolder(files)
        let catalog = try MigrationCatalog.load(directory: folder.url, checksum: SHA256.hex)
        let plan = try Planner.plan(files: catalog.files, records: [], options: .init())
        #expect(MigrationRunner.batchLength(plan.steps[0...]) == MigrationRunner.batchLimit.migrations)
        #expect(MigrationRunner.batchLength(plan.steps[140...]) == 10)
    }

    @Test func aFailureMidBatchLeavesExactlyTheMigrationsBeforeIt() throws {
        let database = try TestDatabase.create()
        let folder = try MigrationFolder(Self.numbered(40) { $0 == 25 ? "SELECT 1;\nSELECT 1 / 0;" : "" })
        var events: [String] = []
        let report = try database.migrator(folder).migrate { event in
            switch event {
            case .started(_, let filename): events.append("start \(filename)")
            case .completed(_, let filename, _, _): events.append("done \(filename)")
            case .failed(let failure): events.append("failed \(failure.filename ?? "?")")
            case .skipped(_, let filename, _): events.append("skip \(filename)")
            default: break
            }
        }
        #expect(report.status == .failed)
        #expect(report.appliedCount == 24)
        let failure = try #require(report.error)
        #expect(failure.filename == "025_step.sql")
        #expect(failure.sqlstate == "22012")
        #expect(failure.line == 4, "\(failure.description)")
        #expect(report.steps[24].status == .failed)
        #expect(report.steps[25...].allSatisfy { $0.status == .skipped })
        var expected: [String] = []
        for number in 1...24 { expected += ["start \(String(format: "%03d", number))_\(number == 1 ? "calls" : "step").sql",
                                             "done \(String(format: "%03d", number))_\(number == 1 ? "calls" : "step").sql"] }
        expected += ["start 025_step.sql", "failed 025_step.sql"] + (26...40).map { String(format: "skip %03d_step.sql", $0) }
        #expect(events == expected)
        try Self.expectPrefix(database, applied: 24, of: 40, alsoRan: 1...1)
        #expect(try database.scalar("SELECT status FROM railyard_run_steps WHERE position = 24") == "failed")
        #expect(try database.scalar("SELECT count(*) FROM railyard_run_steps WHERE status = 'applied'") == "24")

        // Fixed, the rest applies from the failed one on.
        try folder.write("025_step.sql", "CREATE TABLE step_25 (id int);\nSELECT nextval('calls');")
        let rerun = try database.migrator(folder).migrate()
        #expect(rerun.status == .succeeded)
        #expect(rerun.appliedCount == 16)
        try Self.expectPrefix(database, applied: 40, of: 40, alsoRan: 1...1)
    }

    @Test func aFailureInTheFirstOrLastMigrationOfABatch() throws {
        for failing in [2, 12] {
            let database = try TestDatabase.create()
            let folder = try MigrationFolder(Self.numbered(12) { $0 == failing ? "SELECT missing_function();" : "" })
            let report = try database.migrator(folder).migrate()
            #expect(report.status == .failed)
            #expect(report.error?.filename == String(format: "%03d_step.sql", failing))
            #expect(report.error?.sqlstate == "42883")
            try Self.expectPrefix(database, applied: failing - 1, of: 12, alsoRan: 1...1)
        }
    }

    @Test func aCancelMidBatchStopsAtTheMigrationRunningThen() throws {
        let database = try TestDatabase.create()
        let folder = try MigrationFolder(Self.numbered(60) { _ in "SELECT pg_sleep(0.05);" })
        let cancellation = MigrationCancellation()
        let migrator = database.migrator(folder)
        let report = Mutex<Run?>(nil)
        let done = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            let run = try? migrator.migrate(cancellation: cancellation)
            report.withLock { $0 = run }
            done.signal()
        }
        let halfway = try eventually(timeout: 30) {
            Int(try database.scalar("SELECT count(*) FROM pg_tables WHERE tablename LIKE 'step\\_%'") ?? "0")! >= 15
        }
        #expect(halfway)
        cancellation.cancel(by: "the test")
        #expect(done.wait(timeout: .now() + 30) == .success)
        let run = try #require(report.withLock { $0 })
        #expect(run.status == .cancelled)
        #expect(run.error?.sqlstate == "57014")
        let applied = run.appliedCount
        #expect(applied >= 16 && applied < 60, "\(applied)")
        #expect(run.steps[applied].status == .failed)
        #expect(run.steps[(applied + 1)...].allSatisfy { $0.status == .skipped })
        try Self.expectPrefix(database, applied: applied, of: 60, alsoRan: 1...1)
        #expect(try database.scalar("SELECT status FROM railyard_runs") == "cancelled")
    }

    @Test func killNineMidBatchLeavesAConsistentPrefixAndARerunFinishes() throws {
        for delay in [0.35, 0.8, 1.3] {
            let database = try TestDatabase.create()
            let folder = try MigrationFolder(Self.numbered(120) { _ in "SELECT pg_sleep(0.02);" })
            let process = try Subprocess(RepositoryPaths.serverBinary, ["migrate", "--dir", folder.url.path],
                                         environment: ["DATABASE_URL": database.conninfo])
            let started = try eventually(timeout: 30) { try database.tableExists("public.railyard_migrations") }
            #expect(started)
            Thread.sleep(forTimeInterval: delay)
            process.kill(SIGKILL)
            process.wait()
            // What was already sent may still run until the server sees the client gone.
            let gone = try eventually(timeout: 30) {
                try database.scalar("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'railyard' AND datname = current_database() AND pid <> pg_backend_pid()") == "0"
            }
            #expect(gone)
            let applied = try database.trackedVersions().count
            #expect(applied > 0 && applied < 120, "killed after \(delay) s: \(applied) applied")
            try Self.expectPrefix(database, applied: applied, of: 120, alsoRan: 0...1)

            let rerun = try database.migrator(folder) { $0.lockWaitSeconds = 30 }.migrate()
            #expect(rerun.status == .succeeded)
            #expect(rerun.appliedCount == 120 - applied)
            try Self.expectPrefix(database, applied: 120, of: 120, alsoRan: 0...1)
        }
    }

    @Test func aNonTransactionalMigrationInTheMiddleRunsOnItsOwn() throws {
        let database = try TestDatabase.create()
        var files = Self.numbered(20)
        // In a pipeline, CREATE INDEX CONCURRENTLY fails (25001): it must run alone, between two batches.
        files["011_step.sql"] = "-- railyard:no-transaction\nCREATE INDEX CONCURRENTLY step_10_id ON step_10 (id);\nSELECT nextval('calls');\nCREATE TABLE step_11 (id int);"
        files["012_step.sql"] = "CREATE TABLE step_12 (id int);\nSELECT nextval('calls');\nSELECT 1 / (SELECT count(*)::int FROM pg_index WHERE indexrelid = 'step_10_id'::regclass AND indisvalid);"
        var events: [String] = []
        let folder = try MigrationFolder(files)
        let report = try database.migrator(folder).migrate { event in
            if case .completed(_, let filename, _, _) = event { events.append(filename) }
        }
        #expect(report.status == .succeeded, "\(report.error?.description ?? "")")
        #expect(events == (1...20).map { String(format: "%03d_%@.sql", $0, $0 == 1 ? "calls" : "step") })
        try Self.expectPrefix(database, applied: 20, of: 20)
    }

    @Test func aLockTimeoutMidBatchIsRetriedAndTheRunGoesOn() throws {
        let database = try TestDatabase.create()
        try database.execute("CREATE TABLE busy (id int)")
        let folder = try MigrationFolder(Self.numbered(10) { $0 == 5 ? "ALTER TABLE busy ADD COLUMN note text;" : "" })
        let blocker = try database.connect()
        try blocker.execute("BEGIN; LOCK TABLE busy IN ACCESS SHARE MODE;")
        Thread.detachNewThread {
            Thread.sleep(forTimeInterval: 0.6)
            _ = try? blocker.execute("ROLLBACK")
        }
        var retries = 0
        let report = try database.migrator(folder) {
            $0.lockTimeoutMilliseconds = 200
            $0.lockRetries = 5
        }.migrate { event in
            if case .retrying = event { retries += 1 }
        }
        #expect(report.status == .succeeded, "\(report.error?.description ?? "")")
        #expect(retries >= 1)
        try Self.expectPrefix(database, applied: 10, of: 10, alsoRan: 1...5)
        #expect(try database.scalar("SELECT count(*) FROM information_schema.columns WHERE table_name = 'busy' AND column_name = 'note'") == "1")
    }

    @Test func eachMigrationOfABatchRunsWithItsOwnTimeouts() throws {
        let database = try TestDatabase.create()
        let record = "INSERT INTO seen SELECT %d, current_setting('lock_timeout'), current_setting('statement_timeout');"
        let folder = try MigrationFolder([
            "1_seen.sql": "CREATE TABLE seen (n int, lock_timeout text, statement_timeout text);\n" + String(format: record, 1),
            "2_own.sql": "-- railyard:lock-timeout=1s\n-- railyard:statement-timeout=7s\n" + String(format: record, 2),
            "3_default.sql": String(format: record, 3),
            "4_search_path.sql": "SET search_path = pg_catalog, public;\nSET lock_timeout = '9s';\n" + String(format: record, 4),
            "5_default.sql": "SELECT 1 FROM pg_class WHERE relname = 'seen' AND relnamespace = 'public'::regnamespace;\n" + String(format: record, 5),
        ])
        let report = try database.migrator(folder) {
            $0.lockTimeoutMilliseconds = 3000
            $0.statementTimeoutMilliseconds = 60000
        }.migrate()
        #expect(report.status == .succeeded, "\(report.error?.description ?? "")")
        let seen = try database.execute("SELECT n, lock_timeout, statement_timeout FROM seen ORDER BY n").rows.map { $0.compactMap { $0 } }
        #expect(seen == [["1", "3s", "1min"], ["2", "1s", "7s"], ["3", "3s", "1min"], ["4", "9s", "1min"], ["5", "3s", "1min"]])
    }

    @Test func aMigrationThatDeallocatesOrDiscardsMidBatchDoesNotBreakTheOnesAfterIt() throws {
        let database = try TestDatabase.create()
        var files = Self.numbered(12)
        files["005_step.sql"] = "CREATE TABLE step_5 (id int);\nSELECT nextval('calls');\nDEALLOCATE ALL;"
        files["008_step.sql"] = "CREATE TABLE step_8 (id int);\nSELECT nextval('calls');\nDISCARD PLANS;\nPREPARE mine AS SELECT 1;"
        let folder = try MigrationFolder(files)
        let report = try database.migrator(folder).migrate()
        #expect(report.status == .succeeded, "\(report.error?.description ?? "")")
        try Self.expectPrefix(database, applied: 12, of: 12)
    }
}
