import ArgumentParser
import Foundation
import RailyardAPI
import RailyardCore
import RailyardEngine

struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show every migration: applied, pending, changed, missing or failed.")

    @OptionGroup var database: DatabaseOptions

    @Flag(help: "Exit 1 when anything is pending, changed, missing, failed or invalid (a deploy or CI gate).")
    var exitCode = false

    func run() throws {
        let report: Migrator.StatusReport
        var drift: SchemaDrift?
        do {
            report = try database.withDatabase { conninfo in
                let migrator = Migrator(configuration: database.configuration(conninfo: conninfo))
                // Drift is extra information: no schema file, or one that cannot be compared, leaves it out.
                drift = try? migrator.drift()
                return try migrator.status()
            }
        } catch {
            throw Output.fail(error, json: database.json)
        }
        var listing = MigrationListing(states: report.states, diagnostics: report.diagnostics)
        listing.summary.drift = drift?.objects.count
        if database.json {
            Output.json(listing)
        } else {
            Output.line(StatusTable.render(listing))
            for diagnostic in report.diagnostics {
                Output.error(diagnostic.description)
            }
        }
        if exitCode, !listing.unsettled.isEmpty {
            Output.error("✗ The database is not up to date: " + listing.unsettled.joined(separator: "; "))
            throw ExitCode.failure
        }
    }
}
