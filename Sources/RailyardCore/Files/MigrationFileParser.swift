import FoundationEssentials

/// Reads one migration file: encoding, statements, sections, directives and
/// the transaction rules of a migration. Collects every problem it finds.
struct MigrationFileParser {
    let fileName: MigrationFileName
    let source: SourceText
    var diagnostics: [Diagnostic] = []

    init(fileName: MigrationFileName, source: SourceText) {
        self.fileName = fileName
        self.source = source
    }

    mutating func parse(checksum: ([UInt8]) -> String) -> MigrationFile.Parsed {
        if let offset = Self.firstEncodingProblem(source.bytes) {
            let isNul = source.bytes[offset] == 0
            report("encoding", at: offset,
                   isNul ? "NUL byte in the file" : "invalid UTF-8 (byte 0x\(String(source.bytes[offset], radix: 16, uppercase: true)))",
                   hint: "migration files must be UTF-8 text; re-save the file as UTF-8")
            return .init(file: nil, diagnostics: diagnostics)
        }
        let script: SQLLexer.Script
        do {
            script = try SQLLexer.lex(source, isBoundary: SectionMarker.isMarker)
        } catch {
            report("syntax", at: error.offset, error.description, hint: error.hint)
            return .init(file: nil, diagnostics: diagnostics)
        }
        let markers = script.boundaries.compactMap { SectionMarker($0, bytes: source.bytes) }
        var options = readDirectives(script.lineComments)
        readMarkerOptions(markers, into: &options)
        let sections = splitSections(script.statements, markers: markers)
        let wrapped = checkTransactionUse(sections.up.statements, transactional: options.transactional)
        guard !diagnostics.hasErrors else { return .init(file: nil, diagnostics: diagnostics) }
        let upBytes = MigrationFile.normalizedLineEndings(source.bytes[sections.up.range])
        let file = MigrationFile(
            fileName: fileName, source: source, up: sections.up, down: sections.down,
            options: options, checksum: checksum(upBytes), isWrappedInTransaction: wrapped)
        return .init(file: file, diagnostics: diagnostics)
    }

    // MARK: Encoding

    /// The offset of the first NUL byte or invalid UTF-8 sequence.
    static func firstEncodingProblem(_ bytes: [UInt8]) -> Int? {
        var index = 0
        let count = bytes.count
        while index < count {
            let lead = bytes[index]
            if lead == 0 { return index }
            if lead < 0x80 { index += 1; continue }
            let length: Int
            switch lead {
            case 0xC2...0xDF: length = 2
            case 0xE0...0xEF: length = 3
            case 0xF0...0xF4: length = 4
            default: return index
            }
            guard index + length <= count else { return index }
            var scalar = UInt32(lead) & (0xFF >> (length + 1))
            for next in bytes[(index + 1)..<(index + length)] {
                guard next & 0xC0 == 0x80 else { return index }
                scalar = scalar << 6 | UInt32(next & 0x3F)
            }
            let minimum: UInt32 = length == 3 ? 0x800 : length == 4 ? 0x10000 : 0x80
            if scalar < minimum || scalar > 0x10FFFF || (0xD800...0xDFFF).contains(scalar) { return index }
            index += length
        }
        return nil
    }

    // MARK: Directives

    private mutating func readDirectives(_ comments: [SQLLineComment]) -> MigrationOptions {
        var options = MigrationOptions()
        let prefix = Array("railyard:".utf8)
        for comment in comments where comment.startsLine {
            // Most comments are prose: look for the prefix before making a string.
            let afterDashes = source.bytes[comment.range].dropFirst(2).drop { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }
            guard afterDashes.starts(with: prefix) else { continue }
            let text = source.text(comment.range).dropFirst(2).trimmed()
            guard text.hasPrefix("railyard:") else { continue }
            let directive = text.dropFirst("railyard:".count)
            let parts = directive.split(separator: "=", maxSplits: 1).map { $0.trimmed() }
            switch (parts.first ?? "", parts.count) {
            case ("no-transaction", 1):
                options.transactional = false
            case ("ignore", 2):
                let rules = parts[1].split(separator: ",").map { $0.trimmed() }
                let known = Set(LintRule.allCases.map(\.rawValue))
                if let unknown = rules.first(where: { !known.contains($0) }) {
                    report("directive", at: comment.range.lowerBound, "unknown lint rule '\(unknown)' in railyard:ignore",
                           hint: "rules: " + LintRule.allCases.map(\.rawValue).joined(separator: ", "))
                } else {
                    options.ignoredRules.formUnion(rules)
                }
            case ("lock-timeout", 2), ("statement-timeout", 2):
                guard let milliseconds = TimeoutValue.milliseconds(parts[1]) else {
                    report("directive", at: comment.range.lowerBound, "'\(parts[1])' is not a duration",
                           hint: "write it as PostgreSQL does, e.g. 500ms, 30s or 2min")
                    continue
                }
                if parts[0] == "lock-timeout" {
                    options.lockTimeoutMilliseconds = milliseconds
                } else {
                    options.statementTimeoutMilliseconds = milliseconds
                }
            default:
                report("directive", at: comment.range.lowerBound, "unknown directive 'railyard:\(directive)'",
                       hint: "known directives: railyard:no-transaction, railyard:lock-timeout=30s, railyard:statement-timeout=5min, railyard:ignore=RULE[,RULE]")
            }
        }
        return options
    }

