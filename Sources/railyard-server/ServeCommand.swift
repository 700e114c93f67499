import ArgumentParser
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Logging
import Metrics
import Prometheus
import RailyardEngine
import RailyardServer

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the admin REST API (contract: openapi.yaml).")

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var migrate: MigrateOptions

    @Option(help: "Address to bind (env HOST; default ::, dual-stack).")
    var host: String?

    @Option(help: "Port (env PORT; default 8080).")
    var port: Int?

    @Flag(help: "Apply pending migrations before serving (safe with several replicas: they take turns on the lock).")
    var migrateOnStart = false

    func validate() throws {
        if database.json { throw ValidationError("serve has no --json; set LOG_FORMAT=json for JSON logs") }
        if let port, !(0...65535).contains(port) { throw ValidationError("--port must be 0-65535") }
        if let text = Environment.value("PORT"), port == nil, Int(text).map({ (0...65535).contains($0) }) != true {
            throw ValidationError("PORT must be a port number, not '\(text)'")
        }
    }

    func run() async throws {
        // Few malloc arenas: the server's threads otherwise each grow their own.
        _ = glibcMallopt(-8 /* M_ARENA_MAX */, 2)
        let logger = Self.bootstrapLogging()
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        let settings = try migrate.settings()
        let state = URL(fileURLWithPath: database.stateDirectory ?? Environment.value("RAILYARD_STATE_DIR") ?? ".railyard")

        var embedded: EmbeddedDatabase?
        let conninfo: String
        do {
            if let url = database.databaseURL ?? Environment.value("DATABASE_URL") {
                conninfo = url
            } else {
                let cluster = EmbeddedDatabase(stateDirectory: state) { logger.info("\($0)") }
                conninfo = try cluster.start()
                embedded = cluster
            }
        } catch {
            throw Output.fail(error, json: false)
        }
        defer { embedded?.stop() }

        let migratorConfiguration = database.configuration(conninfo: conninfo, migrate: settings)
        if migrateOnStart {
            logger.info("applying pending migrations before serving")
            do {
                let report = try Migrator(configuration: migratorConfiguration)
                    .migrate(observer: ProgressPrinter(json: false, dryRun: false).handle)
                ProgressPrinter.summary(report)
                if report.status == .failed { throw ExitCode.failure }
            } catch let exit as ExitCode {
                throw exit
            } catch {
                throw Output.fail(error, json: false)
            }
        }

        var tokenSource = "RAILYARD_ADMIN_TOKEN"
        let adminToken: String
        if let token = Environment.value("RAILYARD_ADMIN_TOKEN") {
            adminToken = token
        } else {
            let generated = try AdminToken.generate(in: state)
            adminToken = generated.token
            tokenSource = generated.path
        }
        var configuration = ServerConfiguration(migrator: migratorConfiguration, adminToken: adminToken,
                                                readToken: Environment.value("RAILYARD_READ_TOKEN"))
        configuration.host = host ?? Environment.value("HOST") ?? "::"
        configuration.port = port ?? Environment.value("PORT").flatMap(Int.init) ?? 8080
        if let grace = Environment.value("RAILYARD_SHUTDOWN_GRACE").flatMap(Double.init) {
            configuration.shutdownGraceSeconds = grace
        }
        if let idle = Environment.value("RAILYARD_IDLE_TIMEOUT").flatMap(Double.init), idle > 0 {
            configuration.idleTimeoutSeconds = idle
        }
        let display = configuration.host.contains(":") ? "[\(configuration.host)]" : configuration.host
        logger.info("Railyard admin API on http://\(display):\(configuration.port) (admin token: \(tokenSource))")
        let app = buildApplication(configuration, registry: registry, logger: logger)
        try await app.runService()
    }

    /// JSON lines with `LOG_FORMAT=json`, readable lines otherwise.
    static func bootstrapLogging() -> Logger {
        let json = Environment.value("LOG_FORMAT")?.lowercased() == "json"
        let level = Environment.value("LOG_LEVEL").flatMap(Logger.Level.init(rawValue:)) ?? .info
        LoggingSystem.bootstrap { label in
            var handler: any LogHandler = json ? JSONLogHandler(label: label) : StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        return Logger(label: "railyard")
    }
}

/// glibc's `mallopt` (declared in malloc.h, which Swift's Glibc module leaves out).
@_silgen_name("mallopt")
private func glibcMallopt(_ parameter: Int32, _ value: Int32) -> Int32
