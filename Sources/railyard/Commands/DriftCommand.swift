import ArgumentParser
import RailyardAPI
import RailyardCore

struct DriftCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "drift",
        abstract: "How the server's live database differs from the committed schema.sql; exit 1 on drift.")

    @OptionGroup var options: GlobalOptions

    func run() throws {
        try reporting {
            let client = options.client()
            let response = try client.expectSuccess(try client.send("GET", "/api/schema/drift"), "drift")
            let answer = try client.decode(SchemaDriftAnswer.self, response)
            if options.json {
                Terminal.line(response.text)
            } else if !answer.drift {
                Terminal.line("\(Terminal.paint("✓ no drift", .green)): the database matches \(answer.schemaFile)")
            } else {
                Terminal.line("\(Terminal.paint("✗ drift", .red)): the database differs from \(answer.schemaFile) in \(answer.objects.count) object\(answer.objects.count == 1 ? "" : "s"):")
                for object in answer.objects { Terminal.line("  \(object.kind) \(object.name) (\(object.change.rawValue))") }
                Terminal.line("")
                Terminal.write(answer.diff)
            }
            if answer.drift { throw ExitCode.failure }
        }
    }
}
