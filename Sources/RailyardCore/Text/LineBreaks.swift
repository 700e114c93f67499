/// Lines end at LF, CRLF or a lone CR, as PostgreSQL's `--` comments do.
enum LineBreaks {
    /// The offset just past the line break at or after `offset`.
    static func lineEnd(_ bytes: [UInt8], after offset: Int) -> Int {
        var index = offset
        while index < bytes.count && !isBreak(bytes[index]) { index += 1 }
        if index + 1 < bytes.count && bytes[index] == UInt8(ascii: "\r") && bytes[index + 1] == UInt8(ascii: "\n") { index += 1 }
        return min(index + 1, bytes.count)
    }

    /// The offset where the line holding `offset` starts.
    static func lineStart(_ bytes: [UInt8], of offset: Int) -> Int {
        var index = offset
        while index > 0 && !isBreak(bytes[index - 1]) { index -= 1 }
        return index
    }

    static func isBreak(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r")
    }

    /// True when only blanks (spaces, tabs) stand between the line's start and `offset`.
    static func startsLine(_ bytes: [UInt8], _ offset: Int) -> Bool {
        var index = offset
        while index > 0 && (bytes[index - 1] == UInt8(ascii: " ") || bytes[index - 1] == UInt8(ascii: "\t")) { index -= 1 }
        return index == 0 || isBreak(bytes[index - 1])
    }
}
