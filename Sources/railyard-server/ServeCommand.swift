import ArgumentParser
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Logging
import NIOCore
import Metrics
import Prometheus
import RailyardCore
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

    @Flag(help: "Apply pending migrations before serving; exit without serving when one fails (env RAILYARD_MIGRATE_ON_START=true; the image's default command). Safe with several replicas and a pre-deploy step: they take turns on the lock.")
    var migrateOnStart = false

    var migratesOnStart: Bool {
        get throws { try migrateOnStart || Environment.flag("RAILYARD_MIGRATE_ON_START") }
    }

    func validate() throws {
        if database.json { throw ValidationError("serve has no --json; set LOG_FORMAT=json for JSON logs") }
        if let port, !(0...65535).contains(port) { throw ValidationError("--port must be 0-65535") }
        _ = try migratesOnStart
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
        if try migratesOnStart {
            try Self.migrateBeforeServing(migratorConfiguration, request: settings.request(.command(.migrateOnStart)), logger: logger)
        }

        var tokenSource = "RAILYARD_ADMIN_TOKEN"
        let adminToken: String
        var tokenFile: String?
        if let token = Environment.value("RAILYARD_ADMIN_TOKEN") {
            adminToken = token
        } else {
            adminToken = AdminToken.generate()
            do {
                tokenFile = try AdminToken.prepare(in: state)
            } catch {
                throw Output.fail(error, json: false)
            }
            tokenSource = tokenFile!
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
        if let heartbeat = Environment.value("RAILYARD_SSE_HEARTBEAT").flatMap(Double.init), heartbeat > 0 {
            configuration.heartbeatSeconds = heartbeat
        }
        if let origins = Environment.value("RAILYARD_CORS_ORIGINS") {
            switch CORSOrigins.parse(origins) {
            case .success(let parsed): configuration.corsOrigins = parsed
            case .failure(let problem): throw ValidationError(problem.description)
            }
        }
        let display = configuration.host.contains(":") ? "[\(configuration.host)]" : configuration.host
        configuration.onListening = { [tokenSource, tokenFile] port in
            // Said, and the token written with the bound port, once the port is ours.
            logger.info("Railyard admin API on http://\(display):\(port) (admin token: \(tokenSource))")
            guard let tokenFile else { return }
            do {
                try AdminToken.write(adminToken, port: port, to: tokenFile)
            } catch {
                logger.error("\(error)")
            }
        }
        let app = buildApplication(configuration, registry: registry, logger: logger)
        do {
            try await app.runService()
        } catch let error as IOError where error.errnoCode == EADDRINUSE {
            Output.error("✗ cannot listen on \(display):\(configuration.port): the address is already in use (another railyard-server?)\n  hint: stop it, or set PORT (or --port) to a free port")
            throw ExitCode.failure
        } catch let error as IOError where error.errnoCode == EACCES || error.errnoCode == EADDRNOTAVAIL {
            Output.error("✗ cannot listen on \(display):\(configuration.port): \(String(cString: strerror(error.errnoCode)))\n  hint: check HOST and PORT")
            throw ExitCode.failure
        }
    }

    /// Applies what is pending under the migration lock and says in the log
    /// whether this start did the migrating or found it done (by the
    /// pre-deploy command, another replica or an earlier start). A failure
    /// exits before the port is bound, so the new version never serves.
    static func migrateBeforeServing(_ configuration: MigratorConfiguration, request: MigrateRequest, logger: Logger) throws {
        logger.info("migrate-on-start: applying pending migrations before serving")
        let report: Run
        do {
            report = try Migrator(configuration: configuration)
                .migrate(request, observer: ProgressPrinter(json: false, dryRun: false).handle)
        } catch {
            logger.error("migrate-on-start failed: not serving this version")
            throw Output.fail(error, json: false)
        }
        ProgressPrinter.summary(report)
        if report.status != .succeeded {
            logger.error("migrate-on-start failed: not serving this version")
            throw ExitCode.failure
        }
        let applied = report.appliedCount
        if applied > 0 {
            logger.info("migrate-on-start applied \(applied) migration\(applied == 1 ? "" : "s"): no pre-deploy step or other replica had applied them")
        } else {
            logger.info("migrate-on-start: nothing to apply; the database was already migrated (by the pre-deploy command, another replica or an earlier start)")
        }
    }

    /// JSON lines with `LOG_FORMAT=json`, readable lines otherwise.
    static func bootstrapLogging() -> Logger {
        let json = Environment.value("LOG_FORMAT")?.lowercased() == "json"
        let level = Environment.value("LOG_LEVEL").flatMap(Logger.Level.init(rawValue:)) ?? .info
        LoggingSystem.bootstrap { label in
            var handler: any LogHandler = json ? JSONLogHandler(label: label) : PlainLogHandler(label: label)
            handler.logLevel = level
            return handler
        }
        return Logger(label: "railyard")
    }
}

/// glibc's `mallopt` (declared in malloc.h, which Swift's Glibc module leaves out).
@_silgen_name("mallopt")
private func glibcMallopt(_ parameter: Int32, _ value: Int32) -> Int32
