/// A source that PostgreSQL's lexer would reject, with the byte offset where
/// the offending construct starts.
public struct SQLSyntaxError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        case unterminatedString
        case unterminatedQuotedIdentifier
        case unterminatedDollarQuote
        case unterminatedBlockComment
        case unterminatedCopyData
        case nulByte
    }

    public var kind: Kind
    public var offset: Int

    public init(_ kind: Kind, at offset: Int) {
        self.kind = kind
        self.offset = offset
    }

    public var description: String {
        switch kind {
        case .unterminatedString: "unterminated quoted string"
        case .unterminatedQuotedIdentifier: "unterminated quoted identifier"
        case .unterminatedDollarQuote: "unterminated dollar-quoted string"
        case .unterminatedBlockComment: "unterminated /* comment"
        case .unterminatedCopyData: "COPY … FROM STDIN data is not terminated by a line containing only \\."
        case .nulByte: "NUL byte in SQL text"
        }
    }

    public var hint: String {
        switch kind {
        case .unterminatedString: "close the string with ' (write '' for a quote inside it)"
        case .unterminatedQuotedIdentifier: "close the identifier with \" (write \"\" for a quote inside it)"
        case .unterminatedDollarQuote: "close the body with the same $tag$ that opened it"
        case .unterminatedBlockComment: "close the comment with */ (block comments nest)"
        case .unterminatedCopyData: "end the COPY rows with a line \\."
        case .nulByte: "remove the NUL byte; migration files must be UTF-8 text"
        }
    }
}
