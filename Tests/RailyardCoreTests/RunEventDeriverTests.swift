import Foundation
import Testing
import RailyardCore

/// Run snapshots in, events out: every step in order, the same ids however
/// often (or seldom) a server looked.
@Suite("Run events")
struct RunEventDeriverTests {
    static let files = ["1_a.sql", "2_b.sql", "3_c.sql"]

    static func run(_ statuses: [StepStatus], status: RunStatus = .running, wait: LockWait? = nil) -> Run {
        var run = Run(id: "0c5e1f0e-0000-4000-8000-000000000001", origin: RunOrigin(trigger: .api))
        run.status = status
        run.steps = zip(files, statuses).map { RunStep(version: String($0.0.prefix(1)), filename: $0.0, status: $0.1, durationMs: $0.1 == .applied ? 5 : nil) }
        run.wait = wait
        if status.isFinished { run.finishedAt = Date() }
        return run
    }

    static let history: [Run] = [
        run([]),
        run([.running, .pending, .pending]),
        run([.applied, .running, .pending]),
        run([.applied, .running, .pending], wait: LockWait(kind: .tableLock, filename: "2_b.sql", holder: "pid 42", attempt: 1, attempts: 2)),
        run([.applied, .running, .pending], wait: LockWait(kind: .retryBackoff, filename: "2_b.sql", attempt: 2, attempts: 2)),
        run([.applied, .running, .pending]),
        run([.applied, .applied, .running]),
        run([.applied, .applied, .applied], status: .succeeded),
    ]

    static func describe(_ events: [RunEvent]) -> [String] {
        events.map { "\($0.sequence) \($0.kind.rawValue)" + ($0.step.map { " \($0.filename) \($0.status.rawValue)" } ?? "") + ($0.kind == .wait ? " \($0.wait?.kind.rawValue ?? "none")" : "") }
    }

    @Test func everyStateSeenGivesEveryEventInOrder() {
        var deriver = RunEventDeriver()
        let events = Self.history.flatMap { deriver.observe($0) }
        #expect(Self.describe(events) == [
            "0 run", "5 plan", "6 log",
            "1000 step 1_a.sql running", "1900 step 1_a.sql applied", "1901 log",
            "2000 step 2_b.sql running", "2001 wait table_lock", "2002 wait none", "2007 wait retry_backoff", "2008 wait none",
            "2900 step 2_b.sql applied", "2901 log",
            "3000 step 3_c.sql running", "3900 step 3_c.sql applied", "3901 log",
            "4000 log", "4001 end",
        ])
        #expect(deriver.isFinished)
        #expect(deriver.events.map(\.sequence) == events.map(\.sequence))
    }

    @Test func aServerThatLookedSeldomGivesTheSameIdsForWhatItSaw() {
        var everyLook = RunEventDeriver()
        let all = Self.history.flatMap { everyLook.observe($0) }
        var seldom = RunEventDeriver()
        let some = [Self.history[2], Self.history[7]].flatMap { seldom.observe($0) }
        // It never saw the waits; everything else is there, with the same ids.
        #expect(some.map(\.id) == all.filter { $0.kind != .wait }.map(\.id))
        #expect(some.map(\.sequence) == some.map(\.sequence).sorted())
    }

    @Test func lookingAgainAtTheSameStateSendsNothing() {
        var deriver = RunEventDeriver()
        _ = deriver.observe(Self.history[3])
        #expect(deriver.observe(Self.history[3]).isEmpty)
        #expect(Self.describe(deriver.observe(Self.history[5])) == ["2002 wait none"])
    }

    @Test func resumingAfterAnIdGivesWhatCameAfterIt() {
        var deriver = RunEventDeriver()
        for run in Self.history { _ = deriver.observe(run) }
        #expect(deriver.events(after: 2001).first?.sequence == 2002)
        #expect(deriver.events(after: 4001).isEmpty)
        #expect(deriver.events(after: nil).count == deriver.events.count)
    }

    @Test func aFailedRunEndsWithItsErrorAndSkippedSteps() {
        var run = Self.run([.applied, .failed, .skipped], status: .failed)
        var failure = RunFailure(kind: .migrationFailed, message: "column \"x\" does not exist")
        (failure.filename, failure.line, failure.column, failure.sqlstate) = ("2_b.sql", 3, 8, "42703")
        run.error = failure
        var deriver = RunEventDeriver()
        let events = deriver.observe(run)
        #expect(Self.describe(events).filter { $0.contains("step") } == [
            "1000 step 1_a.sql running", "1900 step 1_a.sql applied", "2000 step 2_b.sql running", "2900 step 2_b.sql failed",
            "3900 step 3_c.sql skipped",
        ])
        #expect(events.last?.kind == .end)
        #expect(events.last?.run?.error?.line == 3)
        #expect(events.dropLast().last?.message.contains("2_b.sql:3:8: ERROR 42703") == true)
    }

    @Test func aWaitForTheMigrationLockComesBeforeThePlan() {
        var deriver = RunEventDeriver()
        let waiting = deriver.observe(Self.run([], wait: LockWait(kind: .migrationLock, holder: "another replica")))
        #expect(Self.describe(waiting) == ["0 run", "1 wait migration_lock"])
        #expect(Self.describe(deriver.observe(Self.history[1])) == ["2 wait none", "5 plan", "6 log", "1000 step 1_a.sql running"])
    }

    @Test(arguments: [
        ("0c5e1f0e-0000-4000-8000-000000000001:2001", "0c5e1f0e-0000-4000-8000-000000000001", 2001),
        ("0C5E1F0E-0000-4000-8000-000000000001:7", "0c5e1f0e-0000-4000-8000-000000000001", 7), ("42", nil, 42),
    ])
    func eventIdsParse(text: String, runID: String?, sequence: Int) {
        let parsed = RunEvent.parseID(text)
        #expect(parsed?.runID == runID)
        #expect(parsed?.sequence == sequence)
    }

    @Test(arguments: ["", "yesterday", "+5", " 42", "1234567890123456789", "not-a-uuid:4", "0c5e1f0e-0000-4000-8000-000000000001:-1", "0c5e1f0e-0000-4000-8000-000000000001:x"])
    func otherIdsDoNot(text: String) {
        #expect(RunEvent.parseID(text) == nil)
    }
}
