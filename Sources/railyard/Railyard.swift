import ArgumentParser
import RailyardAPI

@main
struct Railyard: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "railyard",
        abstract: "Railyard's CLI: the admin API of a railyard-server, and local migration files.",
        discussion: """
            Exit codes: 0 success; 1 the operation failed (a migration failed, unhealthy, lint errors); \
            3 server unreachable or timed out; 4 not authenticated or not allowed; 64 usage error.
            """,
        version: "0.2.0",
        subcommands: [NewCommand.self, LintCommand.self, StatusCommand.self, MigrateCommand.self,
                      HealthCommand.self, RunsCommand.self, RollbackScaffoldCommand.self, RepairCommand.self]
    )

    /// `railyard health` is what scripts and probes call in loops: in its
    /// plain form it starts without the argument parser's reflection.
    static func main() {
        guard let settings = ClientSettings.plainHealthArguments(Array(CommandLine.arguments.dropFirst())) else {
            return main(nil)
        }
        do {
            try HealthCommand.check(settings)
        } catch {
            exit(withError: error)
        }
    }
}
