/// One lexical token of PostgreSQL SQL. Comments and whitespace are not tokens.
public struct SQLToken: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// A keyword or unquoted identifier; `word` holds it upper-cased.
        case word
        case quotedIdentifier
        /// Any single-quoted string: '…', E'…', B'…', X'…', N'…', U&'…'.
        case string
        case dollarString
        case number
        /// A positional parameter such as `$1`.
        case parameter
        case `operator`
        case leftParen
        case rightParen
        case comma
        case dot
        case semicolon
        case other
    }

    public var kind: Kind
    /// Byte range in the source.
    public var range: Range<Int>
    /// Upper-cased text for `.word` tokens, empty otherwise.
    public var word: String

    public init(kind: Kind, range: Range<Int>, word: String = "") {
        self.kind = kind
        self.range = range
        self.word = word
    }

    /// True when this is the unquoted keyword `keyword` (given upper-case).
    public func isWord(_ keyword: String) -> Bool {
        kind == .word && word == keyword
    }
}

/// A line comment (`-- …`), kept because migration directives live in them.
public struct SQLLineComment: Sendable, Equatable {
    public var range: Range<Int>
    /// True when only whitespace precedes the comment on its line.
    public var startsLine: Bool
}

/// One statement: its tokens, the byte range from its first to its last token
/// (the terminating semicolon excluded) and, for `COPY … FROM STDIN`, its data.
public struct SQLStatement: Sendable, Equatable {
    public var tokens: [SQLToken]
    public var range: Range<Int>
    /// The rows of a `COPY … FROM STDIN` statement, without the `\.` line.
    public var copyData: Range<Int>?

    public init(tokens: [SQLToken], range: Range<Int>, copyData: Range<Int>? = nil) {
        self.tokens = tokens
        self.range = range
        self.copyData = copyData
    }

    /// Upper-cased words of the statement's first tokens, for classification.
    public func leadingWords(_ count: Int) -> [String] {
        tokens.prefix(count).map { $0.kind == .word ? $0.word : "" }
    }

    /// True when the statement's tokens start with these keywords.
    public func starts(with keywords: String...) -> Bool {
        guard tokens.count >= keywords.count else { return false }
        return zip(tokens, keywords).allSatisfy { $0.isWord($1) }
    }

    /// True when the statement contains this keyword anywhere as a token.
    public func contains(word keyword: String) -> Bool {
        tokens.contains { $0.isWord(keyword) }
    }
}
