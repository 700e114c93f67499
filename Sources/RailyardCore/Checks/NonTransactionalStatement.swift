/// Statements PostgreSQL refuses inside a transaction block.
public enum NonTransactionalStatement {
    /// What the statement is ("CREATE INDEX CONCURRENTLY"), or nil when it can
    /// run inside a transaction. Keywords are matched as tokens.
    public static func kind(of statement: SQLStatement, source: SourceText) -> String? {
        let tokens = statement.tokens
        let words = statement.leadingWords(4)
        guard let first = words.first else { return nil }
        switch first {
        case "CREATE":
            var index = 1
            if index < words.count && words[index] == "UNIQUE" { index += 1 }
            if index + 1 < words.count && words[index] == "INDEX" && words[index + 1] == "CONCURRENTLY" {
                return "CREATE INDEX CONCURRENTLY"
            }
            if words.count > 1, ["DATABASE", "TABLESPACE", "SUBSCRIPTION"].contains(words[1]) {
                return "CREATE \(words[1])"
            }
        case "DROP":
            if words.count > 2 && words[1] == "INDEX" && words[2] == "CONCURRENTLY" {
                return "DROP INDEX CONCURRENTLY"
            }
            if words.count > 1, ["DATABASE", "TABLESPACE", "SUBSCRIPTION"].contains(words[1]) {
                return "DROP \(words[1])"
            }
        case "REINDEX":
            if statement.contains(word: "CONCURRENTLY") { return "REINDEX CONCURRENTLY" }
            if let target = tokens.dropFirst().first(where: { $0.isWord("DATABASE") || $0.isWord("SYSTEM") }) {
                return "REINDEX \(target.word)"
            }
        case "ALTER":
            if words.count > 1 && words[1] == "SYSTEM" { return "ALTER SYSTEM" }
            if words.count > 1 && words[1] == "SUBSCRIPTION" { return "ALTER SUBSCRIPTION" }
            if words.count > 1 && words[1] == "DATABASE" && containsSequence(tokens, ["SET", "TABLESPACE"]) {
                return "ALTER DATABASE … SET TABLESPACE"
            }
            if words.count > 1 && words[1] == "TABLE" && containsSequence(tokens, ["DETACH", "PARTITION"])
                && statement.contains(word: "CONCURRENTLY") {
                return "ALTER TABLE … DETACH PARTITION … CONCURRENTLY"
            }
        case "VACUUM":
            return "VACUUM"
        case "CLUSTER":
            if clustersWholeDatabase(tokens) { return "CLUSTER without a table" }
        case "DISCARD":
            if words.count > 1 && words[1] == "ALL" { return "DISCARD ALL" }
        case "COMMIT", "ROLLBACK":
            if words.count > 1 && words[1] == "PREPARED" { return "\(first) PREPARED" }
        default:
            break
        }
        return nil
    }

    /// True when the statement (or one of its `CONCURRENTLY` clauses) waits
    /// for other transactions by design, so the default lock timeout must not apply.
    public static func isConcurrently(_ statement: SQLStatement) -> Bool {
        statement.contains(word: "CONCURRENTLY")
    }

    /// `CLUSTER`, `CLUSTER VERBOSE` or `CLUSTER (options)` with no table.
    static func clustersWholeDatabase(_ tokens: [SQLToken]) -> Bool {
        var index = 1
        if index < tokens.count && tokens[index].kind == .leftParen {
            var depth = 0
            while index < tokens.count {
                if tokens[index].kind == .leftParen { depth += 1 }
                if tokens[index].kind == .rightParen { depth -= 1; if depth == 0 { index += 1; break } }
                index += 1
            }
        }
        if index < tokens.count && tokens[index].isWord("VERBOSE") { index += 1 }
        return index >= tokens.count
    }

    static func containsSequence(_ tokens: [SQLToken], _ words: [String]) -> Bool {
        guard tokens.count >= words.count else { return false }
        for start in 0...(tokens.count - words.count)
        where zip(tokens[start...], words).allSatisfy({ $0.isWord($1) }) {
            return true
        }
        return false
    }
}
