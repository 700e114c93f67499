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

enum StatusTable {
    /// Characters on screen; counted by bytes when they are ASCII (as nearly all are), which costs far less.
    static func width(_ text: String) -> Int {
        text.utf8.contains { $0 >= 0x80 } ? text.count : text.utf8.count
    }

    static func render(_ listing: MigrationListing) -> String {
        var rows = [["VERSION", "NAME", "STATUS", "APPLIED AT (UTC)", "TIME"]]
        for entry in listing.migrations {
            var status = entry.statusText
            if !entry.transactional { status += " [no-tx]" }
            rows.append([entry.version, entry.name, status,
                         entry.appliedAt.map(UTCTimestamp.display) ?? "-",
                         entry.executionMs.map { "\($0) ms" } ?? "-"])
        }
        for invalid in listing.invalidFiles {
            let name = try? MigrationFileName(invalid.filename)
            rows.append([name?.version ?? "-", name?.name ?? invalid.filename, "invalid", invalid.problem, "-"])
        }
        let cellWidths = rows.map { $0.map(width) }
        let widths = (0..<rows[0].count).map { column in cellWidths.map { $0[column] }.max() ?? 0 }
        // Bytes appended in place: a thousand rows are rendered on every status.
        var text: [UInt8] = []
        text.reserveCapacity(rows.count * (widths.reduce(0, +) + 2 * widths.count + 1) + 200)
        for (row, rowWidths) in zip(rows, cellWidths) {
            let start = text.count
            for column in row.indices {
                if column > 0 { text.append(32); text.append(32) }
                text += row[column].utf8
                if column < row.count - 1 { text += repeatElement(32, count: max(0, widths[column] - rowWidths[column])) }
            }
            while text.count > start && text.last == 32 { text.removeLast() }
            text.append(10)
        }
        let summary = listing.summary
        let invalid = listing.invalidFiles.count
        text += "\n\(summary.counts)\(invalid > 0 ? ", \(invalid) invalid" : "")".utf8
        return String(decoding: text, as: UTF8.self)
    }
}
