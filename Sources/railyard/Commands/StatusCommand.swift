import ArgumentParser
import FoundationEssentials
import RailyardAPI
import RailyardCore

struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "The migrations table: applied and pending, with timings.")

    @OptionGroup var options: GlobalOptions

    @Flag(help: "Exit 1 when anything is pending, changed, missing, failed or invalid (a deploy or CI gate).")
    var exitCode = false

    func run() throws {
        try reporting {
            let client = options.client()
            let response = try client.expectSuccess(try client.send("GET", "/api/migrations"), "status")
            let listing = try client.decode(MigrationListing.self, response)
            Terminal.line(options.json ? response.text : Self.render(listing))
            if exitCode, !listing.unsettled.isEmpty {
                throw CLIError(.failed, "the database is not up to date: " + listing.unsettled.joined(separator: "; "))
            }
        }
    }

    static func render(_ listing: MigrationListing) -> String {
        var rows = [["VERSION", "NAME", "STATUS", "APPLIED AT (UTC)", "TIME"]]
        for entry in listing.migrations {
            let status = entry.statusText
            let colored: String
            switch entry.status {
            case .applied: colored = Terminal.paint(status, .green)
            case .pending, .renamed, .ahead: colored = Terminal.paint(status, .yellow)
            default: colored = Terminal.paint(status, .red)
            }
            rows.append([entry.version, entry.name, colored, entry.appliedAt.map(Self.utc) ?? "-",
                         entry.executionMs.map { "\($0) ms" } ?? "-"])
        }
        for invalid in listing.invalidFiles {
            let name = try? MigrationFileName(invalid.filename)
            rows.append([name?.version ?? "-", name?.name ?? invalid.filename, Terminal.paint("invalid", .red), invalid.problem, "-"])
        }
        let summary = listing.summary
        let invalid = listing.invalidFiles.count
        return Terminal.table(rows) + "\n\n" + summary.counts + (invalid > 0 ? ", \(invalid) invalid" : "")
    }

    static func utc(_ date: Date) -> String {
        UTCTimestamp.display(date)
    }
}
