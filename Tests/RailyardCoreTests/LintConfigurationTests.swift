import Testing
@testable import RailyardCore

@Suite("Project lint settings")
struct LintConfigurationTests {
    @Test func levelsAndSinceAreApplied() throws {
        let configuration = try LintConfiguration.parse("""
            # an adopted history
            since = 2
            create-table-if-not-exists = off   # a tracker runs each file once
            drop-column = error
            """)
        let findings = [
            Diagnostic(rule: "create-table-if-not-exists", severity: .warning, file: "3_c.sql", message: "m"),
            Diagnostic(rule: "drop-column", severity: .warning, file: "3_c.sql", message: "m"),
            Diagnostic(rule: "drop-column", severity: .warning, file: "1_a.sql", message: "m"),
            Diagnostic(rule: "duplicate-version", severity: .error, file: "1_a.sql", message: "m"),
        ]
        let applied = configuration.apply(to: findings, versions: ["1_a.sql": "1", "3_c.sql": "3"])
        #expect(applied.map(\.rule) == ["drop-column", "duplicate-version"], "off, and older than since, are dropped; folder problems stay")
        #expect(applied.first?.severity == .error)
    }

    @Test(arguments: ["no-such-rule = off", "drop-column = loud", "since = yesterday", "just words"])
    func badLinesAreErrorsNamingTheLine(line: String) {
        #expect(throws: LintConfiguration.Problem.self) { try LintConfiguration.parse("drop-column = off\n" + line) }
        do { _ = try LintConfiguration.parse("drop-column = off\n" + line) } catch { #expect(error.line == 2) }
    }
}
