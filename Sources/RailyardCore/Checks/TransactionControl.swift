/// Transaction-control statements, recognised from their leading tokens.
public enum TransactionControl: Sendable, Equatable {
    case begin
    case commit
    case rollback
    case savepoint(String)
    case release(String)
    case rollbackToSavepoint(String)
    case prepareTransaction
    case commitPrepared
    case rollbackPrepared

    public init?(_ statement: SQLStatement, source: SourceText) {
        let tokens = statement.tokens
        guard let first = tokens.first, first.kind == .word else { return nil }
        let words = statement.leadingWords(4)
        func name(after index: Int) -> String {
            guard index < tokens.count else { return "" }
            let token = tokens[index]
            return token.kind == .word ? token.word.lowercased() : source.text(token.range)
        }
        switch first.word {
        case "BEGIN":
            self = .begin
        case "START" where words.count > 1 && words[1] == "TRANSACTION":
            self = .begin
        case "COMMIT" where words.count > 1 && words[1] == "PREPARED":
            self = .commitPrepared
        case "COMMIT", "END":
            self = .commit
        case "ROLLBACK" where words.count > 1 && words[1] == "PREPARED":
            self = .rollbackPrepared
        case "ROLLBACK", "ABORT":
            var index = 1
            if index < words.count && (words[index] == "WORK" || words[index] == "TRANSACTION") { index += 1 }
            if first.word == "ROLLBACK" && index < tokens.count && tokens[index].isWord("TO") {
                index += 1
                if index < tokens.count && tokens[index].isWord("SAVEPOINT") { index += 1 }
                self = .rollbackToSavepoint(name(after: index))
            } else {
                self = .rollback
            }
        case "SAVEPOINT":
            self = .savepoint(name(after: 1))
        case "RELEASE":
            let index = tokens.count > 1 && tokens[1].isWord("SAVEPOINT") ? 2 : 1
            self = .release(name(after: index))
        case "PREPARE" where words.count > 1 && words[1] == "TRANSACTION":
            self = .prepareTransaction
        default:
            return nil
        }
    }

    /// The statement as people name it in messages.
    public var label: String {
        switch self {
        case .begin: "BEGIN"
        case .commit: "COMMIT"
        case .rollback: "ROLLBACK"
        case .savepoint: "SAVEPOINT"
        case .release: "RELEASE SAVEPOINT"
        case .rollbackToSavepoint: "ROLLBACK TO SAVEPOINT"
        case .prepareTransaction: "PREPARE TRANSACTION"
        case .commitPrepared: "COMMIT PREPARED"
        case .rollbackPrepared: "ROLLBACK PREPARED"
        }
    }
}
