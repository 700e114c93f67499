import ArgumentParser
import Foundation
import RailyardCore
import RailyardEngine

struct RepairCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "repair",
        abstract: "Set a migration's tracking row right, recorded as a run with who and why.",
        discussion: RepairAction.explanation)

    @OptionGroup var database: DatabaseOptions

    @Argument(help: "accept, resolve or forget.")
    var action: String

    @Argument(help: "The migration's version (the digits before the first '_'), or its file name without .sql.")
    var version: String

    @Option(help: "Why: recorded with the run.")
    var reason: String

    func validate() throws {
        if let problem = RepairAction.problem(with: action) { throw ValidationError(problem) }
        if let problem = VersionOrder.referenceProblem(version) { throw ValidationError("VERSION must be \(problem)") }
        guard !reason.trimmingCharacters(in: .whitespaces).isEmpty else { throw ValidationError("--reason must say why") }
    }

    func run() throws {
        let run: Run
        do {
            run = try database.withDatabase { conninfo in
                try Migrator(configuration: database.configuration(conninfo: conninfo))
                    .repair(RepairAction(rawValue: action)!, version: version, reason: reason, origin: .command(.repair))
            }
        } catch {
            throw Output.fail(error, json: database.json)
        }
        if database.json {
            Output.json(run)
        } else {
            Output.line("✓ Repaired \(run.steps.first?.filename ?? version): \(run.steps.first?.note ?? action) (run \(run.id))")
        }
    }
}
