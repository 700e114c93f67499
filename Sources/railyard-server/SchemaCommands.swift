import ArgumentParser
import Foundation
import RailyardCore
import RailyardEngine

struct DumpCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dump",
        abstract: "Write the database's schema to schema.sql next to migrations/ (deterministic, diffable, from the catalogs).")

    @OptionGroup var database: DatabaseOptions

    @Flag(help: "Print the schema instead of writing the file.")
    var stdout = false

    func run() throws {
        do {
            try database.withDatabase { conninfo in
                let migrator = Migrator(configuration: database.configuration(conninfo: conninfo))
                let schema = try migrator.dumpSchema()
                if stdout {
                    FileHandle.standardOutput.write(Data(schema.rendered().utf8))
                } else {
                    let url = try migrator.writeSchemaFile(schema)
                    Output.line("✓ Wrote \(url.path) (\(schema.objects.count) objects)")
                }
            }
        } catch {
            throw Output.fail(error, json: database.json)
        }
    }
}

struct DriftCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "drift",
        abstract: "Compare the live database's schema with schema.sql; exit 1 when they differ.")

    @OptionGroup var database: DatabaseOptions

    func run() throws {
        let drift: SchemaDrift
        let path: String
        do {
            (drift, path) = try database.withDatabase { conninfo in
                let migrator = Migrator(configuration: database.configuration(conninfo: conninfo))
                return (try migrator.drift(), migrator.configuration.schemaFileURL.path)
            }
        } catch {
            throw Output.fail(error, json: database.json)
        }
        if database.json {
            Output.json(drift)
        } else if drift.isEmpty {
            Output.line("✓ No drift: the database matches \(path)")
        } else {
            Output.line("✗ The database differs from \(path) in \(drift.objects.count) object\(drift.objects.count == 1 ? "" : "s"):")
            for object in drift.objects { Output.line("  \(object.kind) \(object.name) (\(Self.words(object.change)))") }
            Output.line("")
            Output.line(drift.diff)
        }
        if !drift.isEmpty { throw ExitCode.failure }
    }

    static func words(_ change: SchemaDrift.Change) -> String {
        switch change {
        case .added: "only in the database"
        case .removed: "only in the schema file"
        case .changed: "changed"
        }
    }
}

struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Replay every migration on a shadow database: each must apply from nothing, be safe to re-run, and round-trip through its down section; the result must match schema.sql.")

    @OptionGroup var folders: FolderOptions

    @Option(name: .customLong("shadow-url"), help: "A server to replay on in a scratch database made and dropped for it (env RAILYARD_SHADOW_DATABASE_URL). Unset: a throwaway local PostgreSQL.")
    var shadowURL: String?

    @Flag(help: "Migrations that are not safe to re-run fail the check (env RAILYARD_STRICT=true).")
    var strict = false

    @Flag(name: .customLong("write-schema"), help: "Write the replayed schema to the schema file instead of comparing with it.")
    var writeSchema = false

    @Flag(help: "Print machine-readable JSON.")
    var json = false

    func run() throws {
        let configuration = folders.configuration(conninfo: "")
        let strict: Bool
        do {
            strict = try self.strict || Environment.flag("RAILYARD_STRICT")
        } catch {
            throw ValidationError("\(error)")
        }
        let options = VerifyOptions(shadowURL: shadowURL ?? Environment.value("RAILYARD_SHADOW_DATABASE_URL"), strict: strict,
                                    writeSchemaFile: writeSchema)
        let report: VerifyReport
        do {
            report = try Migrator(configuration: configuration).verify(options, progress: { filename, findings in
                guard !json else { return }
                let worst = findings.map(\.severity).max()
                Output.line("\(worst == .error ? "✗" : worst == .warning ? "!" : "✓") \(filename)")
                for finding in findings where finding.check != .schemaFile { Self.print(finding) }
            })
        } catch {
            throw Output.fail(error, json: json)
        }
        if json {
            Output.json(report)
        } else {
            for finding in report.findings where finding.check == .schemaFile { Self.print(finding) }
            let errors = report.count(.error), warnings = report.count(.warning)
            let summary = "\(report.replayed) of \(report.migrations) migration\(report.migrations == 1 ? "" : "s") replayed on \(report.shadow) in \(report.milliseconds) ms: "
                + "\(errors) error\(errors == 1 ? "" : "s"), \(warnings) warning\(warnings == 1 ? "" : "s")"
            Output.line((errors > 0 ? "✗ " : "✓ ") + summary)
        }
        if report.count(.error) > 0 { throw ExitCode.failure }
    }

    static func print(_ finding: VerifyReport.Finding) {
        let mark = finding.severity == .error ? "error" : finding.severity == .warning ? "warning" : "note"
        let place = finding.check == .schemaFile ? "" : finding.place + ": "
        Output.line("  \(mark) [\(finding.check.rawValue)] \(place)\(finding.sqlstate.map { "\($0): " } ?? "")\(finding.message)")
        if let diff = finding.diff {
            Output.line(diff.split(separator: "\n", omittingEmptySubsequences: false).map { "    " + $0 }.joined(separator: "\n"))
        }
    }
}
