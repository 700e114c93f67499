/// Recognises the DDL that lint rules and rollback scaffolds care about.
public enum StatementAnalyzer {
    public static func shape(of statement: SQLStatement, source: SourceText) -> StatementShape {
        var reader = TokenReader(tokens: statement.tokens, source: source)
        switch statement.tokens.first?.word {
        case "CREATE": return create(&reader)
        case "ALTER": return alter(&reader)
        case "DROP": return drop(&reader)
        case "INSERT", "UPDATE", "DELETE", "COPY", "TRUNCATE", "MERGE":
            return .dataChange(statement.tokens[0].word)
        default: return .other
        }
    }

    // MARK: CREATE

    private static func create(_ reader: inout TokenReader) -> StatementShape {
        _ = reader.accept("CREATE")
        let orReplace = reader.skip("OR", "REPLACE")
        while reader.accept("TEMP") || reader.accept("TEMPORARY") || reader.accept("UNLOGGED")
            || reader.accept("GLOBAL") || reader.accept("LOCAL") || reader.accept("RECURSIVE") {}
        if reader.accept("TABLE") {
            let ifNotExists = reader.skip("IF", "NOT", "EXISTS")
            guard let name = reader.qualifiedName() else { return .other }
            return .createTable(name: name, ifNotExists: ifNotExists)
        }
        let unique = reader.accept("UNIQUE")
        if reader.accept("INDEX") {
            let concurrently = reader.accept("CONCURRENTLY")
            let ifNotExists = reader.skip("IF", "NOT", "EXISTS")
            let name = reader.peek("ON") ? nil : reader.qualifiedName()
            guard reader.accept("ON") else { return .other }
            _ = reader.accept("ONLY")
            guard let table = reader.qualifiedName() else { return .other }
            return .createIndex(name: name, table: table, ifNotExists: ifNotExists, concurrently: concurrently)
        }
        guard !unique else { return .other }
        if reader.accept("MATERIALIZED"), reader.accept("VIEW") {
            return named(.materializedView, &reader, orReplace: orReplace)
        }
        if reader.accept("VIEW") { return named(.view, &reader, orReplace: orReplace) }
        if reader.accept("SEQUENCE") { return named(.sequence, &reader, orReplace: orReplace) }
        if reader.accept("TYPE") { return named(.type, &reader, orReplace: orReplace) }
        if reader.accept("EXTENSION") { return named(.`extension`, &reader, orReplace: orReplace) }
        if reader.accept("SCHEMA") {
            guard !reader.peek("AUTHORIZATION") else { return .other }
            return named(.schema, &reader, orReplace: orReplace)
        }
        if reader.accept("FUNCTION") || reader.peek("PROCEDURE") {
            let isProcedure = reader.accept("PROCEDURE")
            guard let name = reader.qualifiedName(), let parameters = reader.parenthesized() else { return .other }
            let arguments = signature(parameters, source: reader.source)
            return .createObject(isProcedure ? .procedure(arguments: arguments) : .function(arguments: arguments),
                                 name: name, orReplace: orReplace)
        }
        _ = reader.accept("CONSTRAINT")
        if reader.accept("TRIGGER") {
            guard let name = reader.name() else { return .other }
            while let token = reader.current, !token.isWord("ON") { reader.index += 1 }
            guard reader.accept("ON"), let table = reader.qualifiedName() else { return .other }
            return .createObject(.trigger(table: table), name: name, orReplace: orReplace)
        }
        return .other
    }

    private static func named(_ kind: StatementShape.ObjectKind, _ reader: inout TokenReader, orReplace: Bool) -> StatementShape {
        reader.skip("IF", "NOT", "EXISTS")
        guard let name = reader.qualifiedName() else { return .other }
        return .createObject(kind, name: name, orReplace: orReplace)
    }

    /// `(a integer, b text DEFAULT 'x')` → `a integer, b text`: the list
    /// `DROP FUNCTION` accepts (defaults removed).
    static func signature(_ parameters: ArraySlice<SQLToken>, source: SourceText) -> String {
        parameters.splitAtTopLevelCommas().map { parameter -> String in
            let end = parameter.firstIndex { $0.isWord("DEFAULT") || ($0.kind == .operator && source.text($0.range) == "=") }
                ?? parameter.endIndex
            let kept = parameter[parameter.startIndex..<end]
            guard let first = kept.first, let last = kept.last else { return "" }
            return source.text(first.range.lowerBound..<last.range.upperBound)
        }.joined(separator: ", ")
    }

    // MARK: ALTER

