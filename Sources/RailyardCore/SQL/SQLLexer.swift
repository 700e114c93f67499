/// Splits PostgreSQL SQL into statements the way PostgreSQL's own lexer (and
/// psql) sees it: never inside quotes, dollar quotes, comments, parentheses,
/// `BEGIN ATOMIC … END` bodies or `COPY … FROM STDIN` data.
public struct SQLLexer {
    /// The result of lexing one source.
    public struct Script: Sendable {
        public var statements: [SQLStatement] = []
        public var lineComments: [SQLLineComment] = []
        /// Line comments that ended the statement before them (section markers).
        public var boundaries: [SQLLineComment] = []
    }

    private let bytes: [UInt8]
    private let isBoundary: (SQLLineComment, [UInt8]) -> Bool
    private var offset = 0
    private var script = Script()
    private var tokens: [SQLToken] = []
    private var parenDepth = 0
    private var atomicDepth = 0
    /// COPY data that starts on the line after a `COPY … FROM STDIN;`: the
    /// rest of that line is still SQL (psql runs it after the data), then
    /// lexing jumps over the data.
    private var copyDataToSkip: Range<Int>?

    /// Lexes `source`. `isBoundary` marks line comments (such as
    /// `-- migrate:down`) that end the current statement.
    public static func lex(
        _ source: SourceText,
        isBoundary: @escaping (SQLLineComment, [UInt8]) -> Bool = { _, _ in false }
    ) throws(SQLSyntaxError) -> Script {
        var lexer = SQLLexer(bytes: source.bytes, isBoundary: isBoundary)
        try lexer.run()
        return lexer.script
    }

    /// Convenience for tests and tools: the statements of a string.
    public static func statements(in sql: String) throws(SQLSyntaxError) -> [SQLStatement] {
        try lex(SourceText(sql)).statements
    }

    private init(bytes: [UInt8], isBoundary: @escaping (SQLLineComment, [UInt8]) -> Bool) {
        self.bytes = bytes
        self.isBoundary = isBoundary
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { offset = 3 }
    }

    private mutating func run() throws(SQLSyntaxError) {
        while offset < bytes.count {
            if let skip = copyDataToSkip, offset >= skip.lowerBound {
                offset = max(offset, skip.upperBound)
                copyDataToSkip = nil
                continue
            }
            let byte = bytes[offset]
            switch byte {
            case 0:
                throw SQLSyntaxError(.nulByte, at: offset)
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r"), 0x0B, 0x0C:
                offset += 1
            case UInt8(ascii: "-") where peek(1) == UInt8(ascii: "-"):
                lineComment()
            case UInt8(ascii: "/") where peek(1) == UInt8(ascii: "*"):
                try blockComment()
            case UInt8(ascii: "'"):
                try quoted(from: offset, bodyStart: offset + 1, backslashEscapes: false)
            case UInt8(ascii: "\""):
                try quotedIdentifier(from: offset, bodyStart: offset + 1)
            case UInt8(ascii: "$"):
                try dollar()
            case UInt8(ascii: ";"):
                try semicolon()
            case UInt8(ascii: "("):
                parenDepth += 1
                add(.leftParen, offset..<offset + 1)
                offset += 1
            case UInt8(ascii: ")"):
                parenDepth = max(0, parenDepth - 1)
                add(.rightParen, offset..<offset + 1)
                offset += 1
            case UInt8(ascii: ","):
                add(.comma, offset..<offset + 1)
                offset += 1
            case UInt8(ascii: ".") where !isDigit(peek(1)):
                add(.dot, offset..<offset + 1)
                offset += 1
            case _ where isDigit(byte) || byte == UInt8(ascii: "."):
                number()
            case _ where isIdentifierStart(byte):
                try wordOrPrefixedString()
            case _ where isOperatorCharacter(byte):
                operatorToken()
            default:
                add(.other, offset..<offset + 1)
                offset += 1
            }
        }
        try finishStatement(end: nil)
    }

