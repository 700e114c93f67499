import Foundation
import Logging
import RailyardAPI
import NIOPosix
import PostgresClient
import RailyardCore
import RailyardEngine

/// The database's health, answered within a deadline whatever the database
/// does. One probe runs at a time on its own thread and connection; callers
/// in between share its answer, which is kept for a quarter of a second.
actor HealthMonitor {
    typealias Result = HealthStatus

    /// A result with its JSON body, encoded once per probe.
    struct Answer: Sendable {
        var result: Result
        var body: [UInt8]
    }

    private let probe: HealthProbe
    private let deadline: Double
    private let logger: Logger
    private var cached: (at: Date, answer: Answer)?
    private var inFlight: Task<Answer, Never>?
    private var lastLoggedProblem: String?
    static let freshFor: TimeInterval = 0.25

    init(migrator: Migrator, catalogs: CatalogCache, deadlineSeconds: Double, logger: Logger) {
        probe = HealthProbe(migrator: migrator, catalogs: catalogs)
        deadline = deadlineSeconds
        self.logger = logger
    }

    func current() async -> Answer {
        if let cached, Date().timeIntervalSince(cached.at) < Self.freshFor { return cached.answer }
        if let inFlight { return await inFlight.value }
        let task = Task { [probe, deadline] in
            let (result, problem) = await probe.check(deadline: deadline)
            let body = (try? APIJSON.encoder(compact: true).encode(result)).map { [UInt8]($0) } ?? []
            return (Answer(result: result, body: body), problem)
        }
        inFlight = Task { await task.value.0 }
        let (answer, problem) = await task.value
        inFlight = nil
        // The public answer says only that the database is unreachable; the
        // reason (host, user and database names) goes to the log, once per change.
        if problem != lastLoggedProblem {
            if let problem {
                logger.error("health: the database is unreachable", metadata: ["reason": "\(problem)"])
            } else if lastLoggedProblem != nil {
                logger.info("health: the database answers again")
            }
            lastLoggedProblem = problem
        }
        cached = (Date(), answer)
        return answer
    }

    func shutdown() async {
        await probe.shutdown()
    }
}

/// Asks the database on a dedicated thread how the tracking table stands
/// (which proves it answers); gives up at the deadline, breaking the
/// connection so that the thread is free again. The migration counts are
/// computed again only when the folder or the tracking table changed.
final class HealthProbe: @unchecked Sendable {  // `connection` and `summary` are guarded by `lock`; the rest is set in init
    private let thread = NIOThreadPool(numberOfThreads: 1)
    private let migrator: Migrator
    private let catalogs: CatalogCache
    private let lock = NSLock()
    private var connection: PostgresConnection?
    private var summary: (generation: Int, fingerprint: String?, migrations: HealthStatus.Migrations)?

    init(migrator: Migrator, catalogs: CatalogCache) {
        var configuration = migrator.configuration
        configuration.connectTimeoutSeconds = 2
        self.migrator = Migrator(configuration: configuration)
        self.catalogs = catalogs
        thread.start()
    }

    /// The public result, and the full reason when the database did not answer.
    func check(deadline: Double) async -> (HealthMonitor.Result, String?) {
        let outcome: String? = await withCheckedContinuation { continuation in
            let once = Once()
            Task {
                let error = try? await thread.runIfActive { [self] in self.probe() }
                if once.claim() { continuation.resume(returning: error ?? "the health thread is not running") }
            }
            Task {
                try? await Task.sleep(nanoseconds: UInt64(deadline * 1_000_000_000))
                if once.claim() {
                    self.abortConnection()
                    continuation.resume(returning: "the database did not answer within \(deadline) s")
                }
            }
        }
        let healthy = outcome == ""
        let timedOut = outcome?.hasPrefix("the database did not answer within") == true
        let result = HealthMonitor.Result(status: healthy ? "ok" : "error", database: healthy ? "connected" : "disconnected",
                                          timestamp: Date(), version: RailyardVersion.current,
                                          detail: healthy ? nil : timedOut ? outcome : "cannot reach the database (the server log says why)",
                                          migrations: healthy ? lock.withLock { summary?.migrations } : nil)
        return (result, healthy ? nil : outcome)
    }

    /// "" when the database answered, otherwise why not.
    private func probe() -> String {
        do {
            let current = lock.withLock { connection }
            let live = try current ?? migrator.connect(applicationName: "railyard-health")
            lock.withLock { connection = live }
            let fingerprint = try migrator.trackingFingerprint(connection: live)
            summarize(connection: live, fingerprint: fingerprint)
            return ""
        } catch let error as EngineError {
            if case .database(_, let cause) = error, cause.kind != .connection, cause.sqlstate != nil {
                lock.withLock { summary = nil }
                return ""  // the database answered, with an error of its own
            }
            lock.withLock {
                connection?.close()
                connection = nil
            }
            return "\(error)"
        } catch {
            lock.withLock {
                connection?.close()
                connection = nil
            }
            return (error as? EngineError).map { "\($0)" } ?? "\(error)"
        }
    }

    /// The migration counts, kept while neither the folder nor the tracking table changes.
    private func summarize(connection: PostgresConnection, fingerprint: String?) {
        guard let (catalog, generation) = try? catalogs.catalogAndGeneration(migrator) else {
            lock.withLock { summary = nil }
            return
        }
        if generation != 0, let kept = lock.withLock({ summary }), kept.generation == generation, kept.fingerprint == fingerprint { return }
        guard let records = try? migrator.records(connection: connection, catalog: catalog) else { return }
        let listing = MigrationListing(states: Planner.states(files: catalog.files, records: records), diagnostics: catalog.diagnostics)
        lock.withLock { summary = (generation, fingerprint, HealthStatus.Migrations(listing: listing)) }
    }

    private func abortConnection() {
        lock.withLock { connection }?.abortFromAnotherThread()
    }

    func shutdown() async {
        try? await thread.shutdownGracefully()
        lock.withLock { connection?.close() }
    }
}

/// True for the first caller only.
final class Once: @unchecked Sendable {  // `claimed` is guarded by `lock`
    private let lock = NSLock()
    private var claimed = false

    func claim() -> Bool {
        lock.withLock {
            defer { claimed = true }
            return !claimed
        }
    }
}
