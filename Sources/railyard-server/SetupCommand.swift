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

    /// `setup --json`: what the checks found, and the run.
    struct Report: Encodable {
        struct Server: Encodable {
            var version, database, user: String
        }
        struct Extension: Encodable {
            var name: String
            var available: Bool
            var installedVersion: String?
            enum CodingKeys: String, CodingKey { case name, available, installedVersion = "installed_version" }
        }
        var server: Server
        var extensions: [Extension]
        var trackingTables: [String]
        var run: Run
        enum CodingKeys: String, CodingKey { case server, extensions, run, trackingTables = "tracking_tables" }
    }

    func run() throws {
        let cancellation = MigrationCancellation()
        let signals = InterruptSignals(cancelling: cancellation)
        let json = database.json
        let say: (String) -> Void = { if !json { Output.line($0) } }
        do {
            let settings = try migrate.settings()
            let report = try database.withDatabase { conninfo in
                let migrator = Migrator(configuration: database.configuration(conninfo: conninfo, migrate: settings))
                say("Connecting to the database…")
                let connection = try migrator.connect()
                let facts = try ServerFacts.read(connection, extensions: Self.extensions)
                connection.close()
                say("✓ Connected: PostgreSQL \(facts.version) (database \(facts.database), user \(facts.user))")
                for found in facts.extensions {
                    if found.available {
                        say("✓ Extension \(found.name) is available" + (found.installedVersion.map { " (installed \($0))" } ?? ""))
                    } else {
                        say("! Extension \(found.name) is not available on this server: migrations that need it will fail (on Debian, install postgresql-contrib)")
                    }
                }
                try migrator.prepareTracking()
                let schema = migrator.configuration.schema
                say("✓ Tracking tables ready (\(schema).railyard_migrations, \(schema).railyard_runs)")
                let run = try migrator.migrate(settings.request(.command(.setup)), cancellation: cancellation,
                                               observer: ProgressPrinter(json: json, dryRun: false).handle)
                return Report(server: .init(version: facts.version, database: facts.database, user: facts.user),
                              extensions: facts.extensions.map { .init(name: $0.name, available: $0.available, installedVersion: $0.installedVersion) },
                              trackingTables: ["\(schema).railyard_migrations", "\(schema).railyard_runs", "\(schema).railyard_run_steps"],
                              run: run)
            }
            if json { Output.json(report) } else { ProgressPrinter.summary(report.run) }
            if report.run.status == .cancelled, let exit = signals.exitCode { throw exit }
            if report.run.status != .succeeded { throw ExitCode.failure }
            say("✓ Setup complete")
        } catch let exit as ExitCode {
            throw exit
        } catch {
            if let exit = signals.exitCode {
                if !json { Output.error("✗ Interrupted: \(error)") }
                throw exit
            }
            let code = Output.fail(error, json: json)
            if !json { Output.error(Self.troubleshooting(for: error)) }
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