    // MARK: Statements

    private mutating func add(_ kind: SQLToken.Kind, _ range: Range<Int>, word: String = "") {
        tokens.append(SQLToken(kind: kind, range: range, word: word))
    }

    private mutating func semicolon() throws(SQLSyntaxError) {
        if parenDepth > 0 || atomicDepth > 0 {
            add(.semicolon, offset..<offset + 1)
            offset += 1
            return
        }
        offset += 1
        try finishStatement(end: offset - 1)
    }

    /// Ends the current statement; `end` is the offset of its semicolon, if any.
    private mutating func finishStatement(end: Int?) throws(SQLSyntaxError) {
        parenDepth = 0
        atomicDepth = 0
        guard let first = tokens.first, let last = tokens.last else { return }
        var statement = SQLStatement(tokens: tokens, range: first.range.lowerBound..<last.range.upperBound)
        tokens.removeAll(keepingCapacity: true)
        if end != nil, copyDataToSkip == nil, Self.readsCopyData(statement) {
            let (data, next) = try copyData(statementStart: statement.range.lowerBound)
            statement.copyData = data
            copyDataToSkip = data.lowerBound..<next
        }
        script.statements.append(statement)
    }

    /// `COPY … FROM STDIN` (or `FROM STDOUT`, which PostgreSQL's grammar
    /// takes alike): the data follows on the next line.
    static func readsCopyData(_ statement: SQLStatement) -> Bool {
        guard statement.starts(with: "COPY") else { return false }
        var depth = 0
        var previousWasFrom = false
        for token in statement.tokens {
            switch token.kind {
            case .leftParen: depth += 1
            case .rightParen: depth -= 1
            default: break
            }
            if depth == 0 && previousWasFrom && (token.isWord("STDIN") || token.isWord("STDOUT")) { return true }
            previousWasFrom = depth == 0 && token.isWord("FROM")
        }
        return false
    }

    /// The data after the COPY line, up to a line `\.`, and where SQL
    /// resumes after that line. Leaves `offset` where it is: the rest of the
    /// COPY line is lexed as SQL.
    private func copyData(statementStart: Int) throws(SQLSyntaxError) -> (data: Range<Int>, next: Int) {
        var lineEnd = offset
        while lineEnd < bytes.count && bytes[lineEnd] != UInt8(ascii: "\n") {
            lineEnd += 1
        }
        let start = min(lineEnd + 1, bytes.count)
        var lineStart = start
        while lineStart < bytes.count {
            var lineEnd = lineStart
            while lineEnd < bytes.count && bytes[lineEnd] != UInt8(ascii: "\n") { lineEnd += 1 }
            var content = lineEnd
            if content > lineStart && bytes[content - 1] == UInt8(ascii: "\r") { content -= 1 }
            if content - lineStart == 2 && bytes[lineStart] == UInt8(ascii: "\\") && bytes[lineStart + 1] == UInt8(ascii: ".") {
                return (start..<lineStart, min(lineEnd + 1, bytes.count))
            }
            lineStart = lineEnd + 1
        }
        throw SQLSyntaxError(.unterminatedCopyData, at: statementStart)
    }

    // MARK: Comments

    private mutating func lineComment() {
        let start = offset
        let startsLine = LineBreaks.startsLine(bytes, start)
        // PostgreSQL's scanner ends a `--` comment at CR as at LF (scan.l: newline [\n\r]).
        while offset < bytes.count && bytes[offset] != UInt8(ascii: "\n") && bytes[offset] != UInt8(ascii: "\r") { offset += 1 }
        let comment = SQLLineComment(range: start..<offset, startsLine: startsLine)
        script.lineComments.append(comment)
        if startsLine && isBoundary(comment, bytes) {
            try? finishStatement(end: nil)
            script.boundaries.append(comment)
        }
    }

