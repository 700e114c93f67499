import Foundation
import RailyardAPI
import Logging
import Metrics
import RailyardCore
import RailyardEngine

/// Starts this server's runs in the background, one at a time, and mirrors
/// the one in progress in memory (its live steps and waits, also for a dry
/// run, whose own writes are rolled back). The history of every run, this
/// server's, other replicas' and pre-deploy commands', is in the database.
final class RunManager: @unchecked Sendable {  // `active`, `recent`, `acceptingRuns` and `finished` are guarded by `lock`
    private let configuration: MigratorConfiguration
    let journal: RunJournal
    private let logger: Logger
    private let lock = NSLock()
    private var active: (run: Run, cancellation: MigrationCancellation)?
    /// This process's finished runs, newest last, for when the database was not written.
    private var recent: [Run] = []
    private var acceptingRuns = true
    private var finished: [CheckedContinuation<Void, Never>] = []

    init(configuration: MigratorConfiguration, logger: Logger) {
        self.configuration = configuration
        self.journal = RunJournal(configuration: configuration)
        self.logger = logger
    }

    enum StartError: Error {
        case busy(activeID: String)
        case shuttingDown
    }

    /// Starts a run; throws `busy` naming the run in progress here.
    func start(_ request: MigrateRequest) throws(StartError) -> Run {
        var request = request
        let run = Run(origin: request.origin, dryRun: request.dryRun, target: request.target)
        request.id = run.id
        let cancellation = MigrationCancellation()
        let refusal = lock.withLock { () -> StartError? in
            guard acceptingRuns else { return .shuttingDown }
            if let active { return .busy(activeID: active.run.id) }
            active = (run, cancellation)
            return nil
        }
        if let refusal { throw refusal }
        logger.info("run started", metadata: ["run": "\(run.id)", "dry_run": "\(request.dryRun)"])
        let thread = Thread { [self, request] in execute(request, cancellation) }
        thread.name = "railyard-run"
        thread.start()
        return run
    }

    /// This server's run with this id, while it runs or recently ended.
    func local(id: String) -> Run? {
        lock.withLock {
            if let active, active.run.id == id { return active.run.withRunningStepMarked() }
            return recent.last { $0.id == id }
        }
    }

    /// This process's runs (the active one included), newest first.
    func localRuns() -> [Run] {
        lock.withLock { (recent + (active.map { [$0.run.withRunningStepMarked()] } ?? [])).reversed() }
    }

    /// Cancels this server's run `id`; false when it is not running here.
    func cancelLocal(id: String, by who: String) -> Bool {
        let cancellation = lock.withLock { active?.run.id == id ? active?.cancellation : nil }
        cancellation?.cancel(by: who)
        return cancellation != nil
    }

    // MARK: Running

    private func execute(_ request: MigrateRequest, _ cancellation: MigrationCancellation) {
        let id = request.id ?? ""
        let migrator = Migrator(configuration: configuration)
        do {
            let run = try migrator.migrate(request, cancellation: cancellation) { [self] event in handle(event, id: id) }
            finish(id) { $0.replace(with: run) }
        } catch {
            finish(id) { run in
                run.status = cancellation.isCancelled ? .cancelled : .failed
                run.cancelledBy = cancellation.cancelledBy
                var failure = RunFailure(kind: (error as? EngineError)?.kind ?? .error, message: "\(error)")
                failure.hint = RunAdvice.hint(for: error)
                run.error = failure
                run.finishedAt = Date()
            }
        }
    }

