import Foundation
import RailyardAPI
import Logging
import PostgresClient
import Prometheus
import RailyardCore
import RailyardEngine

/// What the handlers share: configuration, the read pool, health and runs.
final class ServerState: Sendable {
    let configuration: ServerConfiguration
    let migrator: Migrator
    let pool: DatabasePool
    let health: HealthMonitor
    let runs: RunManager
    let events: EventHub
    let registry: PrometheusCollectorRegistry
    let logger: Logger
    let catalogs = CatalogCache()
    let listings = ListingCache()
    let drifts = DriftCache()

    init(configuration: ServerConfiguration, registry: PrometheusCollectorRegistry, logger: Logger) {
        self.configuration = configuration
        migrator = Migrator(configuration: configuration.migrator)
        pool = DatabasePool(migrator: migrator, size: configuration.poolSize)
        health = HealthMonitor(migrator: migrator, catalogs: catalogs, deadlineSeconds: configuration.healthDeadlineSeconds, logger: logger)
        runs = RunManager(configuration: configuration.migrator, logger: logger)
        events = EventHub(source: RunSnapshots(runs: runs, pool: pool), heartbeat: configuration.heartbeatSeconds)
        self.registry = registry
        self.logger = logger
        ServerMetrics.start()
    }

    /// Brings the gauges a scrape reads up to date: the migration counts (the
    /// health probe's, recomputed only when the folder or the tracking table
    /// changed), whether the database answers, and the drift.
    func refreshGauges() async {
        let answer = await health.current()
        ServerMetrics.record(answer.result)
        guard answer.result.database == "connected" else { return }
        _ = try? await read { [drifts] migrator, connection in try drifts.drift(migrator, connection: connection) }
    }

    /// Runs blocking database work on the read pool, mapping failures to problems.
    func read<T: Sendable>(_ body: @escaping @Sendable (Migrator, PostgresConnection) throws -> T) async throws -> T {
        do {
            return try await pool.withConnection { [migrator] connection in try body(migrator, connection) }
        } catch let problem as Problem {
            throw problem
        } catch let error as PostgresError where error.kind == .connection {
            throw Problem.unavailable("the database cannot be reached: \(error.message)")
        } catch EngineError.unreachable(let error) {
            throw Problem.unavailable("the database cannot be reached: \(error.message)")
        } catch let error as EngineError {
            throw Problem.unavailable("\(error)")
        } catch let error as PostgresError {
            throw Problem.unavailable("database error: \(error)")
        }
    }

    /// The migrations folder, parsed (cached while it does not change).
    func catalog() async throws -> MigrationCatalog {
        try await read { [catalogs] migrator, _ in try catalogs.catalog(migrator) }
    }

    /// `GET /api/migrations`' body: encoded again only when the folder or
    /// the tracking table changed (a one-row query tells).
    func listingBody() async throws -> [UInt8] {
        try await read { [catalogs, listings, drifts] migrator, connection in
            let (catalog, generation) = try catalogs.catalogAndGeneration(migrator)
            // The list does not depend on the schema file being readable: drift is extra information.
            let drift = (try? drifts.drift(migrator, connection: connection)) ?? nil
            let fingerprint = try migrator.trackingFingerprint(connection: connection).map { $0 + ":" + (drift.map { "\($0.objects.count)" } ?? "-") }
            if generation != 0, let fingerprint, let body = listings.body(generation: generation, fingerprint: fingerprint) {
                return body
            }
            let records = try migrator.records(connection: connection, catalog: catalog)
            let states = Planner.states(files: catalog.files, records: records)
            var listing = MigrationListing(states: states, diagnostics: catalog.diagnostics)
            listing.summary.drift = drift.map { $0.objects.count }
            let body = [UInt8](try APIJSON.encoder(compact: true).encode(listing))
            if generation != 0, let fingerprint { listings.store(generation: generation, fingerprint: fingerprint, body: body) }
            return body
        }
    }

    /// The folder and the tracking table, compared.
    func status() async throws -> (report: Migrator.StatusReport, catalog: MigrationCatalog) {
        try await read { [catalogs] migrator, connection in
            let catalog = try catalogs.catalog(migrator)
            return (try migrator.status(connection: connection, catalog: catalog), catalog)
        }
    }

    func shutdown() async {
        // Streams would keep their connections, and the server, open.
        events.close()
        await runs.shutdown(grace: configuration.shutdownGraceSeconds)
        await pool.shutdown()
        await health.shutdown()
    }
}

/// The last encoded migration list, with what it was made from.
final class ListingCache: @unchecked Sendable {  // `cached` is guarded by `lock`
    private let lock = NSLock()
    private var cached: (generation: Int, fingerprint: String, body: [UInt8])?

    func body(generation: Int, fingerprint: String) -> [UInt8]? {
        lock.withLock {
            guard let cached, cached.generation == generation, cached.fingerprint == fingerprint else { return nil }
            return cached.body
        }
    }

    func store(generation: Int, fingerprint: String, body: [UInt8]) {
        lock.withLock { cached = (generation, fingerprint, body) }
    }
}
