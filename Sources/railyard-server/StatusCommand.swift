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
        var drift: Int?
        do {
            report = try database.withDatabase { conninfo in
                let migrator = Migrator(configuration: database.configuration(conninfo: conninfo))
                guard let schema = migrator.committedSchemaText() else { return try migrator.status() }
                let report = try migrator.status(fingerprintingSchema: true)
                drift = Self.driftCount(migrator, conninfo: conninfo, schema: schema, fingerprint: report.schemaFingerprint)
                return report
            }
        } catch {
            throw Output.fail(error, json: database.json)
        }
        var listing = MigrationListing(states: report.states, diagnostics: report.diagnostics)
        listing.summary.drift = drift
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

    /// Drift is extra information: a schema file that cannot be compared leaves it out.
    /// While the schema file and the live catalogs stay as they were, the last count holds (`DriftMemo`).
    private static func driftCount(_ migrator: Migrator, conninfo: String, schema: String, fingerprint: String?) -> Int? {
        let memo = DriftMemo.inUserCache()
        let key = fingerprint.map { DriftMemo.key(conninfo: conninfo, schema: schema, fingerprint: $0) }
        if let key, let count = memo?.count(for: key) { return count }
        guard let count = (try? migrator.drift(from: SchemaFile.parse(schema)))?.objects.count else { return nil }
        if let key { memo?.remember(count, for: key) }
        return count
    }
}