    private mutating func readMarkerOptions(_ markers: [SectionMarker], into options: inout MigrationOptions) {
        for marker in markers {
            for option in marker.options {
                switch option {
                case "transaction:false":
                    if marker.direction == .up { options.transactional = false }
                case "transaction:true":
                    break
                default:
                    report("directive", at: marker.comment.range.lowerBound, "unknown option '\(option)' on a migrate marker",
                           hint: "the only option is transaction:false, as in '-- migrate:up transaction:false'")
                }
            }
        }
    }

    // MARK: Sections

    private mutating func splitSections(_ statements: [SQLStatement], markers: [SectionMarker]) -> (up: MigrationSection, down: MigrationSection?) {
        let whole = MigrationSection(range: 0..<source.count, statements: statements)
        guard !markers.isEmpty else { return (whole, nil) }
        let ups = markers.filter { $0.direction == .up }
        let downs = markers.filter { $0.direction == .down }
        for extra in ups.dropFirst() + downs.dropFirst() {
            report("section-markers", at: extra.comment.range.lowerBound, "a second '-- migrate:\(extra.direction)' marker",
                   hint: "a file has one up section and at most one down section")
        }
        guard let upMarker = ups.first else {
            report("section-markers", at: markers[0].comment.range.lowerBound, "'-- migrate:down' without '-- migrate:up'",
                   hint: "add a '-- migrate:up' line above the statements to apply")
            return (whole, nil)
        }
        if let stray = statements.first(where: { $0.range.lowerBound < markers[0].comment.range.lowerBound }) {
            report("section-markers", at: stray.range.lowerBound, "statement before the first '-- migrate:' marker belongs to no section",
                   hint: "move it below '-- migrate:up'")
        }
        func section(_ marker: SectionMarker) -> MigrationSection {
            let start = LineBreaks.lineEnd(source.bytes, after: marker.comment.range.upperBound)
            let next = markers.first { $0.comment.range.lowerBound > marker.comment.range.lowerBound }
            let end = next.map { LineBreaks.lineStart(source.bytes, of: $0.comment.range.lowerBound) } ?? source.count
            let range = start..<max(start, end)
            return MigrationSection(range: range, statements: statements.filter { range.contains($0.range.lowerBound) })
        }
        return (section(upMarker), downs.first.map(section))
    }

    // MARK: Transactions

    /// Checks transaction control and non-transactional statements; returns
    /// whether the section is wrapped in its own `BEGIN; … COMMIT;`.
    private mutating func checkTransactionUse(_ statements: [SQLStatement], transactional: Bool) -> Bool {
        let controls = statements.map { TransactionControl($0, source: source) }
        var wrapped = false
        var skipFirst = false
        if transactional, controls.first == .begin {
            skipFirst = true
            if statements.count >= 2, controls.last == .commit {
                wrapped = true
            } else {
                report("transaction-control", at: statements[0].range.lowerBound,
                       "BEGIN at the start of the migration has no matching COMMIT at its end",
                       hint: "end the file with COMMIT; or remove the BEGIN (Railyard runs each migration in a transaction)")
            }
        }
        var savepoints: [String] = []
        for (index, statement) in statements.enumerated() {
            if (skipFirst && index == 0) || (wrapped && index == statements.count - 1) { continue }
            let offset = statement.range.lowerBound
            if let control = controls[index], control != .commitPrepared, control != .rollbackPrepared {
                guard transactional else {
                    report("transaction-control", at: offset, "\(control.label) in a transaction:false migration",
                           hint: "its statements run one at a time; remove the \(control.label), or drop transaction:false so the file runs as one transaction")
                    continue
                }
                switch control {
                case .savepoint(let name):
                    savepoints.append(name)
                case .release(let name), .rollbackToSavepoint(let name):
                    if let found = savepoints.lastIndex(of: name) {
                        if case .release = control { savepoints.removeSubrange(found...) }
                    } else {
                        report("transaction-control", at: offset, "\(control.label) \(name) without a matching SAVEPOINT earlier in the migration",
                               hint: "declare SAVEPOINT \(name) first, or remove this statement")
                    }
                default:
                    report("transaction-control", at: offset, "\(control.label) in the middle of a migration",
                           hint: "Railyard runs each migration in one transaction with its tracking row; remove the \(control.label), or split the file into separate migrations")
                }
            } else if transactional, let kind = NonTransactionalStatement.kind(of: statement, source: source) {
                report("non-transactional-statement", at: offset, "\(kind) cannot run inside a transaction block",
                       hint: "mark the file '-- migrate:up transaction:false' (or add a line '-- railyard:no-transaction') and keep such statements in a migration of their own")
            }
        }
        return wrapped
    }

    private mutating func report(_ rule: String, at offset: Int, _ message: String, hint: String? = nil) {
        diagnostics.append(Diagnostic(rule: rule, file: fileName.filename, at: source.location(ofByte: offset), message: message, hint: hint))
    }
}
