import Foundation
import RailyardAPI
import Logging
import Metrics
import RailyardCore
import RailyardEngine

/// Starts runs in the background, one at a time, and tracks their progress.
/// A run executes on its own thread (libpq blocks), reporting each step here.
final class RunManager: @unchecked Sendable {
    private let configuration: MigratorConfiguration
    private let store: RunStore
    private let logger: Logger
    private let lock = NSLock()
    private var active: (record: RunRecord, cancellation: MigrationCancellation)?
    /// Runs of this process, newest last, kept for when the table cannot be written.
    private var recent: [RunRecord] = []
    private var acceptingRuns = true
    private var finished: [CheckedContinuation<Void, Never>] = []

    init(configuration: MigratorConfiguration, logger: Logger) {
        self.configuration = configuration
        self.store = RunStore(configuration: configuration)
        self.logger = logger
    }

    enum StartError: Error {
        case busy(activeID: String)
        case shuttingDown
    }

    /// Starts a run; throws `busy` naming the run in progress.
    func start(_ request: MigrateRequest, requestedBy: String) throws(StartError) -> RunRecord {
        let record = RunRecord(id: UUID().uuidString.lowercased(), status: "running", requestedBy: requestedBy,
                               startedAt: Date(), finishedAt: nil, dryRun: request.dryRun, target: request.target,
                               steps: [], error: nil)
        let cancellation = MigrationCancellation()
        let refusal = lock.withLock { () -> StartError? in
            guard acceptingRuns else { return .shuttingDown }
            if let active { return .busy(activeID: active.record.id) }
            active = (record, cancellation)
            return nil
        }
        if let refusal { throw refusal }
        logger.info("run started", metadata: ["run": "\(record.id)", "dry_run": "\(request.dryRun)"])
        let thread = Thread { [self] in execute(record.id, request, cancellation) }
        thread.name = "railyard-run"
        thread.start()
        return record
    }

    /// The run with this id, from memory while it is recent.
    func inMemory(id: String) -> RunRecord? {
        lock.withLock {
            if let active, active.record.id == id { return active.record }
            return recent.last { $0.id == id }
        }
    }

    /// This process's runs (the active one included), newest first.
    func inMemoryRuns() -> [RunRecord] {
        lock.withLock { (recent + (active.map { [$0.record] } ?? [])).reversed() }
    }

    var runStore: RunStore { store }

    // MARK: Running

    private func execute(_ id: String, _ request: MigrateRequest, _ cancellation: MigrationCancellation) {
        let migrator = Migrator(configuration: configuration)
        do {
            let report = try migrator.migrate(request, cancellation: cancellation) { [self] event in
                handle(event, id: id, migrator: migrator)
            }
            finish(id) { Self.record(report, in: &$0) }
        } catch {
            finish(id) { record in
                record.status = "failed"
                let engineError = error as? EngineError
                record.error = .init(kind: engineError?.kind ?? "error", message: "\(error)")
            }
        }
    }

    /// A run's outcome written into its record.
    private static func record(_ report: MigrationRunReport, in record: inout RunRecord) {
        record.status = report.status.rawValue
        for step in report.steps {
            record.setStep(step.version, status: step.status.rawValue, durationMs: step.durationMs, error: step.note)
        }
        if let failure = report.failure {
            record.error = RunRecord.Failure(failure)
            record.setStep(failure.version, status: "failed", durationMs: nil, error: failure.description)
        } else if report.cancelled {
            record.error = .init(kind: "cancelled", message: "the run was stopped: the server is shutting down")
        }
    }

    private func handle(_ event: MigrationEvent, id: String, migrator: Migrator) {
        switch event {
        case .finished(let report):
            // Saved while the lock is held: a run seen as running with the
            // lock free is one whose server died (see RunStore).
            update(id) { record in
                Self.record(report, in: &record)
                record.finishedAt = Date()
            }
            persist(id, migrator: migrator)
        case .planned(let steps):
            update(id) { record in
                record.steps = steps.map { .init(version: $0.file.version, filename: $0.file.filename, status: "pending") }
            }
            persist(id, migrator: migrator)
        case .started(let version, _):
            update(id) { $0.setStep(version, status: "running", durationMs: nil, error: nil) }
        case .completed(let version, let filename, let milliseconds, _):
            update(id) { $0.setStep(version, status: "applied", durationMs: milliseconds, error: nil) }
            Timer(label: "railyard_migration_duration_seconds").recordMilliseconds(milliseconds)
            logger.info("migration applied", metadata: ["run": "\(id)", "file": "\(filename)", "ms": "\(milliseconds)"])
        case .failed(let failure):
            logger.error("migration failed", metadata: ["run": "\(id)", "error": "\(failure)"])
        case .waitingForLock(let holder):
            logger.info("waiting for the migration lock", metadata: ["run": "\(id)", "holder": "\(holder ?? "unknown")"])
        case .retrying(let filename, let attempt, _, let reason):
            logger.warning("retrying after lock timeout", metadata: ["file": "\(filename)", "attempt": "\(attempt)", "reason": "\(reason)"])
        default:
            break
        }
    }

    private func update(_ id: String, _ change: (inout RunRecord) -> Void) {
        lock.withLock {
            guard var current = active, current.record.id == id else { return }
            change(&current.record)
            active = current
        }
    }

    private func finish(_ id: String, _ change: (inout RunRecord) -> Void) {
        update(id) { record in
            change(&record)
            record.finishedAt = Date()
        }
        let migrator = Migrator(configuration: configuration)
        persist(id, migrator: migrator)
        let waiters = lock.withLock { () -> [CheckedContinuation<Void, Never>] in
            if let done = active?.record, done.id == id {
                recent.append(done)
                if recent.count > 50 { recent.removeFirst(recent.count - 50) }
                Counter(label: "railyard_runs_total", dimensions: [("status", done.status)]).increment()
                logger.info("run finished", metadata: ["run": "\(id)", "status": "\(done.status)"])
                active = nil
            }
            defer { finished.removeAll() }
            return finished
        }
        waiters.forEach { $0.resume() }
    }

    private func persist(_ id: String, migrator: Migrator) {
        guard let record = inMemory(id: id) else { return }
        do {
            let connection = try migrator.connect(applicationName: "railyard-server")
            defer { connection.close() }
            try store.save(record, on: connection)
        } catch {
            logger.warning("could not record the run in railyard_runs", metadata: ["run": "\(id)", "error": "\(error)"])
        }
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
            running.cancel()
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

extension RunRecord.Failure {
    init(_ failure: MigrationFailure) {
        self.init(kind: "migration_failed", message: failure.message)
        version = failure.version
        filename = failure.filename
        line = failure.line
        column = failure.column
        sqlstate = failure.sqlstate
        detail = failure.detail
        hint = failure.hint
        statementIndex = failure.statementIndex
        statement = failure.statement
        waitedFor = failure.waitedFor
    }
}

extension RunRecord {
    mutating func setStep(_ version: String, status: String, durationMs: Int?, error: String?) {
        guard let index = steps.firstIndex(where: { $0.version == version }) else { return }
        steps[index].status = status
        if let durationMs { steps[index].durationMs = durationMs }
        if let error { steps[index].error = error }
    }
}
