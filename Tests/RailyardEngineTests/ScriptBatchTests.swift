import Foundation
import Synchronization
import Testing
import RailyardTestSupport
import RailyardCore
import PostgresClient
@testable import RailyardEngine

/// A batch goes to the server as one simple-query message (a script).
/// What that changes, and must not show: the server parses the whole
/// message before it runs any of it, every transaction of the message
/// starts at the message's `now()`, error positions count from the
/// message's start, and the results come only at its end.
@Suite("Batches sent as one script")
struct ScriptBatchTests {
    @Test func aSyntaxErrorMidBatchStillLeavesExactlyTheMigrationsBeforeIt() throws {
        let database = try TestDatabase.create()
        let folder = try MigrationFolder(PipelinedBatchTests.numbered(12) { $0 == 7 ? "CREATE TABLE oops (id int,);" : "" })
        let report = try database.migrator(folder).migrate()
        #expect(report.status == .failed)
        #expect(report.appliedCount == 6)
        // Migration 7 ran up to its broken statement once, as a pipeline of its own; the script ran nothing.
        try Self.expectFailure(report, database, in: "007_step.sql", sqlstate: "42601", at: (3, 27), leaving: 6, of: 12)
    }

    @Test func anErrorPositionIsPlacedInItsFileWhateverTheCharactersBeforeIt() throws {
        let database = try TestDatabase.create()
        // A combining accent (two code points, one character), an astral emoji (four bytes) and Latin-1 letters.
        let folder = try MigrationFolder(PipelinedBatchTests.numbered(8) { number in
            switch number {
            case 3: "COMMENT ON TABLE step_3 IS 'e\u{301}🚂 ünï';"
            case 6: "SELECT 'e\u{301}🚂' AS x, no_such_column FROM step_6;"
            default: ""
            }
        })
        let report = try database.migrator(folder).migrate()
        // S E L E C T, space, quote, e, accent, train, quote, space, A S, space, x, comma, space: the name is the 20th code point.
        try Self.expectFailure(report, database, in: "006_step.sql", sqlstate: "42703", at: (3, 20), leaving: 5, of: 8)
    }

