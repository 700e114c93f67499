import ArgumentParser
import Foundation
import RailyardEngine

struct WaitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wait",
        abstract: "Wait until the database accepts connections.")

    @OptionGroup var database: DatabaseOptions

    @Option(parsing: .unconditional, help: "Give up after this many seconds.")
    var timeout: Double = 60

    func validate() throws {
        guard timeout > 0 else { throw ValidationError("--timeout must be positive") }
    }

    func run() throws {
        let started = Date()
        do {
            try database.withDatabase { conninfo in
                var configuration = database.configuration(conninfo: conninfo)
                configuration.connectTimeoutSeconds = max(1, min(5, Int(timeout)))
                let migrator = Migrator(configuration: configuration)
                var lastError: (any Error)?
                var announced = false
                while Date().timeIntervalSince(started) < timeout {
                    do {
                        try migrator.connect().close()
                        let seconds = (Date().timeIntervalSince(started) * 10).rounded() / 10
                        if database.json {
                            Output.json(WaitReport(status: "ok", waitedSeconds: seconds))
                        } else {
                            Output.line("✓ Database is accepting connections (waited \(String(format: "%.1f", seconds)) s)")
                        }
                        return
                    } catch {
                        // Waiting does not make a wrong role, password or database right.
                        if case EngineError.unreachable(let reason) = error, reason.isPermanentConnectionFailure { throw error }
                        lastError = error
                        if !announced && !database.json {
                            Output.line("… Waiting for the database: \(error)")
                            announced = true
                        }
                        Thread.sleep(forTimeInterval: 0.5)
                    }
                }
                throw lastError ?? EngineError.configuration("timed out")
            }
        } catch {
            throw Output.fail(error, json: database.json)
        }
    }
}

/// `wait --json`: `{"status":"ok","waited_seconds":1.5}`.
struct WaitReport: Encodable {
    var status: String
    var waitedSeconds: Double

    enum CodingKeys: String, CodingKey {
        case status, waitedSeconds = "waited_seconds"
    }
}
