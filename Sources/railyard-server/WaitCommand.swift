import ArgumentParser
import Foundation
import RailyardEngine

struct WaitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wait",
        abstract: "Wait until the database accepts connections.")

    @OptionGroup var database: DatabaseOptions

    @Option(help: "Give up after this many seconds.")
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
                        let seconds = String(format: "%.1f", Date().timeIntervalSince(started))
                        if database.json {
                            Output.json(["status": "ok", "waited_seconds": seconds])
                        } else {
                            Output.line("✓ Database is accepting connections (waited \(seconds) s)")
                        }
                        return
                    } catch {
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