    private mutating func blockComment() throws(SQLSyntaxError) {
        let start = offset
        var depth = 0
        while offset < bytes.count {
            if bytes[offset] == UInt8(ascii: "/") && peek(1) == UInt8(ascii: "*") {
                depth += 1
                offset += 2
            } else if bytes[offset] == UInt8(ascii: "*") && peek(1) == UInt8(ascii: "/") {
                depth -= 1
                offset += 2
                if depth == 0 { return }
            } else {
                offset += 1
            }
        }
        throw SQLSyntaxError(.unterminatedBlockComment, at: start)
    }

    // MARK: Quotes

    /// A single-quoted string whose body starts at `bodyStart`.
    private mutating func quoted(from start: Int, bodyStart: Int, backslashEscapes: Bool) throws(SQLSyntaxError) {
        var index = bodyStart
        while index < bytes.count {
            let byte = bytes[index]
            if backslashEscapes && byte == UInt8(ascii: "\\") {
                index += 2
                continue
            }
            if byte == UInt8(ascii: "'") {
                if index + 1 < bytes.count && bytes[index + 1] == UInt8(ascii: "'") {
                    index += 2
                    continue
                }
                offset = index + 1
                add(.string, start..<offset)
                return
            }
            index += 1
        }
        throw SQLSyntaxError(.unterminatedString, at: start)
    }

