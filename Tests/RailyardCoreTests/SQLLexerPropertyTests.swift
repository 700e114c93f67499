import Testing
@testable import RailyardCore

/// A small seeded generator, so a failing case can be replayed.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E3779B97F4A7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58476D1CE4E5B9
        z = (z ^ (z >> 27)) &* 0x94D049BB133111EB
        return z ^ (z >> 31)
    }
}

/// Builds random, valid statements out of the constructs that hide semicolons.
struct StatementGenerator {
    var random: SplitMix64

    mutating func pick<T>(_ items: [T]) -> T { items[Int.random(in: 0..<items.count, using: &random)] }

    /// A dollar-quote tag: empty, or an identifier without `$`.
    mutating func tagText() -> String {
        let head = pick(["", "x", "body", "_f1", "é"])
        return head.isEmpty ? "" : head + pick(["", "2", "_z"])
    }

    mutating func fragment() -> String {
        switch Int.random(in: 0..<13, using: &random) {
        case 0: return pick(["a", "x1", "é_col", "tbl$1", "CREATE", "begin", "atomic_x", "COPY", "stdin_x"])
        case 1: return "'" + pick(["", ";", "it''s;", "\\", "-- no", "/* no", "$$"]) + "'"
        case 2: return "E'" + pick(["\\';", "\\\\", "a''b;", "\\n;"]) + "'"
        case 3:
            let tag = tagText()
            return "$\(tag)$" + pick(["", ";", "'", "$other$;", "-- x\n;"]) + "$\(tag)$"
        case 4: return "\"" + pick(["a;b", "x\"\"y;", "-- c", "é;"]) + "\""
        case 5: return "/* " + pick([";", "/* nested; */", "'", "$$"]) + " */"
        case 6: return "-- " + pick([";", "'", "/*", "$$"]) + "\n"
        case 7: return pick(["1", "2.5", "1e-3", ".5", "$1"])
        case 8: return pick(["+", "::", "<>", "||", "*", "=", ","])
        case 9: return "(" + pick(["a; b", "'x;'", "1"]) + ")"
        case 10: return "U&'" + pick(["\\0041;", "x''y"]) + "'"
        case 11: return pick(["B'101'", "X'FF'", "N'n;'"])
        default: return "\n"
        }
    }

    /// A statement that starts and ends with a word, so its range is exact.
    mutating func statement() -> String {
        var parts = [pick(["SELECT", "UPDATE", "INSERT", "ALTER", "GRANT"])]
        for _ in 0..<Int.random(in: 0...8, using: &random) { parts.append(fragment()) }
        parts.append(pick(["x", "y9", "done"]))
        return parts.joined(separator: " ")
    }

    mutating func separator() -> String {
        pick([";", ";\n", " ;\n\n", ";-- trailing; comment\n", "; /* between; */ ", ";\r\n"])
    }
}

@Suite("SQL lexer: generated scripts split back into their statements")
struct SQLLexerPropertyTests {
    @Test(arguments: 0..<40)
    func randomScriptsSplitBack(seed: Int) throws {
        var generator = StatementGenerator(random: SplitMix64(state: UInt64(seed) &* 7919 &+ 17))
        for _ in 0..<25 {
            let statements = (0..<Int.random(in: 1...6, using: &generator.random)).map { _ in generator.statement() }
            var script = ""
            for statement in statements { script += statement + generator.separator() }
            let found = try split(script)
            #expect(found == statements, "script: \(script.debugDescription)")
        }
    }

    @Test func everyPrefixOfAQuotedConstructIsAnErrorOrSplitsSafely() throws {
        // Cutting a script anywhere never crashes and never yields text outside the source.
        let script = "SELECT 'a;b', $q$x;$q$, \"i;d\", E'\\'' /* c /* d */ */ -- e\n; SELECT 2;"
        for cut in 0...script.utf8.count {
            let source = SourceText(bytes: Array(script.utf8.prefix(cut)))
            if let statements = try? SQLLexer.lex(source).statements {
                for statement in statements { #expect(statement.range.upperBound <= cut) }
            }
        }
    }
}
