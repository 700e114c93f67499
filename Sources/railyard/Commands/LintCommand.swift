import ArgumentParser
import FoundationEssentials
import RailyardAPI
import RailyardCore

struct LintCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lint",
        abstract: "Check the migrations folder locally: names, duplicates, parse errors, transaction misuse, risky operations.")

    @Option(name: .customLong("dir"), help: "Migrations folder (env MIGRATIONS_DIR; default migrations).")
    var directory: String?

    @Flag(help: "Print the findings as JSON.")
    var json = false

    struct Report: Encodable {
        var files: Int
        var errors: Int
        var warnings: Int
        var diagnostics: [Diagnostic]
        var ignored: [String]
    }

    func run() throws {
        try reporting {
            let folder = directory ?? ProcessInfo.processInfo.environment["MIGRATIONS_DIR"] ?? "migrations"
            let catalog: MigrationCatalog
            do {
                // Lint never compares checksums, so none are computed.
                catalog = try MigrationCatalog.load(directory: URL(fileURLWithPath: folder), checksum: { _ in "" })
            } catch {
                throw CLIError(.failed, "\(error)")
            }
            let configuration = try Self.configuration(for: folder)
            let versions = Dictionary(catalog.files.map { ($0.filename, $0.version) }, uniquingKeysWith: { first, _ in first })
            let findings = configuration.apply(to: catalog.lintFindings(), versions: versions)
            let errors = findings.filter { $0.severity == .error }.count
            let warnings = findings.filter { $0.severity == .warning }.count
            if json {
                let report = Report(files: catalog.files.count, errors: errors, warnings: warnings,
                                    diagnostics: findings, ignored: catalog.ignored)
                Terminal.line(String(decoding: try APIJSON.encoder().encode(report), as: UTF8.self))
            } else {
                for diagnostic in findings { Terminal.line(Self.render(diagnostic)) }
                for name in catalog.ignored {
                    Terminal.line(Terminal.paint("\(name): ignored: only *.sql files directly in \(folder)/ are migrations", .dim))
                }
                let checked = catalog.files.count + Set(findings.map(\.file)).subtracting(catalog.files.map(\.filename)).count
                let summary = "\(checked) file\(checked == 1 ? "" : "s") checked: \(errors) error\(errors == 1 ? "" : "s"), \(warnings) warning\(warnings == 1 ? "" : "s")"
                Terminal.line(errors > 0 ? Terminal.paint(summary, .red) : Terminal.paint(summary, .green))
            }
            if errors > 0 { throw ExitCode.failure }
        }
    }

    /// `railyard-lint.conf` in the folder above the migrations folder (the
    /// project's root), when there is one.
    static func configuration(for folder: String) throws -> LintConfiguration {
        let parent = URL(fileURLWithPath: folder).standardizedFileURL.deletingLastPathComponent()
        let path = parent.appendingPathComponent(LintConfiguration.fileName).path
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return LintConfiguration() }
        do {
            return try LintConfiguration.parse(text)
        } catch {
            throw CLIError(.usage, "\(parent.path)/\(error)")
        }
    }

    static func render(_ diagnostic: Diagnostic) -> String {
        let severity: String
        switch diagnostic.severity {
        case .error: severity = Terminal.paint("error", .red)
        case .warning: severity = Terminal.paint("warning", .yellow)
        case .info: severity = "info"
        }
        var text = "\(diagnostic.file):\(diagnostic.line):\(diagnostic.column): \(severity)[\(diagnostic.rule)]: \(diagnostic.message)"
        if let hint = diagnostic.hint { text += "\n  " + Terminal.paint("hint: \(hint)", .dim) }
        return text
    }
}
