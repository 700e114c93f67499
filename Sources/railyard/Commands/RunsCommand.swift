import ArgumentParser
import FoundationEssentials
import RailyardAPI

struct RunsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "runs",
        abstract: "Run history, newest first, or one run in detail.")

    @OptionGroup var options: GlobalOptions

    @Argument(help: "A run id, to show that run.")
    var id: String?

    @Option(help: "How many runs to list (1-100).")
    var limit = 20

    func validate() throws {
        guard (1...100).contains(limit) else { throw ValidationError("--limit must be from 1 to 100") }
        if let id, UUID(uuidString: id) == nil { throw ValidationError("a run id is a UUID, not '\(id)'") }
    }

    func run() throws {
        try reporting {
            let client = options.client()
            if let id {
                let response = try client.send("GET", "/api/runs/\(id.lowercased())")
                if response.status == 404 { throw CLIError(.failed, "no run has id \(id)") }
                _ = try client.expectSuccess(response, "runs")
                if options.json { Terminal.line(response.text); return }
                Terminal.line(RunRenderer.detail(try client.decode(RunRecord.self, response)))
                return
            }
            let response = try client.expectSuccess(try client.send("GET", "/api/runs?limit=\(limit)"), "runs")
            if options.json { Terminal.line(response.text); return }
            let runs = try client.decode(RunList.self, response).runs
            guard !runs.isEmpty else { Terminal.line("No runs yet."); return }
            var rows = [["ID", "STATUS", "STARTED (UTC)", "DURATION", "APPLIED", "BY"]]
            for run in runs {
                let applied = run.steps.filter { $0.status == "applied" }.count
                rows.append([run.id, RunRenderer.status(run), StatusCommand.utc(run.startedAt),
                             run.finishedAt.map { "\(Int($0.timeIntervalSince(run.startedAt) * 1000)) ms" } ?? "-",
                             "\(applied)/\(run.steps.count)\(run.dryRun ? " (dry run)" : "")", run.requestedBy ?? "-"])
            }
            Terminal.line(Terminal.table(rows))
        }
    }
}

/// How runs look to people.
enum RunRenderer {
    static func status(_ run: RunRecord) -> String {
        switch run.status {
        case "succeeded": Terminal.paint(run.status, .green)
        case "failed": Terminal.paint(run.status, .red)
        default: Terminal.paint(run.status, .yellow)
        }
    }

    static func detail(_ run: RunRecord) -> String {
        var lines = ["Run \(run.id): \(status(run))\(run.dryRun ? " (dry run)" : "")",
                     "Started \(StatusCommand.utc(run.startedAt)) UTC" + (run.finishedAt.map { ", finished \(StatusCommand.utc($0)) UTC" } ?? "")]
        if let target = run.target { lines.append("Target \(target)") }
        if !run.steps.isEmpty {
            lines.append("")
            var rows = [["VERSION", "FILE", "STATUS", "TIME"]]
            for step in run.steps {
                rows.append([step.version, step.filename, step.status, step.durationMs.map { "\($0) ms" } ?? "-"])
            }
            lines.append(Terminal.table(rows))
        }
        if let error = run.error { lines.append(""); lines.append(failure(error)) }
        return lines.joined(separator: "\n")
    }

    static func failure(_ error: RunRecord.Failure) -> String {
        var text: String
        if let filename = error.filename, let line = error.line, let column = error.column {
            text = "\(filename):\(line):\(column): " + (error.sqlstate.map { "ERROR \($0): " } ?? "") + error.message
        } else {
            text = error.message
        }
        if let detail = error.detail { text += "\n  DETAIL: \(detail)" }
        if let hint = error.hint { text += "\n  HINT: \(hint)" }
        if let waited = error.waitedFor { text += "\n  WAITED FOR: \(waited)" }
        if let statement = error.statement { text += "\n  STATEMENT: \(statement)" }
        return Terminal.paint("✗ ", .red) + text
    }
}
