/// Whether a migration's statements can leave something in the session for
/// the next one: a setting, a role, a temporary object, a prepared
/// statement, a cursor, a LISTEN. Statements that run or call code (DO,
/// CALL, any SELECT) count too, since the code can do any of those.
/// Plain DDL and DML cannot, short of a trigger or an expression's function
/// that changes the session, which is not looked for.
public enum SessionEffects {
    /// Statements that, by their first word, act on the session or run code.
    static let sessionStatements: Set<String> = [
        "SET", "RESET", "DISCARD", "PREPARE", "EXECUTE", "DEALLOCATE", "DECLARE", "FETCH", "MOVE",
        "LISTEN", "UNLISTEN", "LOAD", "DO", "CALL", "SELECT", "VALUES", "WITH", "TABLE",
    ]
    /// Statements that name privileges (SELECT among them) and run nothing.
    static let privilegeStatements: Set<String> = ["GRANT", "REVOKE", "COMMENT", "SECURITY"]
    /// Words that, anywhere in a statement, may act on the session. Every
    /// token of every migration is checked against them: by length first,
    /// then one by one, which costs less than hashing each word.
    static func isSessionWord(_ word: String) -> Bool {
        switch word.utf8.count {
        case 4, 6, 7, 9, 10: break
        default: return false
        }
        switch word {
        case "TEMP", "TEMPORARY", "PG_TEMP", "SELECT", "SET_CONFIG": return true
        default: return false
        }
    }

    public static func mayChangeSession(_ statements: some Sequence<SQLStatement>, in source: SourceText) -> Bool {
        statements.contains { statement in
            guard let first = statement.tokens.first else { return false }
            if first.kind != .word || sessionStatements.contains(first.word) { return true }
            if privilegeStatements.contains(first.word) || statement.starts(with: "ALTER", "DEFAULT", "PRIVILEGES") { return false }
            return statement.tokens.contains { token in
                switch token.kind {
                case .word: isSessionWord(token.word)
                case .quotedIdentifier: source.text(token.range) == "\"pg_temp\""
                default: false
                }
            }
        }
    }
}
