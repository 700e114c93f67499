/// Applies the lint rules to a migration's up section. Rules that depend on
/// whether a table is new treat tables created earlier in the same
/// migration as new (empty, unused): indexes and NOT NULL columns on them
/// are fine. A table emptied earlier in the migration (`DELETE FROM t`
/// without WHERE, `TRUNCATE t`) takes a NOT NULL column, a type change or
/// a foreign key without risk too.
public enum Linter {
    public static func lint(_ file: MigrationFile) -> [Diagnostic] {
        var findings: [Diagnostic] = []
        var newTables = Set<String>()
        func report(_ rule: LintRule, at offset: Int, _ message: String) {
            guard !file.options.ignoredRules.contains(rule.rawValue) else { return }
            findings.append(Diagnostic(rule: rule.rawValue, severity: rule.severity, file: file.filename,
                                       at: file.source.location(ofByte: offset), message: message, hint: rule.hint))
        }
        var emptiedTables = Set<String>()
        for statement in file.executableStatements {
            let start = statement.range.lowerBound
            emptiedTables.formUnion(emptied(by: statement, source: file.source).map(key))
            switch StatementAnalyzer.shape(of: statement, source: file.source) {
            case .createTable(let name, let ifNotExists):
                newTables.insert(key(name))
                if !ifNotExists { report(.createTableIfNotExists, at: start, "CREATE TABLE \(name) without IF NOT EXISTS") }
            case .createIndex(let name, let table, let ifNotExists, let concurrently):
                let label = name.map { "index \($0)" } ?? "an index"
                if !ifNotExists && name != nil { report(.createIndexIfNotExists, at: start, "CREATE INDEX without IF NOT EXISTS (\(label))") }
                if !concurrently && !newTables.contains(key(table)) {
                    report(.indexWithoutConcurrently, at: start, "\(label) on existing table \(table) is built without CONCURRENTLY")
                }
            case .alterTable(let table, let actions):
                let isNew = newTables.contains(key(table)) || emptiedTables.contains(key(table))
                for action in actions {
                    switch action {
                    case .addColumn(let column, let ifNotExists, let notNull, let hasDefault, let offset):
                        if !ifNotExists { report(.addColumnIfNotExists, at: offset, "ADD COLUMN \(column) without IF NOT EXISTS") }
                        if notNull && !hasDefault && !isNew {
                            report(.notNullColumnWithoutDefault, at: offset, "ADD COLUMN \(column) NOT NULL without a DEFAULT on existing table \(table)")
                        }
                    case .dropColumn(let column, let offset):
                        report(.dropColumn, at: offset, "DROP COLUMN \(column) from \(table)")
                    case .alterColumnType(let column, let offset):
                        if !isNew { report(.columnTypeChange, at: offset, "changes the type of \(table).\(column)") }
                    case .addConstraint(let name, let foreignKey, let notValid, let offset):
                        if foreignKey && !notValid && !isNew {
                            report(.foreignKeyWithoutNotValid, at: offset, "foreign key \(name ?? "") on existing table \(table) is added without NOT VALID")
                        }
                    case .renameTable(let to):
                        if newTables.remove(key(table)) != nil { newTables.insert(key(to)) }
                    default:
                        break
                    }
                }
            case .drop(let kind, let names) where kind == "TABLE":
                report(.dropTable, at: start, "DROP TABLE \(names.joined(separator: ", "))")
            default:
                break
            }
        }
        return findings
    }

    /// Tables a statement leaves empty: `DELETE FROM [ONLY] t` without WHERE,
    /// `TRUNCATE [TABLE] [ONLY] t[, u …]`.
    static func emptied(by statement: SQLStatement, source: SourceText) -> [String] {
        let tokens = statement.tokens
        var index: Int
        if statement.starts(with: "DELETE", "FROM") {
            guard !tokens.contains(where: { $0.isWord("WHERE") || $0.isWord("USING") }) else { return [] }
            index = 2
        } else if statement.starts(with: "TRUNCATE") {
            index = tokens.count > 1 && tokens[1].isWord("TABLE") ? 2 : 1
        } else {
            return []
        }
        var names: [String] = []
        while index < tokens.count {
            if tokens[index].isWord("ONLY") { index += 1; continue }
            guard tokens[index].kind == .word || tokens[index].kind == .quotedIdentifier else { break }
            var name = source.text(tokens[index].range)
            index += 1
            while index + 1 < tokens.count, tokens[index].kind == .dot {
                name += "." + source.text(tokens[index + 1].range)
                index += 2
            }
            names.append(name)
            if index < tokens.count, tokens[index].kind == .operator, source.text(tokens[index].range) == "*" { index += 1 }
            guard index < tokens.count, tokens[index].kind == .comma, statement.starts(with: "TRUNCATE") else { break }
            index += 1
        }
        return names
    }

    /// Table identity for "created in this migration": unquoted names fold
    /// to lower case, and the schema is ignored.
    static func key(_ name: String) -> String {
        let last = StatementInverse.lastPart(name)
        return last.hasPrefix("\"") ? last : last.lowercased()
    }
}

extension MigrationCatalog {
    /// The folder's problems and every file's lint findings, sorted.
    public func lintFindings() -> [Diagnostic] {
        (diagnostics + files.flatMap(Linter.lint)).sorted { ($0.file, $0.line, $0.column) < ($1.file, $1.line, $1.column) }
    }

    /// What `lintFindings()` says about one file (pass it with its statements).
    public func lintFindings(of file: MigrationFile?, named filename: String) -> [Diagnostic] {
        (diagnostics.filter { $0.file == filename } + (file.map(Linter.lint) ?? []))
            .sorted { ($0.line, $0.column) < ($1.line, $1.column) }
    }
}