    private func handle(_ event: MigrationEvent, id: String) {
        switch event {
        case .planned(let steps):
            update(id) { run in
                run.steps = steps.map { RunStep(version: $0.file.version, filename: $0.file.filename, status: .pending, outOfOrder: $0.outOfOrder) }
                run.wait = nil
            }
        case .waitingForLock(let holder):
            update(id) { $0.wait = LockWait(kind: .migrationLock, holder: holder) }
            ServerMetrics.lockWaits(.migrationLock).increment()
            ServerMetrics.lockWaiting.record(1)
            logger.info("waiting for the migration lock", metadata: ["run": "\(id)", "holder": "\(holder ?? "unknown")"])
        case .lockAcquired:
            update(id) { $0.wait = nil }
            ServerMetrics.lockWaiting.record(0)
        case .waiting(let wait):
            var began = false
            update(id) { run in
                // A new wait, or the next attempt's: counted once each.
                began = wait != nil && (run.wait?.kind != wait?.kind || run.wait?.attempt != wait?.attempt)
                run.wait = wait
            }
            if began, let wait { ServerMetrics.lockWaits(wait.kind).increment() }
            ServerMetrics.lockWaiting.record(wait == nil ? 0 : 1)
            if let wait, wait.kind == .tableLock {
                logger.info("migration waits for a lock", metadata: ["run": "\(id)", "file": "\(wait.filename ?? "?")",
                                                                     "holder": "\(wait.holder ?? "?")", "attempt": "\(wait.attempt ?? 1)"])
            }
        case .started(_, let filename):
            update(id) { $0.setStep(filename, status: .running) }
        case .notice(let filename, let message):
            update(id) { run in
                guard let index = run.steps.firstIndex(where: { $0.filename == filename }) else { return }
                if (run.steps[index].notices?.count ?? 0) < 100 { run.steps[index].notices = (run.steps[index].notices ?? []) + [message] }
            }
        case .completed(_, let filename, let milliseconds, _):
            update(id) { $0.setStep(filename, status: .applied, durationMs: milliseconds) }
            ServerMetrics.migrationDuration.recordMilliseconds(milliseconds)
            logger.info("migration applied", metadata: ["run": "\(id)", "file": "\(filename)", "ms": "\(milliseconds)"])
        case .skipped(_, let filename, let reason):
            update(id) { $0.setStep(filename, status: .skipped, error: reason) }
        case .failed(let failure):
            update(id) { run in
                if let filename = failure.filename { run.setStep(filename, status: .failed, error: failure.description) }
            }
            logger.error("migration failed", metadata: ["run": "\(id)", "error": "\(failure)"])
        case .retrying(let filename, let attempt, _, let reason):
            logger.warning("retrying after lock timeout", metadata: ["file": "\(filename)", "attempt": "\(attempt)", "reason": "\(reason)"])
        case .finished(let finished):
            update(id) { $0.replace(with: finished) }
        default:
            break
        }
    }

    private func update(_ id: String, _ change: (inout Run) -> Void) {
        lock.withLock {
            guard var current = active, current.run.id == id else { return }
            change(&current.run)
            active = current
        }
    }

    private func finish(_ id: String, _ change: (inout Run) -> Void) {
        update(id, change)
        let waiters = lock.withLock { () -> [CheckedContinuation<Void, Never>] in
            if let done = active?.run, done.id == id {
                recent.append(done)
                if recent.count > 50 { recent.removeFirst(recent.count - 50) }
                ServerMetrics.runs(done.status).increment()
                ServerMetrics.lockWaiting.record(0)
                logger.info("run finished", metadata: ["run": "\(id)", "status": "\(done.status.rawValue)"])
                active = nil
            }
            defer { finished.removeAll() }
            return finished
        }
        waiters.forEach { $0.resume() }
    }

    // MARK: Shutdown

    /// Refuses new runs, lets the active one finish for `grace` seconds,
    /// then cancels it (its migration rolls back) and waits for it to end.
    func shutdown(grace: Double) async {
        let running = lock.withLock { () -> MigrationCancellation? in
            acceptingRuns = false
            return active?.cancellation
        }
        guard let running else { return }
        logger.info("waiting for the active run before stopping", metadata: ["grace_seconds": "\(grace)"])
        let deadline = Date().addingTimeInterval(grace)
        while Date() < deadline, lock.withLock({ active != nil }) {
            try? await Task.sleep(nanoseconds: 100_000_000)
        }
        if lock.withLock({ active != nil }) {
            logger.warning("cancelling the active run: grace period over")
            running.cancel(by: "server shutdown (SIGTERM)")
            await withCheckedContinuation { continuation in
                let done = lock.withLock { () -> Bool in
                    if active == nil { return true }
                    finished.append(continuation)
                    return false
                }
                if done { continuation.resume() }
            }
        }
    }
}

extension Run {
    /// The engine's final word on this run, keeping the notices seen meanwhile.
    mutating func replace(with finished: Run) {
        let notices = Dictionary(steps.map { ($0.filename, $0.notices) }, uniquingKeysWith: { first, _ in first })
        self = finished
        for index in steps.indices { steps[index].notices = notices[steps[index].filename] ?? nil }
    }

    /// Steps are found by file name: two legacy files may share a version.
    mutating func setStep(_ filename: String, status: StepStatus, durationMs: Int? = nil, error: String? = nil) {
        guard let index = steps.firstIndex(where: { $0.filename == filename }) else { return }
        steps[index].status = status
        if let durationMs { steps[index].durationMs = durationMs }
        if let error { steps[index].error = error }
    }
}
