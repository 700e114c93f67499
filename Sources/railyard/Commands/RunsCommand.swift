import ArgumentParser
import FoundationEssentials
import RailyardAPI
import RailyardCore

struct RunsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "runs",
        abstract: "Run history, newest first, or one run in detail.")

    @OptionGroup var options: GlobalOptions

    @Argument(help: "A run id, to show that run.")
    var id: String?

    @Option(help: "How many runs to list (1-100).")
    var limit = 20

    @Flag(help: "Follow the run live until it ends (Ctrl-C cancels it); exit 0 only when it succeeded.")
    var follow = false

    func validate() throws {
        guard (1...100).contains(limit) else { throw ValidationError("--limit must be from 1 to 100") }
        if let id, UUID(uuidString: id) == nil { throw ValidationError("a run id is a UUID, not '\(id)'") }
        if follow && id == nil { throw ValidationError("--follow needs a run ID") }
    }

    func run() throws {
        try reporting {
            let client = options.client()
            if let id {
                let response = try client.send("GET", "/api/runs/\(id.lowercased())")
                if response.status == 404 { throw CLIError(.failed, "no run has id \(id)") }
                _ = try client.expectSuccess(response, "runs")
                if follow {
                    let run = try client.decode(Run.self, response)
                    try RunFollower(client: client, json: options.json, dryRun: run.dryRun).followToTheEnd(run.id)
                    return
                }
                if options.json { Terminal.line(response.text); return }
                Terminal.line(RunRenderer.detail(try client.decode(Run.self, response)))
                return
            }
            let response = try client.expectSuccess(try client.send("GET", "/api/runs?limit=\(limit)"), "runs")
            if options.json { Terminal.line(response.text); return }
            let runs = try client.decode(RunList.self, response).runs
            guard !runs.isEmpty else { Terminal.line("No runs yet."); return }
            var rows = [["ID", "STATUS", "TRIGGER", "STARTED (UTC)", "DURATION", "APPLIED", "BY", "HOST"]]
            for run in runs {
                rows.append([run.id, RunRenderer.status(run), run.origin.trigger.rawValue, StatusCommand.utc(run.startedAt),
                             run.finishedAt.map { "\(Int($0.timeIntervalSince(run.startedAt) * 1000)) ms" } ?? "-",
                             "\(run.appliedCount)/\(run.steps.count)\(run.dryRun ? " (dry run)" : "")",
                             run.origin.requestedBy ?? "-", run.origin.host ?? "-"])
            }
            Terminal.line(Terminal.table(rows))
        }
    }
}

/// How runs look to people.
enum RunRenderer {
    static func status(_ run: Run) -> String {
        switch run.status {
        case .succeeded: Terminal.paint(run.status.rawValue, .green)
        case .failed, .cancelled: Terminal.paint(run.status.rawValue, .red)
        case .running: Terminal.paint(run.status.rawValue, .yellow)
        }
    }

    static func detail(_ run: Run) -> String {
        var lines = ["Run \(run.id): \(status(run))\(run.dryRun ? " (dry run)" : "")",
                     "Started \(StatusCommand.utc(run.startedAt)) UTC" + (run.finishedAt.map { ", finished \(StatusCommand.utc($0)) UTC" } ?? ""),
                     "Trigger \(run.origin.trigger.rawValue), by \(run.origin.requestedBy ?? "unknown") on \(run.origin.host ?? "unknown host")"
                        + (run.origin.deploymentID.map { ", deployment \($0)" } ?? "") + (run.origin.commitSHA.map { ", commit \($0)" } ?? "")]
        if let target = run.target { lines.append("Target \(target)") }
        if let by = run.cancelledBy { lines.append("Cancelled by \(by)") }
        if let current = run.wait { lines.append(Terminal.paint("… " + wait(current), .yellow)) }
        if !run.steps.isEmpty {
            lines.append("")
            var rows = [["VERSION", "FILE", "STATUS", "TIME"]]
            for step in run.steps {
                rows.append([step.version, step.filename, step.status.rawValue, step.durationMs.map { "\($0) ms" } ?? "-"])
            }
            lines.append(Terminal.table(rows))
        }
        if let error = run.error { lines.append(""); lines.append(failure(error)) }
        return lines.joined(separator: "\n")
    }

    static func wait(_ wait: LockWait) -> String { wait.summary }

    static func failure(_ error: RunFailure) -> String {
        Terminal.paint("✗ ", .red) + error.description
    }
}
