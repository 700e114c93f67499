import FoundationEssentials

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
        let filename = "\(UTCTimestamp.version(now))_rollback_\(file.name).sql"
        // A down section with no statements, only comments ("extensions stay"), says nothing is to be undone.
        if let down = file.down, !down.statements.isEmpty || !file.source.text(down.range).trimmed(newlines: true).isEmpty {
            let transactional = !down.statements.contains { NonTransactionalStatement.kind(of: $0, source: file.source) != nil }
            let sql = header(for: file, transactional: transactional)
                + file.source.text(down.range).trimmed(newlines: true) + "\n"
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
                if Self.isGuardedByIfNotExists(statement) {
                    // The object may have been there before the migration: then this drops what it never created.
                    let line = file.location(of: statement).line
                    unsupported.append(Unsupported(line: line, statement: text, reason: Self.ifNotExistsReason))
                    body.append("-- WARNING (line \(line)): created only IF NOT EXISTS: if it existed before the migration,\n"
                                + "-- the next statement drops something the migration did not create. Check before deploying.\n"
                                + inverse + ";")
                } else {
                    body.append(inverse + ";")
                }
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

    public static let ifNotExistsReason = "guarded by IF NOT EXISTS: it may have existed before the migration, and the scaffold drops it anyway; check before deploying"

    static func isGuardedByIfNotExists(_ statement: SQLStatement) -> Bool {
        let tokens = statement.tokens
        return tokens.indices.dropLast(2).contains { tokens[$0].isWord("IF") && tokens[$0 + 1].isWord("NOT") && tokens[$0 + 2].isWord("EXISTS") }
    }

    private static func header(for file: MigrationFile, transactional: Bool) -> String {
        "-- Rollback of \(file.filename)\n-- migrate:up\(transactional ? "" : " transaction:false")\n"
    }
}

/// The inverse of one statement, where there is a simple one.
enum StatementInverse {
    enum Result: Equatable {
        case statement(String, concurrently: Bool)
        case unsupported(String)
    }

    static func inverse(of statement: SQLStatement, source: SourceText) -> Result {
        switch StatementAnalyzer.shape(of: statement, source: source) {
        case .createTable(let name, _):
            return .statement("DROP TABLE IF EXISTS \(name)", concurrently: false)
        case .createIndex(let name, _, _, let concurrently):
            guard let name else { return .unsupported("an index created without a name cannot be dropped by name") }
            return .statement("DROP INDEX \(concurrently ? "CONCURRENTLY " : "")IF EXISTS \(name)", concurrently: concurrently)
        case .createObject(let kind, let name, let orReplace):
            guard !orReplace else { return .unsupported("CREATE OR REPLACE: the previous definition is not known") }
            switch kind {
            case .function(let arguments): return .statement("DROP FUNCTION IF EXISTS \(name)(\(arguments))", concurrently: false)
            case .procedure(let arguments): return .statement("DROP PROCEDURE IF EXISTS \(name)(\(arguments))", concurrently: false)
            case .trigger(let table): return .statement("DROP TRIGGER IF EXISTS \(name) ON \(table)", concurrently: false)
            default: return .statement("DROP \(kind.keyword) IF EXISTS \(name)", concurrently: false)
            }
        case .alterTable(let table, let actions):
            return alterTable(table, actions)
        case .renameIndex(let from, let to):
            return .statement("ALTER INDEX \(sibling(of: from, named: to)) RENAME TO \(lastPart(from))", concurrently: false)
        case .drop:
            return .unsupported("what was dropped cannot be recreated automatically")
        case .dataChange:
            return .unsupported("data changes cannot be undone automatically")
        case .other:
            return .unsupported("not recognised")
        }
    }

    private static func alterTable(_ table: String, _ actions: [AlterTableAction]) -> Result {
        var inverses: [String] = []
        for action in actions.reversed() {
            switch action {
            case .addColumn(let name, _, _, _, _):
                inverses.append("DROP COLUMN IF EXISTS \(name)")
            case .addConstraint(let name?, _, _, _):
                inverses.append("DROP CONSTRAINT IF EXISTS \(name)")
            case .addConstraint(nil, _, _, _):
                return .unsupported("a constraint added without a name cannot be dropped by name")
            case .renameTable(let to):
                return .statement("ALTER TABLE \(sibling(of: table, named: to)) RENAME TO \(lastPart(table))", concurrently: false)
            case .renameColumn(let from, let to):
                return .statement("ALTER TABLE \(table) RENAME COLUMN \(to) TO \(from)", concurrently: false)
            case .renameConstraint(let from, let to):
                return .statement("ALTER TABLE \(table) RENAME CONSTRAINT \(to) TO \(from)", concurrently: false)
            case .dropColumn:
                return .unsupported("a dropped column and its data cannot be recreated automatically")
            case .alterColumnType:
                return .unsupported("the column's previous type is not known")
            case .other:
                return .unsupported("not recognised")
            }
        }
        return .statement("ALTER TABLE \(table) " + inverses.joined(separator: ", "), concurrently: false)
    }

    /// `schema.old` renamed to `new` is `schema.new`.
    static func sibling(of qualified: String, named name: String) -> String {
        guard let dot = qualified.lastIndex(of: ".") else { return name }
        return qualified[...dot] + name
    }

    static func lastPart(_ qualified: String) -> String {
        guard let dot = qualified.lastIndex(of: ".") else { return qualified }
        return String(qualified[qualified.index(after: dot)...])
    }
}
