import ArgumentParser
import Foundation
import RailyardCore
import RailyardEngine

struct SetupCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "setup",
        abstract: "Check the database (version, extensions), create the tracking tables and migrate.")

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var migrate: MigrateOptions

    static let extensions = ["uuid-ossp", "pgcrypto"]

    func validate() throws {
        if database.json {
            throw ValidationError("setup prints a report for people and has no --json; use migrate --json or status --json in scripts")
        }
    }

    func run() throws {
        let cancellation = MigrationCancellation()
        let signals = InterruptSignals(cancelling: cancellation)
        do {
            let settings = try migrate.settings()
            let report = try database.withDatabase { conninfo in
                let migrator = Migrator(configuration: database.configuration(conninfo: conninfo, migrate: settings))
                Output.line("Connecting to the database…")
                let connection = try migrator.connect()
                let facts = try ServerFacts.read(connection, extensions: Self.extensions)
                connection.close()
                Output.line("✓ Connected: PostgreSQL \(facts.version) (database \(facts.database), user \(facts.user))")
                for found in facts.extensions {
                    if found.available {
                        Output.line("✓ Extension \(found.name) is available" + (found.installedVersion.map { " (installed \($0))" } ?? ""))
                    } else {
                        Output.line("! Extension \(found.name) is not available on this server: migrations that need it will fail (on Debian, install postgresql-contrib)")
                    }
                }
                try migrator.prepareTracking()
                Output.line("✓ Tracking tables ready (\(migrator.configuration.schema).railyard_migrations, \(migrator.configuration.schema).railyard_runs)")
                return try migrator.migrate(settings.request(.command(.setup)), cancellation: cancellation,
                                            observer: ProgressPrinter(json: false, dryRun: false).handle)
            }
            ProgressPrinter.summary(report)
            if report.status == .cancelled, let exit = signals.exitCode { throw exit }
            if report.status != .succeeded { throw ExitCode.failure }
            Output.line("✓ Setup complete")
        } catch let exit as ExitCode {
            throw exit
        } catch {
            if let exit = signals.exitCode {
                Output.error("✗ Interrupted: \(error)")
                throw exit
            }
            let code = Output.fail(error, json: false)
            Output.error(Self.troubleshooting(for: error))
            throw code
        }
    }

    static func troubleshooting(for error: any Error) -> String {
        switch error {
        case EngineError.unreachable:
            return """
                Troubleshooting:
                  - Is DATABASE_URL set to the database's URL (Railway: the Postgres service's DATABASE_URL variable)?
                  - From outside Railway use the public URL (DATABASE_PUBLIC_URL); *.railway.internal hosts resolve only inside Railway.
                  - Railway's public proxy needs TLS: add ?sslmode=require to the URL.
                  - Check the server is up: railyard-server wait --timeout 60
                """
        case EngineError.embedded:
            return "Troubleshooting: install PostgreSQL's server (apt-get install postgresql) or set DATABASE_URL to an existing database."
        default:
            return "Troubleshooting: fix the problem above and run railyard-server setup again; railyard-server status shows where each migration stands."
        }
    }
}
