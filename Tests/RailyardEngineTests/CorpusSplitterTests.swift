import Foundation
import Testing
import RailyardTestSupport
@testable import RailyardCore

/// The splitter against PostgreSQL on real SQL: every file of
/// `../shared/corpus/pg-regress` and `../shared/corpus/lexer-repro` must
/// split into the statements PostgreSQL's parser (through pglast) finds, with
/// the same boundaries; files PostgreSQL 16's scanner rejects are judged by
/// what psql 15 sends for them. The reference is computed by
/// Tests/corpus/postgres_statements.py, which uses no Railyard code.
@Suite("SQL lexer: PostgreSQL's regression suite", .serialized)
struct CorpusSplitterTests {
    static let corpus = RepositoryPaths.root.deletingLastPathComponent().appendingPathComponent("shared/corpus")

    static var files: [URL] {
        ["pg-regress", "lexer-repro"].flatMap { folder -> [URL] in
            let directory = corpus.appendingPathComponent(folder)
            let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
            return names.filter { $0.hasSuffix(".sql") }.sorted().map { directory.appendingPathComponent($0) }
        }
    }

    struct Reference: Decodable {
        var file: String
        var statements: [[Int]]?
        var psql: [[Int]]?
        var error: String?
    }

    @Test func statementsMatchPostgres() throws {
        let files = Self.files
        guard !files.isEmpty else {
            print("CorpusSplitterTests: did not run: no ../shared/corpus next to the repository (it is there in CI)")
            return
        }
        let conninfo = try TestDatabase.serverConninfo()
        let python = RepositoryPaths.root.appendingPathComponent(".venv/bin/python").path
        let script = RepositoryPaths.root.appendingPathComponent("Tests/corpus/postgres_statements.py").path
        let result = try Subprocess.run(python, [script] + files.map(\.path) + ["--psql", conninfo], timeout: 900)
        try #require(result.status == 0, "reference failed: \(result.stderr)")
        let references = try result.stdout.split(separator: "\n").map {
            try JSONDecoder().decode(Reference.self, from: Data($0.utf8))
        }
        #expect(references.count == files.count)
        var statementCount = 0
        var disagreements: [String] = []
        for reference in references {
            let source = SourceText(bytes: Array(try Data(contentsOf: URL(fileURLWithPath: reference.file))))
            let name = URL(fileURLWithPath: reference.file).lastPathComponent
            let ours: [Range<Int>]
            do {
                ours = try SQLLexer.lex(source).statements.map(\.range)
            } catch {
                disagreements.append("\(name): Railyard rejects the file: \(error)")
                continue
            }
            statementCount += ours.count
            if let expected = reference.statements {
                if let problem = Self.firstDifference(ours, expected.map { $0[0]..<$0[1] }, source: source) {
                    disagreements.append("\(name): \(problem)")
                }
            } else if let sent = reference.psql {
                if let problem = Self.differenceFromPsql(ours, sent.map { $0[0]..<$0[1] }, source: source) {
                    disagreements.append("\(name): \(problem)")
                }
            } else {
                disagreements.append("\(name): no reference: \(reference.error ?? "?")")
            }
        }
        print("CorpusSplitterTests: \(references.count) files, \(statementCount) statements compared with PostgreSQL")
        #expect(disagreements.isEmpty, Comment(rawValue: "\(disagreements.count) files differ:\n" + disagreements.prefix(20).joined(separator: "\n")))
        #expect(statementCount > 40_000)
    }

    static func firstDifference(_ ours: [Range<Int>], _ theirs: [Range<Int>], source: SourceText) -> String? {
        for (index, pair) in zip(ours, theirs).enumerated() where pair.0 != pair.1 {
            let location = source.location(ofByte: min(pair.0.lowerBound, pair.1.lowerBound))
            return "statement \(index + 1) (line \(location.line)): Railyard \(excerpt(pair.0, source)) | PostgreSQL \(excerpt(pair.1, source))"
        }
        if ours.count != theirs.count {
            return "Railyard finds \(ours.count) statements, PostgreSQL \(theirs.count)"
        }
        return nil
    }

    /// Each statement lies inside the query psql sent for it, with only
    /// white space, comments and the semicolon around it.
    static func differenceFromPsql(_ ours: [Range<Int>], _ sent: [Range<Int>], source: SourceText) -> String? {
        for (index, pair) in zip(ours, sent).enumerated() {
            let (statement, query) = pair
            let inside = query.lowerBound <= statement.lowerBound && statement.upperBound <= query.upperBound
            guard inside,
                  isOnlyCommentsAndSpace(source.bytes[query.lowerBound..<statement.lowerBound]),
                  isOnlyCommentsAndSpace(source.bytes[statement.upperBound..<query.upperBound].dropLast { $0 == UInt8(ascii: ";") }) else {
                return "statement \(index + 1): Railyard \(excerpt(statement, source)) | psql sent \(excerpt(query, source))"
            }
        }
        return ours.count == sent.count ? nil : "Railyard finds \(ours.count) statements, psql sends \(sent.count)"
    }

    /// White space, `--` comments (to LF or CR) and nested `/* */` comments.
    static func isOnlyCommentsAndSpace(_ bytes: ArraySlice<UInt8>) -> Bool {
        var index = bytes.startIndex
        while index < bytes.endIndex {
            let byte = bytes[index]
            let next = index + 1 < bytes.endIndex ? bytes[index + 1] : 0
            if [9, 10, 11, 12, 13, 32].contains(byte) {
                index += 1
            } else if byte == UInt8(ascii: "-") && next == UInt8(ascii: "-") {
                while index < bytes.endIndex && bytes[index] != 10 && bytes[index] != 13 { index += 1 }
            } else if byte == UInt8(ascii: "/") && next == UInt8(ascii: "*") {
                var depth = 0
                repeat {
                    if bytes[index] == UInt8(ascii: "/") && index + 1 < bytes.endIndex && bytes[index + 1] == UInt8(ascii: "*") {
                        depth += 1
                        index += 2
                    } else if bytes[index] == UInt8(ascii: "*") && index + 1 < bytes.endIndex && bytes[index + 1] == UInt8(ascii: "/") {
                        depth -= 1
                        index += 2
                    } else {
                        index += 1
                    }
                } while depth > 0 && index < bytes.endIndex
                if depth > 0 { return false }
            } else {
                return false
            }
        }
        return true
    }

    static func excerpt(_ range: Range<Int>, _ source: SourceText) -> String {
        let text = source.text(range)
        let short = text.count > 70 ? String(text.prefix(35)) + " … " + String(text.suffix(30)) : text
        return "«" + short.replacingOccurrences(of: "\n", with: "⏎").replacingOccurrences(of: "\r", with: "␍") + "»"
    }
}

extension ArraySlice where Element == UInt8 {
    /// Without one trailing element matching `predicate`.
    func dropLast(where predicate: (UInt8) -> Bool) -> ArraySlice<UInt8> {
        if let last, predicate(last) { return dropLast() }
        return self
    }
}