    private static func alter(_ reader: inout TokenReader) -> StatementShape {
        _ = reader.accept("ALTER")
        if reader.accept("INDEX") {
            reader.skip("IF", "EXISTS")
            guard let from = reader.qualifiedName(), reader.skip("RENAME", "TO"), let to = reader.name() else { return .other }
            return .renameIndex(from: from, to: to)
        }
        guard reader.accept("TABLE") else { return .other }
        reader.skip("IF", "EXISTS")
        _ = reader.accept("ONLY")
        guard let table = reader.qualifiedName() else { return .other }
        if reader.current?.kind == .operator, reader.source.text(reader.current!.range) == "*" { reader.index += 1 }
        if reader.accept("RENAME") {
            if reader.accept("TO"), let to = reader.name() { return .alterTable(table: table, actions: [.renameTable(to: to)]) }
            if reader.accept("CONSTRAINT"), let from = reader.name(), reader.accept("TO"), let to = reader.name() {
                return .alterTable(table: table, actions: [.renameConstraint(from: from, to: to)])
            }
            _ = reader.accept("COLUMN")
            if let from = reader.name(), reader.accept("TO"), let to = reader.name() {
                return .alterTable(table: table, actions: [.renameColumn(from: from, to: to)])
            }
            return .other
        }
        let actions = reader.tokens[reader.index...].splitAtTopLevelCommas().map { action(Array($0), source: reader.source) }
        return .alterTable(table: table, actions: actions)
    }

    private static let constraintStarts: Set = ["CONSTRAINT", "PRIMARY", "UNIQUE", "FOREIGN", "CHECK", "EXCLUDE"]

    private static func action(_ tokens: [SQLToken], source: SourceText) -> AlterTableAction {
        var reader = TokenReader(tokens: tokens, source: source)
        let offset = tokens.first?.range.lowerBound ?? 0
        if reader.accept("ADD") {
            if let next = reader.current, next.kind == .word, constraintStarts.contains(next.word) {
                var name: String?
                if reader.accept("CONSTRAINT") { name = reader.name() }
                let rest = tokens[reader.index...]
                return .addConstraint(name: name, foreignKey: rest.containsTopLevel("FOREIGN", "KEY"),
                                      notValid: rest.containsTopLevel("NOT", "VALID"), offset: offset)
            }
            _ = reader.accept("COLUMN")
            let ifNotExists = reader.skip("IF", "NOT", "EXISTS")
            guard let name = reader.name() else { return .other(offset: offset) }
            let definition = tokens[reader.index...]
            let notNull = definition.containsTopLevel("NOT", "NULL") || definition.containsTopLevel("PRIMARY", "KEY")
            let hasDefault = definition.containsTopLevel("DEFAULT") || definition.containsTopLevel("GENERATED")
            return .addColumn(name: name, ifNotExists: ifNotExists, notNull: notNull, hasDefault: hasDefault, offset: offset)
        }
        if reader.accept("DROP") {
            if reader.peek("CONSTRAINT") { return .other(offset: offset) }
            _ = reader.accept("COLUMN")
            reader.skip("IF", "EXISTS")
            guard let name = reader.name() else { return .other(offset: offset) }
            return .dropColumn(name: name, offset: offset)
        }
        if reader.accept("ALTER") {
            _ = reader.accept("COLUMN")
            guard let name = reader.name() else { return .other(offset: offset) }
            if reader.skip("SET", "DATA", "TYPE") || reader.accept("TYPE") {
                return .alterColumnType(name: name, offset: offset)
            }
        }
        return .other(offset: offset)
    }

    // MARK: DROP

    private static func drop(_ reader: inout TokenReader) -> StatementShape {
        _ = reader.accept("DROP")
        var kind = ""
        while let token = reader.current, token.kind == .word, !["IF", "CONCURRENTLY"].contains(token.word) || kind.isEmpty {
            if token.isWord("IF") || token.isWord("CONCURRENTLY") { break }
            kind += (kind.isEmpty ? "" : " ") + token.word
            reader.index += 1
            if ["TABLE", "INDEX", "VIEW", "FUNCTION", "PROCEDURE", "TRIGGER", "SEQUENCE", "TYPE", "EXTENSION", "SCHEMA", "COLUMN"].contains(token.word) { break }
        }
        _ = reader.accept("CONCURRENTLY")
        reader.skip("IF", "EXISTS")
        var names: [String] = []
        while let name = reader.qualifiedName() {
            names.append(name)
            guard reader.current?.kind == .comma else { break }
            reader.index += 1
        }
        return .drop(kind: kind, names: names)
    }
}