    /// The run failed in `filename` at `line:column` with `sqlstate`, and left
    /// exactly the migrations before it (the failed one ran once, rolled back).
    static func expectFailure(_ report: Run, _ database: TestDatabase, in filename: String, sqlstate: String, at position: (line: Int, column: Int),
                              leaving applied: Int, of count: Int, sourceLocation: Testing.SourceLocation = #_sourceLocation) throws {
        let failure = try #require(report.error, sourceLocation: sourceLocation)
        #expect(failure.filename == filename, sourceLocation: sourceLocation)
        #expect(failure.sqlstate == sqlstate, sourceLocation: sourceLocation)
        #expect(failure.line == position.line && failure.column == position.column, "\(failure.line ?? 0):\(failure.column ?? 0)",
                sourceLocation: sourceLocation)
        try PipelinedBatchTests.expectPrefix(database, applied: applied, of: count, alsoRan: 1...1, sourceLocation: sourceLocation)
    }

    @Test func eachMigrationOfAScriptIsTimedFromItsOwnStart() throws {
        let database = try TestDatabase.create()
        let folder = try MigrationFolder(PipelinedBatchTests.numbered(6) { $0 == 3 ? "SELECT pg_sleep(0.4);" : "" })
        var reported: [String: Int] = [:]
        let report = try database.migrator(folder).migrate { event in
            if case .completed(_, let filename, let milliseconds, _) = event { reported[filename] = milliseconds }
        }
        #expect(report.status == .succeeded, "\(report.error?.description ?? "")")
        #expect(reported["003_step.sql"].map { $0 >= 400 } == true, "\(reported)")
        #expect(reported["004_step.sql"].map { $0 < 300 } == true, "\(reported)")
        #expect(reported["006_step.sql"].map { $0 < 300 } == true, "\(reported)")
        let tracked = try database.execute("SELECT version, execution_ms FROM railyard_migrations ORDER BY version").rows
        let trackedMs = Dictionary(uniqueKeysWithValues: tracked.map { ($0[0] ?? "", Int($0[1] ?? "") ?? -1) })
        #expect(trackedMs["003_step"].map { $0 >= 400 } == true, "\(trackedMs)")
        #expect(trackedMs["004_step"].map { $0 >= 0 && $0 < 300 } == true, "\(trackedMs)")
        let steps = try database.execute("SELECT position, duration_ms FROM railyard_run_steps ORDER BY position").rows
        let stepMs = steps.map { Int($0[1] ?? "") ?? -1 }
        #expect(stepMs.count == 6 && stepMs[2] >= 400 && stepMs[3] >= 0 && stepMs[3] < 300, "\(stepMs)")
    }

    @Test func aLockWaitMidScriptNamesTheMigrationThatWaitsAndEndsWithTheWait() throws {
        let database = try TestDatabase.create()
        try database.execute("CREATE TABLE busy (id int)")
        let folder = try MigrationFolder(PipelinedBatchTests.numbered(10) { number in
            switch number {
            case 5: "ALTER TABLE busy ADD COLUMN note text;"
            case 7: "SELECT pg_sleep(1);"
            default: ""
            }
        })
        let blocker = try database.connect()
        try blocker.execute("BEGIN; LOCK TABLE busy IN ACCESS SHARE MODE;")
        Thread.detachNewThread {
            Thread.sleep(forTimeInterval: 1.5)
            _ = try? blocker.execute("ROLLBACK")
        }
        let holder = Int(blocker.backendPID)
        let log = Mutex<[String]>([])
        let report = try database.migrator(folder) { $0.lockTimeoutMilliseconds = 20_000 }.migrate { event in
            switch event {
            case .waiting(let wait?) where wait.kind == .tableLock:
                log.withLock { $0.append("wait \(wait.filename ?? "?") \(wait.holderPID == holder ? "holder" : "?")") }
            case .waiting(nil): log.withLock { $0.append("no wait") }
            case .completed(_, let filename, _, _): log.withLock { $0.append("done \(filename)") }
            default: break
            }
        }
        #expect(report.status == .succeeded, "\(report.error?.description ?? "")")
        let seen = log.withLock { $0 }
        let waits = seen.filter { $0.hasPrefix("wait") }
        #expect(!waits.isEmpty && waits.allSatisfy { $0 == "wait 005_step.sql holder" }, "\(seen)")
        // While 005 waits, the migrations before it show as done (read from the run's steps, the
        // script's results not yet in); the wait ends before 005 is done, while the script still runs.
        let doneWhileWaiting = (1...4).map { String(format: "done %03d_\($0 == 1 ? "calls" : "step").sql", $0) }
        let ended = seen.firstIndex(of: "no wait") ?? seen.count
        #expect(doneWhileWaiting.allSatisfy { seen[..<ended].contains($0) }, "\(seen)")
        #expect(seen.firstIndex(of: "done 005_step.sql").map { $0 > ended } == true, "\(seen)")
        #expect(seen.filter { $0.hasPrefix("done") } == (1...10).map { String(format: "done %03d_\($0 == 1 ? "calls" : "step").sql", $0) },
                "each migration is reported once, in order: \(seen)")
        try PipelinedBatchTests.expectPrefix(database, applied: 10, of: 10)
    }

    @Test func scriptTextKeepsEveryValueAsItIs() {
        let statements = MigrationRunner.scriptStatements([
            .sql("BEGIN", []), .prepare(name: "p", sql: "SELECT $1", parameterCount: 1), .prepared(name: "p", ["o'k", nil]),
        ])
        #expect(statements == ["BEGIN", "PREPARE p AS SELECT $1", "EXECUTE p(E'o''k', NULL)"])
        #expect(MigrationRunner.scriptStatements([.sql("SELECT $1", ["x"])]) == nil)
    }

    @Test func quotesAndBackslashesInTrackedValuesReachTheTableIntact() throws {
        let database = try TestDatabase.create()
        let folder = try MigrationFolder(PipelinedBatchTests.numbered(4))
        let who = "o'brien \\ 'ünï' e\u{301} \\'"
        let report = try database.migrator(folder) { $0.appliedBy = who }.migrate()
        #expect(report.status == .succeeded, "\(report.error?.description ?? "")")
        let recorded = try database.execute("SELECT DISTINCT applied_by FROM railyard_migrations").rows.map { $0[0] ?? "" }
        #expect(recorded == [who])
    }

    /// Each batch after the first is built while the one before it runs:
    /// every migration still lands in its own place, in the tracking table
    /// and in the run's steps, and a failure in a later batch leaves
    /// exactly the migrations before it, whichever batch they were in.
    @Test func batchesBuiltAheadPutEveryMigrationInItsPlace() throws {
        let limit = MigrationRunner.batchLimit.migrations
        let count = 2 * limit + 22, failing = limit + 36
        let database = try TestDatabase.create()
        let folder = try MigrationFolder(PipelinedBatchTests.numbered(count) { $0 == failing ? "SELECT 1 / 0;" : "" })
        let report = try database.migrator(folder).migrate()
        #expect(report.status == .failed)
        #expect(report.error?.filename == String(format: "%03d_step.sql", failing))
        try PipelinedBatchTests.expectPrefix(database, applied: failing - 1, of: count, alsoRan: 1...1)
        let steps = try database.execute("SELECT position, filename, status FROM railyard_run_steps ORDER BY position").rows
        #expect(steps.count == count)
        for (index, step) in steps.enumerated() {
            let number = index + 1
            let status = number < failing ? "applied" : number == failing ? "failed" : "skipped"
            #expect(step == [String(index), String(format: "%03d_\(number == 1 ? "calls" : "step").sql", number), status], "\(step)")
        }

        try folder.write(String(format: "%03d_step.sql", failing), "CREATE TABLE step_\(failing) (id int);\nSELECT nextval('calls');")
        let rerun = try database.migrator(folder).migrate()
        #expect(rerun.status == .succeeded, "\(rerun.error?.description ?? "")")
        #expect(rerun.appliedCount == count - failing + 1)
        try PipelinedBatchTests.expectPrefix(database, applied: count, of: count, alsoRan: 1...1)
        let rerunSteps = try database.execute("SELECT position, filename, status FROM railyard_run_steps WHERE run_id = '\(rerun.id)' ORDER BY position").rows
        #expect(rerunSteps.map { $0[2] } == Array(repeating: "applied", count: count - failing + 1))
        #expect(rerunSteps.map { $0[1] } == (failing...count).map { String(format: "%03d_step.sql", $0) })
    }
}
