import ArgumentParser
import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif
import RailyardAPI
import RailyardCore
import RailyardHTTP

struct MigrateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Start a run on the server and follow it live until it ends.")

    @OptionGroup var options: GlobalOptions

    @Option(help: "Apply up to and including this version.")
    var target: String?

    @Flag(help: "Run pending migrations in a transaction that is rolled back.")
    var dryRun = false

    func validate() throws {
        if let target, !VersionOrder.isValid(target) {
            throw ValidationError("--target must be a migration version (digits), not '\(target)'")
        }
    }

    func run() throws {
        try reporting {
            let client = options.client()
            let body = try JSONEncoder().encode(RunRequest(dryRun: dryRun, target: target))
            let started = try client.send("POST", "/api/runs", body: body)
            if started.status == 404, let target {
                throw CLIError(.failed, "the server has no migration with version \(target)")
            }
            let id: String
            if started.status == 409 {
                let active = (try? APIJSON.decoder().decode(ProblemDetails.self, from: started.body))?.activeRun ?? "?"
                guard !dryRun, target == nil, active != "?" else {
                    throw CLIError(.failed, "a run is already in progress (\(active)); follow it with: railyard runs \(active)")
                }
                // A full run already does this command's work: its result is this command's.
                if !options.json { Terminal.line("A run is already in progress (\(active)): following it") }
                id = active
            } else {
                id = try client.decode(RunRecord.self, try client.expectSuccess(started, "starting a run")).id
            }
            let final = try follow(id, client: client)
            if options.json {
                Terminal.line(final.text)
            }
            let record = try client.decode(RunRecord.self, final)
            if !options.json { summarize(record) }
            if record.status != "succeeded" { throw ExitCode.failure }
        }
    }

    /// Polls the run, printing each migration as it ends; returns the last answer.
    private func follow(_ id: String, client: APIClient) throws -> HTTPResponse {
        let progress = ProgressLine(enabled: Terminal.isInteractive && !options.json)
        var reported = Set<String>()
        while true {
            let response = try client.expectSuccess(try client.send("GET", "/api/runs/\(id)"), "following the run")
            let run = try client.decode(RunRecord.self, response)
            if !options.json {
                for step in run.steps where !reported.contains(step.version) && ["applied", "failed", "skipped"].contains(step.status) {
                    reported.insert(step.version)
                    progress.clear()
                    Terminal.line(line(for: step))
                }
                let done = run.steps.filter { $0.status != "pending" && $0.status != "running" }.count
                let current = run.steps.first { $0.status == "running" }?.filename
                progress.draw(done: done, total: run.steps.count, current: current)
            }
            if run.status != "running" {
                progress.clear()
                return response
            }
            usleep(200_000)
        }
    }

    private func line(for step: RunRecord.Step) -> String {
        switch step.status {
        case "applied":
            return Terminal.paint("✓", .green) + " Completed migration: \(step.filename) (\(step.durationMs ?? 0) ms)\(dryRun ? " [rolled back]" : "")"
        case "failed":
            return Terminal.paint("✗", .red) + " Failed migration: \(step.filename)"
        default:
            return Terminal.paint("- Skipped \(step.filename)\(step.error.map { ": \($0)" } ?? "")", .dim)
        }
    }

    private func summarize(_ run: RunRecord) {
        let applied = run.steps.filter { $0.status == "applied" }.count
        if let error = run.error {
            Terminal.error(RunRenderer.failure(error))
        }
        switch run.status {
        case "succeeded" where run.steps.isEmpty:
            Terminal.line("Database is up to date")
        case "succeeded":
            Terminal.line("\(applied) migration\(applied == 1 ? "" : "s") \(dryRun ? "would apply (dry run, rolled back)" : "applied")")
        default:
            Terminal.error("Run \(run.id) failed; \(applied) migration\(applied == 1 ? "" : "s") applied before it")
        }
    }
}

/// A one-line progress bar on a terminal, redrawn in place.
final class ProgressLine {
    let enabled: Bool
    private var drawn = false

    init(enabled: Bool) {
        self.enabled = enabled
    }

    func draw(done: Int, total: Int, current: String?) {
        guard enabled, total > 0 else { return }
        let width = 24
        let filled = width * done / total
        let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
        Terminal.write("\r\u{1B}[K[\(bar)] \(done)/\(total)" + (current.map { "  \($0)" } ?? ""))
        drawn = true
    }

    func clear() {
        guard enabled, drawn else { return }
        Terminal.write("\r\u{1B}[K")
        drawn = false
    }
}

/// `POST /api/runs`' body.
private struct RunRequest: Encodable {
    var dryRun: Bool
    var target: String?

    enum CodingKeys: String, CodingKey {
        case dryRun = "dry_run", target
    }
}
