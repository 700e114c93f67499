import ArgumentParser
import RailyardAPI

struct HealthCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "health",
        abstract: "The server's health answer; exit 0 only when healthy.")

    @OptionGroup var options: GlobalOptions

    func run() throws {
        try Self.check(options.settings)
    }

    static func check(_ options: ClientSettings) throws {
        try reporting {
            let client = APIClient(settings: options)
            let response = try client.send("GET", "/api/health", authenticated: false)
            guard response.status == 200 || response.status == 503 else {
                _ = try client.expectSuccess(response, "health")
                return
            }
            let health = try client.decode(HealthStatus.self, response)
            if options.json {
                Terminal.line(response.text)
            } else if health.isHealthy {
                Terminal.line("\(Terminal.paint("✓ healthy", .green)): database \(health.database) (railyard \(health.version))"
                              + (health.migrations.map { "; \($0.words)" } ?? ""))
            } else {
                Terminal.line("\(Terminal.paint("✗ unhealthy", .red)): database \(health.database)" + (health.detail.map { ": \($0)" } ?? ""))
            }
            if !health.isHealthy { throw ExitCode.failure }
        }
    }
}
