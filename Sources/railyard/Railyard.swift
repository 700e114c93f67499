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
                      HealthCommand.self, RunsCommand.self, RollbackScaffoldCommand.self, RepairCommand.self, DriftCommand.self]
    )

    /// `railyard health` is what scripts and probes call in loops: in its
    /// plain form it starts without the argument parser's reflection.
    static func main() {
        let arguments = GlobalOptionsOrder.commandFirst(Array(CommandLine.arguments.dropFirst()))
        guard let settings = ClientSettings.plainHealthArguments(arguments) else {
            return main(arguments)
        }
        do {
            try HealthCommand.check(settings)
        } catch {
            exit(withError: error)
        }
    }
}

/// Global options may come before the command, as with git or kubectl
/// (`railyard --server URL status`): they are moved after it, where the
/// command's parser reads them.
enum GlobalOptionsOrder {
    static let withValue: Set = ["--server", "--token", "--timeout", "--cacert"]
    static let flags: Set = ["--json", "--allow-insecure-http"]

    static func commandFirst(_ arguments: [String]) -> [String] {
        var leading: [String] = []
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            let name = argument.split(separator: "=", maxSplits: 1).first.map(String.init) ?? argument
            if flags.contains(argument) {
                leading.append(argument)
                index += 1
            } else if withValue.contains(name) && argument.contains("=") {
                leading.append(argument)
                index += 1
            } else if withValue.contains(argument), index + 1 < arguments.count {
                leading += [argument, arguments[index + 1]]
                index += 2
            } else {
                break
            }
        }
        guard !leading.isEmpty, index < arguments.count, !arguments[index].hasPrefix("-") else { return arguments }
        return [arguments[index]] + leading + arguments[(index + 1)...]
    }
}
