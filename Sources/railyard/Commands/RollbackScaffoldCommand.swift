import ArgumentParser
import FoundationEssentials
import RailyardAPI
import RailyardCore

struct RollbackScaffoldCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rollback-scaffold",
        abstract: "Print a reverse migration for a version; --write saves it as a new file in migrations/.")

    @OptionGroup var options: GlobalOptions

    @Argument(help: "The migration's version (the digits before the first '_'), or its file name without .sql.")
    var version: String

    @Flag(help: "Save the scaffold as a new migration file.")
    var write = false

    @Option(name: .customLong("dir"), help: "Migrations folder for --write (env MIGRATIONS_DIR; default migrations).")
    var directory: String?

    func validate() throws {
        if let problem = VersionOrder.referenceProblem(version) { throw ValidationError("VERSION must be \(problem)") }
    }

    func run() throws {
        try reporting {
            let client = options.client()
            let response = try client.send("POST", "/api/migrations/\(version)/rollback-scaffold")
            if response.status == 404 { throw CLIError(.failed, "the server has no migration with version \(version)") }
            _ = try client.expectSuccess(response, "rollback-scaffold")
            let scaffold = try client.decode(RollbackScaffold.self, response)
            if write {
                let folder = NewCommand.folder(directory)
                // The name comes from the server: only a migration file name, never a path.
                guard (try? MigrationFileName(scaffold.filename))?.filename == scaffold.filename,
                      !scaffold.filename.contains("/") else {
                    throw CLIError(.failed, "the server proposed '\(Terminal.clean(scaffold.filename))' as the file name, which is not a migration file name; nothing was written")
                }
                let name = String(scaffold.filename.drop { $0 != "_" }.dropFirst().dropLast(4))
                let (path, _) = try NewCommand.freshPath(in: folder, name: name)
                try NewCommand.createNew(path, contents: scaffold.sql)
                if options.json { Terminal.line(response.text) } else { Terminal.line("Wrote \(path)") }
            } else if options.json {
                Terminal.line(response.text)
            } else {
                Terminal.write(scaffold.sql)
            }
            if !options.json {
                Terminal.error(scaffold.source == .downSection ? "(the file's own -- migrate:down section)"
                               : "(generated: the inverse of each up statement, in reverse order)")
            }
            if !options.json && !scaffold.unsupported.isEmpty {
                Terminal.error("\(scaffold.unsupported.count) statement\(scaffold.unsupported.count == 1 ? " needs" : "s need") review (TODO and WARNING comments in the file):")
                for item in scaffold.unsupported { Terminal.error("  line \(item.line): \(item.reason)") }
            }
        }
    }
}
