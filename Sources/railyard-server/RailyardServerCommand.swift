import ArgumentParser
import RailyardEngine

@main
struct RailyardServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "railyard-server",
        abstract: "Railyard: PostgreSQL migrations for Railway apps.",
        discussion: """
            With DATABASE_URL unset, a private PostgreSQL under .railyard/postgres is started \
            for the command and stopped when it ends.
            """,
        version: RailyardVersion.current,
        subcommands: [MigrateCommand.self, StatusCommand.self, SetupCommand.self, WaitCommand.self, ServeCommand.self, RepairCommand.self,
                      VerifyCommand.self, DumpCommand.self, DriftCommand.self]
    )

    /// `migrate` and `status` run on every deploy and in CI loops: their
    /// plain forms skip the full parser (see `QuickParse`).
    static func main() async {
        let arguments = Array(CommandLine.arguments.dropFirst())
        guard var command = QuickParse.command(arguments) else { return await main(arguments) }
        do {
            try command.run()
        } catch {
            exit(withError: error)
        }
    }
}
