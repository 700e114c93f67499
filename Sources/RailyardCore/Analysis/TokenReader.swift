/// Reads a statement's tokens from the front, for recognising DDL.
struct TokenReader {
    let tokens: [SQLToken]
    let source: SourceText
    var index = 0

    init(tokens: [SQLToken], source: SourceText, index: Int = 0) {
        self.tokens = tokens
        self.source = source
        self.index = index
    }

    var isAtEnd: Bool { index >= tokens.count }
    var current: SQLToken? { index < tokens.count ? tokens[index] : nil }

    mutating func accept(_ word: String) -> Bool {
        guard index < tokens.count, tokens[index].isWord(word) else { return false }
        index += 1
        return true
    }

    func peek(_ word: String, ahead: Int = 0) -> Bool {
        index + ahead < tokens.count && tokens[index + ahead].isWord(word)
    }

    /// Skips the words if all of them come next; true when they did.
    @discardableResult
    mutating func skip(_ words: String...) -> Bool {
        guard index + words.count <= tokens.count,
              zip(tokens[index...], words).allSatisfy({ $0.isWord($1) }) else { return false }
        index += words.count
        return true
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

    /// The tokens up to the parenthesis that closes the one at `index`, which
    /// is consumed; nil when the current token is not `(`.
    mutating func parenthesized() -> ArraySlice<SQLToken>? {
        guard let open = current, open.kind == .leftParen else { return nil }
        var depth = 0
        let start = index + 1
        while index < tokens.count {
            switch tokens[index].kind {
            case .leftParen: depth += 1
            case .rightParen:
                depth -= 1
                if depth == 0 {
                    defer { index += 1 }
                    return tokens[start..<index]
                }
            default: break
            }
            index += 1
        }
        return tokens[start..<tokens.count]
    }
}

extension ArraySlice where Element == SQLToken {
    /// Splits at commas outside parentheses.
    func splitAtTopLevelCommas() -> [ArraySlice<SQLToken>] {
        var parts: [ArraySlice<SQLToken>] = []
        var depth = 0
        var start = startIndex
        for index in indices {
            switch self[index].kind {
            case .leftParen: depth += 1
            case .rightParen: depth -= 1
            case .comma where depth == 0:
                parts.append(self[start..<index])
                start = index + 1
            default: break
            }
        }
        parts.append(self[start..<endIndex])
        return parts.filter { !$0.isEmpty }
    }

    /// True when the words appear in sequence outside parentheses.
    func containsTopLevel(_ words: String...) -> Bool {
        var depth = 0
        let tokens = Array(self)
        for (index, token) in tokens.enumerated() {
            if token.kind == .leftParen { depth += 1 }
            if token.kind == .rightParen { depth -= 1 }
            guard depth == 0, index + words.count <= tokens.count else { continue }
            if zip(tokens[index...], words).allSatisfy({ $0.isWord($1) }) { return true }
        }
        return false
    }
}