    private mutating func quotedIdentifier(from start: Int, bodyStart: Int) throws(SQLSyntaxError) {
        var index = bodyStart
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "\"") {
                if index + 1 < bytes.count && bytes[index + 1] == UInt8(ascii: "\"") {
                    index += 2
                    continue
                }
                offset = index + 1
                add(.quotedIdentifier, start..<offset)
                return
            }
            index += 1
        }
        throw SQLSyntaxError(.unterminatedQuotedIdentifier, at: start)
    }

    /// `$1` parameters and `$tag$ … $tag$` dollar quotes.
    private mutating func dollar() throws(SQLSyntaxError) {
        let start = offset
        if isDigit(peek(1)) {
            offset += 1
            while offset < bytes.count && isDigit(bytes[offset]) { offset += 1 }
            add(.parameter, start..<offset)
            return
        }
        var tagEnd = offset + 1
        if tagEnd < bytes.count && isIdentifierStart(bytes[tagEnd]) {
            tagEnd += 1
            while tagEnd < bytes.count && (isIdentifierStart(bytes[tagEnd]) || isDigit(bytes[tagEnd])) { tagEnd += 1 }
        }
        guard tagEnd < bytes.count, bytes[tagEnd] == UInt8(ascii: "$") else {
            add(.other, start..<start + 1)
            offset += 1
            return
        }
        let tag = bytes[start...tagEnd]
        var index = tagEnd + 1
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "$"), index + tag.count <= bytes.count,
               bytes[index..<index + tag.count].elementsEqual(tag) {
                offset = index + tag.count
                add(.dollarString, start..<offset)
                return
            }
            index += 1
        }
        throw SQLSyntaxError(.unterminatedDollarQuote, at: start)
    }

    // MARK: Words, numbers, operators

    private mutating func wordOrPrefixedString() throws(SQLSyntaxError) {
        let start = offset
        let first = bytes[start] | 0x20
        if peek(1) == UInt8(ascii: "'") {
            switch first {
            case UInt8(ascii: "e"):
                return try quoted(from: start, bodyStart: start + 2, backslashEscapes: true)
            case UInt8(ascii: "b"), UInt8(ascii: "x"), UInt8(ascii: "n"):
                return try quoted(from: start, bodyStart: start + 2, backslashEscapes: false)
            default:
                break
            }
        }
        if first == UInt8(ascii: "u") && peek(1) == UInt8(ascii: "&") {
            if peek(2) == UInt8(ascii: "'") {
                return try quoted(from: start, bodyStart: start + 3, backslashEscapes: false)
            }
            if peek(2) == UInt8(ascii: "\"") {
                return try quotedIdentifier(from: start, bodyStart: start + 3)
            }
        }
        offset += 1
        while offset < bytes.count && isIdentifierPart(bytes[offset]) { offset += 1 }
        let word = Self.upperCased(bytes[start..<offset])
        trackAtomicBody(word)
        add(.word, start..<offset, word: word)
    }

    /// `CREATE FUNCTION … BEGIN ATOMIC … END`: semicolons inside do not end
    /// the statement. `CASE … END` nests inside such a body.
    private mutating func trackAtomicBody(_ word: String) {
        guard parenDepth == 0 else { return }
        switch word {
        case "ATOMIC":
            if tokens.last?.isWord("BEGIN") == true && tokens.first?.isWord("CREATE") == true {
                atomicDepth += 1
            }
        case "CASE" where atomicDepth > 0:
            atomicDepth += 1
        case "END" where atomicDepth > 0:
            atomicDepth -= 1
        default:
            break
        }
    }

    private mutating func number() {
        let start = offset
        while offset < bytes.count {
            let byte = bytes[offset]
            if isIdentifierPart(byte) && byte != UInt8(ascii: "$") {
                offset += 1
            } else if byte == UInt8(ascii: ".") && peek(1) != UInt8(ascii: ".") {
                offset += 1
            } else if (byte == UInt8(ascii: "+") || byte == UInt8(ascii: "-")),
                      offset > start, bytes[offset - 1] | 0x20 == UInt8(ascii: "e"), isDigit(peek(1)),
                      isDigit(bytes[start]) {
                offset += 1
            } else {
                break
            }
        }
        add(.number, start..<offset)
    }

    private mutating func operatorToken() {
        let start = offset
        offset += 1
        while offset < bytes.count && isOperatorCharacter(bytes[offset]) {
            let next = peek(1)
            if (bytes[offset] == UInt8(ascii: "-") && next == UInt8(ascii: "-"))
                || (bytes[offset] == UInt8(ascii: "/") && next == UInt8(ascii: "*")) {
                break
            }
            offset += 1
        }
        add(.operator, start..<offset)
    }

    // MARK: Characters

    /// Keywords are ASCII: fold a-z by byte, and leave other bytes alone
    /// (PostgreSQL folds only ASCII letters of unquoted identifiers too).
    static func upperCased(_ word: ArraySlice<UInt8>) -> String {
        String(unsafeUninitializedCapacity: word.count) { buffer in
            for (index, byte) in word.enumerated() {
                buffer[index] = byte >= 97 && byte <= 122 ? byte - 32 : byte
            }
            return word.count
        }
    }

    private func peek(_ distance: Int) -> UInt8? {
        offset + distance < bytes.count ? bytes[offset + distance] : nil
    }

    private func isDigit(_ byte: UInt8?) -> Bool {
        guard let byte else { return false }
        return byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }

    private func isIdentifierStart(_ byte: UInt8) -> Bool {
        (byte | 0x20 >= UInt8(ascii: "a") && byte | 0x20 <= UInt8(ascii: "z")) || byte == UInt8(ascii: "_") || byte >= 0x80
    }

    private func isIdentifierPart(_ byte: UInt8) -> Bool {
        isIdentifierStart(byte) || isDigit(byte) || byte == UInt8(ascii: "$")
    }

    private func isOperatorCharacter(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "*"), UInt8(ascii: "/"), UInt8(ascii: "<"),
             UInt8(ascii: ">"), UInt8(ascii: "="), UInt8(ascii: "~"), UInt8(ascii: "!"), UInt8(ascii: "@"),
             UInt8(ascii: "#"), UInt8(ascii: "%"), UInt8(ascii: "^"), UInt8(ascii: "&"), UInt8(ascii: "|"),
             UInt8(ascii: "`"), UInt8(ascii: "?"), UInt8(ascii: ":"):
            return true
        default:
            return false
        }
    }
}
