import Hummingbird
import Logging
import Prometheus
import ServiceLifecycle

/// Builds the admin API application; `serve` runs it, tests start the binary.
public func buildApplication(_ configuration: ServerConfiguration, registry: PrometheusCollectorRegistry,
                             logger: Logger) -> some ApplicationProtocol {
    let state = ServerState(configuration: configuration, registry: registry, logger: logger)
    let router = Router(context: RailyardRequestContext.self)
    // Outside the problem middleware, so that error answers carry its headers too.
    if !configuration.corsOrigins.isEmpty { router.add(middleware: AllowedOriginsMiddleware(origins: configuration.corsOrigins)) }
    router.add(middleware: ProblemMiddleware())
    router.add(middleware: RequestMetricsMiddleware())
    router.add(middleware: LogRequestsMiddleware(.debug))
    HealthRoutes(state: state).register(on: router)
    MetaRoutes(state: state).registerPublic(on: router)
    DashboardRoutes().register(on: router)

    let protected = router.group()
        .add(middleware: BearerAuthMiddleware(adminToken: configuration.adminToken, readToken: configuration.readToken))
    MigrationRoutes(state: state).register(on: protected)
    RunRoutes(state: state).register(on: protected)
    EventRoutes(state: state).register(on: protected)
    SchemaRoutes(state: state).register(on: protected)
    MetaRoutes(state: state).registerProtected(on: protected)

    return Application(
        router: router,
        // Closes connections that send no complete request part for this long:
        // slow-loris clients trickling header bytes are dropped.
        server: .http1(configuration: .init(idleTimeout: .milliseconds(Int64(configuration.idleTimeoutSeconds * 1000)))),
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "railyard"),
        services: [DrainService(state: state)],
        onServerRunning: { channel in
            if let port = channel.localAddress?.port { configuration.onListening?(port) }
            // Parse the migrations folder now rather than in the first request.
            Task { _ = try? await state.catalog() }
        },
        logger: logger)
}

/// On graceful shutdown (SIGTERM): lets the active run finish or roll back
/// (releasing the lock), then closes the database connections.
struct DrainService: Service {
    let state: ServerState

    func run() async throws {
        try? await gracefulShutdown()
        await state.shutdown()
    }
}

/// The API's paths and their methods, to answer 405 rather than 404 for a
/// known path asked with another method.
enum RouteTable {
    static let routes: [(pattern: [String], methods: String)] = [
        (["api", "health"], "GET"), (["api", "migrations"], "GET"), (["api", "migrations", "*"], "GET"),
        (["api", "migrations", "*", "rollback-scaffold"], "POST"), (["api", "migrations", "*", "repair"], "POST"), (["api", "runs"], "GET, POST"),
        (["api", "runs", "*"], "GET"), (["api", "runs", "*", "cancel"], "POST"),
        (["api", "runs", "*", "events"], "GET"), (["api", "events"], "GET"), ([], "GET"), (["dashboard.css"], "GET"), (["dashboard.js"], "GET"), (["favicon.svg"], "GET"),
        (["api", "schema"], "GET"), (["api", "schema", "drift"], "GET"), (["metrics"], "GET"), (["openapi.yaml"], "GET"),
    ]

    static func allowedMethods(for path: String) -> String? {
        let parts = path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        return routes.first { route in
            route.pattern.count == parts.count && zip(route.pattern, parts).allSatisfy { $0 == "*" || $0 == $1 }
        }?.methods
    }
}

/// Turns errors that are not problems into problem responses: nothing
/// internal leaks, and bad input never becomes a bare 500.
struct ProblemMiddleware: RouterMiddleware {
    typealias Context = RailyardRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let problem as Problem {
            throw problem
        } catch let error as HTTPError {
            if error.status == .notFound, let allowed = RouteTable.allowedMethods(for: request.uri.path) {
                var problem = Problem(.methodNotAllowed, "method-not-allowed", title: "Method not allowed",
                                      detail: "\(request.method) is not supported here; use \(allowed)")
                problem.headers[.allow] = allowed
                throw problem
            }
            let slug = error.status == .notFound ? "not-found" : "http-error"
            throw Problem(error.status, slug, title: error.status.reasonPhrase, detail: error.body)
        } catch {
            context.logger.error("unexpected error", metadata: ["error": "\(error)"])
            throw Problem(.internalServerError, "internal", title: "Internal server error", detail: "see the server log")
        }
    }
}
