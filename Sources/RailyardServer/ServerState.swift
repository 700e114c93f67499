import Foundation
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
    let registry: PrometheusCollectorRegistry
    let logger: Logger
    let catalogs = CatalogCache()

    init(configuration: ServerConfiguration, registry: PrometheusCollectorRegistry, logger: Logger) {
        self.configuration = configuration
        migrator = Migrator(configuration: configuration.migrator)
        pool = DatabasePool(migrator: migrator, size: configuration.poolSize)
        health = HealthMonitor(migrator: migrator, deadlineSeconds: configuration.healthDeadlineSeconds)
        runs = RunManager(configuration: configuration.migrator, logger: logger)
        self.registry = registry
        self.logger = logger
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

    /// The folder and the tracking table, compared.
    func status() async throws -> (report: Migrator.StatusReport, catalog: MigrationCatalog) {
        try await read { [catalogs] migrator, connection in
            let catalog = try catalogs.catalog(migrator)
            return (try migrator.status(connection: connection, catalog: catalog), catalog)
        }
    }

    func shutdown() async {
        await runs.shutdown(grace: configuration.shutdownGraceSeconds)
        await pool.shutdown()
        await health.shutdown()
    }
}
