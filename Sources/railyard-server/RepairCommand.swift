import ArgumentParser
import Foundation
import RailyardCore
import RailyardEngine

struct RepairCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "repair",
        abstract: "Set a migration's tracking row right, recorded as a run with who and why.",
        discussion: """
            accept VERSION: a changed migration keeps the file's current checksum (say, an edited comment).
            resolve VERSION: a failed migration you finished by hand is marked applied.
            forget VERSION: a missing (or ahead) migration's row is removed.
            """)

    @OptionGroup var database: DatabaseOptions

    @Argument(help: "accept, resolve or forget.")
    var action: String

    @Argument(help: "The migration's version.")
    var version: String

    @Option(help: "Why: recorded with the run.")
    var reason: String

    func validate() throws {
        guard RepairAction(rawValue: action) != nil else { throw ValidationError("the action is accept, resolve or forget, not '\(action)'") }
        guard VersionOrder.isValid(version) else { throw ValidationError("VERSION is a migration version (its digits), not '\(version)'") }
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
