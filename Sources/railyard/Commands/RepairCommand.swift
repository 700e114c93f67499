import ArgumentParser
import FoundationEssentials
import RailyardAPI
import RailyardCore

struct RepairCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "repair",
        abstract: "Set a migration's tracking row right on the server, recorded as a run with who and why.",
        discussion: RepairAction.explanation)

    @OptionGroup var options: GlobalOptions

    @Argument(help: "accept, resolve or forget.")
    var action: String

    @Argument(help: "The migration's version (the digits before the first '_'), or its file name without .sql.")
    var version: String

    @Option(help: "Why: recorded with the run.")
    var reason: String

    func validate() throws {
        if let problem = RepairAction.problem(with: action) { throw ValidationError(problem) }
        if let problem = VersionOrder.referenceProblem(version) { throw ValidationError("VERSION must be \(problem)") }
        guard reason.contains(where: { !$0.isWhitespace }) else { throw ValidationError("--reason must say why") }
    }

    func run() throws {
        try reporting {
            let client = options.client()
            let body = try JSONEncoder().encode(["action": action, "reason": reason])
            let response = try client.send("POST", "/api/migrations/\(version)/repair", body: body)
            if response.status == 404 { throw CLIError(.failed, APIClient.problem(response) ?? "no migration has version \(version)") }
            let run = try client.decode(Run.self, try client.expectSuccess(response, "repair"))
            Terminal.line(options.json ? response.text
                          : "✓ Repaired \(run.steps.first?.filename ?? version): \(run.steps.first?.note ?? action) (run \(run.id))")
        }
    }
}
