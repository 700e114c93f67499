import Foundation

/// A reverse migration: the file's own down section when it has one,
/// otherwise the inverse of each up statement in reverse order, with what
/// cannot be inverted listed and left as commented TODOs.
public struct RollbackScaffold: Sendable, Codable, Equatable {
    public enum Source: String, Sendable, Codable {
        case downSection = "down-section"
        case generated
    }

    public struct Unsupported: Sendable, Codable, Equatable {
        public var line: Int
        public var statement: String
        public var reason: String
    }

    public var filename: String
    public var sql: String
    public var source: Source
    public var unsupported: [Unsupported]

    /// The scaffold for `file`, named with a timestamp from `now`.
    public static func make(for file: MigrationFile, now: Date = Date()) -> RollbackScaffold {
        let filename = "\(timestamp(now))_rollback_\(file.name).sql"
        if let down = file.down, !down.statements.isEmpty {
            let transactional = !down.statements.contains { NonTransactionalStatement.kind(of: $0, source: file.source) != nil }
            let sql = header(for: file, transactional: transactional)
                + file.source.text(down.range).trimmingCharacters(in: .whitespacesAndNewlines) + "\n"
            return RollbackScaffold(filename: filename, sql: sql, source: .downSection, unsupported: [])
        }
        var body: [String] = []
        var unsupported: [Unsupported] = []
        var transactional = true
        for statement in file.executableStatements.reversed() {
            let text = file.source.text(statement.range)
            switch StatementInverse.inverse(of: statement, source: file.source) {
            case .statement(let inverse, let concurrently):
                if concurrently { transactional = false }
                body.append(inverse + ";")
            case .unsupported(let reason):
                let line = file.location(of: statement).line
                unsupported.append(Unsupported(line: line, statement: text, reason: reason))
                let commented = text.split(separator: "\n", omittingEmptySubsequences: false).map { "--   \($0)" }.joined(separator: "\n")
                body.append("-- TODO (line \(line), \(reason)): undo by hand:\n\(commented)")
            }
        }
        let sql = header(for: file, transactional: transactional) + body.joined(separator: "\n\n") + "\n"
        return RollbackScaffold(filename: filename, sql: sql, source: .generated, unsupported: unsupported)
    }

    private static func header(for file: MigrationFile, transactional: Bool) -> String {
        "-- Rollback of \(file.filename)\n-- migrate:up\(transactional ? "" : " transaction:false")\n"
    }

    static func timestamp(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMddHHmmss"
        return formatter.string(from: date)
    }
}

/// The inverse of one statement, where there is a simple one.
enum StatementInverse {
    enum Result: Equatable {
        case statement(String, concurrently: Bool)
        case unsupported(String)
    }

    static func inverse(of statement: SQLStatement, source: SourceText) -> Result {
        var reader = TokenReader(tokens: statement.tokens, source: source)
        if reader.accept("CREATE") {
            if reader.accept("TABLE") {
                reader.skip("IF", "NOT", "EXISTS")
                guard let name = reader.qualifiedName() else { return .unsupported("table name not recognised") }
                return .statement("DROP TABLE IF EXISTS \(name)", concurrently: false)
            }
            _ = reader.accept("UNIQUE")
            if reader.accept("INDEX") {
                let concurrently = reader.accept("CONCURRENTLY")
                reader.skip("IF", "NOT", "EXISTS")
                guard !reader.peek("ON"), let name = reader.qualifiedName() else {
                    return .unsupported("an index without a name cannot be dropped by name")
                }
                return .statement("DROP INDEX \(concurrently ? "CONCURRENTLY " : "")IF EXISTS \(name)", concurrently: concurrently)
            }
            return .unsupported("not recognised")
        }
        if reader.accept("ALTER"), reader.accept("TABLE") {
            reader.skip("IF", "EXISTS")
            _ = reader.accept("ONLY")
            guard let table = reader.qualifiedName() else { return .unsupported("table name not recognised") }
            guard reader.accept("ADD") else { return .unsupported("not recognised") }
            _ = reader.accept("COLUMN")
            reader.skip("IF", "NOT", "EXISTS")
            guard let column = reader.name(), !statement.tokens.contains(where: { $0.kind == .comma && reader.depth(at: $0) == 0 }) else {
                return .unsupported("not recognised")
            }
            return .statement("ALTER TABLE \(table) DROP COLUMN IF EXISTS \(column)", concurrently: false)
        }
        let first = statement.tokens.first?.word ?? ""
        switch first {
        case "INSERT", "UPDATE", "DELETE", "COPY", "TRUNCATE", "MERGE":
            return .unsupported("data changes cannot be undone automatically")
        case "DROP":
            return .unsupported("what was dropped cannot be recreated automatically")
        default:
            return .unsupported("not recognised")
        }
    }
}

/// Reads a statement's tokens from the front.
struct TokenReader {
    let tokens: [SQLToken]
    let source: SourceText
    var index = 0

    mutating func accept(_ word: String) -> Bool {
        guard index < tokens.count, tokens[index].isWord(word) else { return false }
        index += 1
        return true
    }

    func peek(_ word: String) -> Bool {
        index < tokens.count && tokens[index].isWord(word)
    }

    /// Skips the words if all of them come next.
    mutating func skip(_ words: String...) {
        guard index + words.count <= tokens.count,
              zip(tokens[index...], words).allSatisfy({ $0.isWord($1) }) else { return }
        index += words.count
    }

    /// An identifier as written (quoted identifiers keep their quotes).
    mutating func name() -> String? {
        guard index < tokens.count, tokens[index].kind == .word || tokens[index].kind == .quotedIdentifier else { return nil }
        defer { index += 1 }
        return source.text(tokens[index].range)
    }

    /// `name` or `schema.name`.
    mutating func qualifiedName() -> String? {
        guard var text = name() else { return nil }
        while index + 1 < tokens.count, tokens[index].kind == .dot {
            index += 1
            guard let part = name() else { return nil }
            text += "." + part
        }
        return text
    }

    /// Parenthesis depth just before `token`.
    func depth(at token: SQLToken) -> Int {
        var depth = 0
        for candidate in tokens {
            if candidate.range == token.range { return depth }
            if candidate.kind == .leftParen { depth += 1 }
            if candidate.kind == .rightParen { depth -= 1 }
        }
        return depth
    }
}
