/// Turns successive snapshots of a run into its events. Every event has a
/// fixed place in the run's sequence, so two servers watching the same run
/// give the same event the same id, and a snapshot that skipped states
/// (a step started and ended between two looks) still yields every step
/// event in order.
///
/// Places: 0 the run, 1–2 a wait for the migration lock, 5 the plan and 6
/// its log line; step `i` from `1000 × (i + 1)`: +0 started, +1…+800 its
/// waits (attempt `a` of a table lock at `4a − 3`, its end one after; a
/// back-off before attempt `a` at `4a − 1`), +900 ended, +901 its log line;
/// the end at `1000 × (steps + 1)`: its log line, then `end` one after.
public struct RunEventDeriver: Sendable {
    public private(set) var events: [RunEvent] = []
    private var emitted: Set<Int> = []
    /// The wait last seen, by the sequence of its start.
    private var openWait: (sequence: Int, wait: LockWait)?
    public private(set) var isFinished = false

    public init() {}

    static let stride = 1000

    /// The events `run` shows that were not sent yet, in order.
    public mutating func observe(_ run: Run) -> [RunEvent] {
        var new: [RunEvent] = []
        func add(_ event: RunEvent) {
            guard !emitted.contains(event.sequence) else { return }
            emitted.insert(event.sequence)
            new.append(event)
        }
        let id = run.id
        var header = run
        header.steps = []
        header.wait = nil
        header.error = nil
        add(RunEvent(runID: id, sequence: 0, kind: .run, message: "run \(id) started (\(run.origin.trigger.rawValue))", run: header))
        let planned = !run.steps.isEmpty || run.status.isFinished
        if planned {
            var plan = header
            plan.steps = run.steps.map { RunStep(version: $0.version, filename: $0.filename, status: .pending, outOfOrder: $0.outOfOrder) }
            add(RunEvent(runID: id, sequence: 5, kind: .plan, message: Self.planLine(run), run: plan))
            add(RunEvent(runID: id, sequence: 6, kind: .log, message: Self.planLine(run)))
        }
        let current = run.status.isFinished ? nil : run.wait
        let currentSequence = current.map { waitSequence($0, in: run) }
        if let open = openWait, open.sequence != currentSequence {
            add(RunEvent(runID: id, sequence: open.sequence + 1, kind: .wait, message: "no longer waiting: \(open.wait.summary)"))
            openWait = nil
        }
        for (index, step) in run.steps.enumerated() {
            let base = Self.stride * (index + 1)
            if step.status == .running || step.status == .applied || step.status == .failed {
                var started = step
                started.status = .running
                started.durationMs = nil
                started.error = nil
                started.notices = nil
                add(RunEvent(runID: id, sequence: base, kind: .step, message: "started \(step.filename)", position: index, step: started))
            }
            if let current, let currentSequence, currentSequence > base, currentSequence < base + 900 {
                add(RunEvent(runID: id, sequence: currentSequence, kind: .wait, message: current.summary, wait: current))
                openWait = (currentSequence, current)
            }
            guard step.status.isFinished else { continue }
            // Notices come along where the server running the migration tells them.
            add(RunEvent(runID: id, sequence: base + 900, kind: .step, message: Self.stepLine(step, dryRun: run.dryRun), position: index, step: step))
            add(RunEvent(runID: id, sequence: base + 901, kind: .log, message: Self.stepLine(step, dryRun: run.dryRun), position: index))
        }
        if let current, let currentSequence, currentSequence < Self.stride {
            add(RunEvent(runID: id, sequence: currentSequence, kind: .wait, message: current.summary, wait: current))
            openWait = (currentSequence, current)
        }
        if run.status.isFinished {
            let end = Self.stride * (run.steps.count + 1)
            add(RunEvent(runID: id, sequence: end, kind: .log, message: Self.endLine(run)))
            add(RunEvent(runID: id, sequence: end + 1, kind: .end, message: Self.endLine(run), run: run))
            isFinished = true
        }
        new.sort { $0.sequence < $1.sequence }
        events += new
        return new
    }

    /// Every event after `sequence` (all of them for nil), in order.
    public func events(after sequence: Int?) -> [RunEvent] {
        guard let sequence else { return events }
        return events.filter { $0.sequence > sequence }
    }

    func waitSequence(_ wait: LockWait, in run: Run) -> Int {
        guard wait.kind != .migrationLock, let filename = wait.filename,
              let index = run.steps.firstIndex(where: { $0.filename == filename }) else { return 1 }
        let attempt = min(max(wait.attempt ?? 1, 1), 200)
        return Self.stride * (index + 1) + 4 * attempt - (wait.kind == .tableLock ? 3 : 1)
    }

    static func planLine(_ run: Run) -> String {
        let count = run.steps.count
        if count == 0 { return "nothing to apply" }
        return "\(run.dryRun ? "trying" : "applying") \(count) migration\(count == 1 ? "" : "s")\(run.dryRun ? " (dry run: rolled back)" : "")"
    }

    static func stepLine(_ step: RunStep, dryRun: Bool) -> String {
        switch step.status {
        case .applied: "applied \(step.filename) (\(step.durationMs ?? 0) ms)\(dryRun ? " [rolled back]" : "")"
        case .failed: "failed \(step.filename)" + (step.error.map { ": \($0)" } ?? "")
        default: "skipped \(step.filename)" + (step.error.map { ": \($0)" } ?? "")
        }
    }

    static func endLine(_ run: Run) -> String {
        let applied = run.appliedCount
        let count = "\(applied) migration\(applied == 1 ? "" : "s") applied"
        switch run.status {
        case .succeeded: return "run succeeded: \(count)"
        case .cancelled: return "run cancelled\(run.cancelledBy.map { " by \($0)" } ?? ""): \(count)"
        default: return "run failed: \(count)" + (run.error.map { "; \($0.description)" } ?? "")
        }
    }
}
