/// Finds a migration file's up section without lexing its statements: the
/// section markers are line comments, so knowing where strings, quoted
/// names, dollar quotes and comments begin and end is enough. Used where
/// only checksums matter (deciding that nothing is pending); it gives up,
/// and the full parser decides, on anything it does not follow exactly:
/// backslashes (escape strings), COPY data, unterminated quotes, or
/// markers the parser would report as misplaced.
public enum UpSectionScan {
    /// The up section's byte range as `MigrationFileParser` finds it, or nil.
    public static func range(in bytes: [UInt8]) -> Range<Int>? {
        guard isPlain(bytes) else { return nil }
        return bytes.withUnsafeBufferPointer { scan($0, bytes) }
    }

    /// No backslash (it may be an escape string's, E'\'', which the lexer
    /// follows), no NUL or broken UTF-8, and no `stdin` (COPY … FROM STDIN
    /// carries data lines the scan would read as SQL): one pass, since every
    /// file is checked on every run.
    static func isPlain(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBufferPointer { buffer in
            plainChecks.withUnsafeBufferPointer { checks in
                var ascii = true
                for index in buffer.indices {
                    let byte = buffer[index]
                    guard checks[Int(byte)] != 0 else { continue }
                    switch byte {
                    case UInt8(ascii: "\\"), 0: return false
                    case UInt8(ascii: "s"), UInt8(ascii: "S"):
                        if isStdin(buffer, at: index) { return false }
                    default: ascii = false
                    }
                }
                return ascii || MigrationFileParser.firstEncodingProblem(bytes) == nil
            }
        }
    }

    /// Non-zero for the bytes `isPlain` looks at: a backslash, NUL, `s`, `S` and non-ASCII.
    private static let plainChecks: [UInt8] = (0...255).map { byte in
        byte == 92 || byte == 0 || byte == 115 || byte == 83 || byte >= 0x80 ? 1 : 0
    }

    private static let code: UInt8 = 0, space: UInt8 = 1, special: UInt8 = 2

    /// What each byte may begin for `scan`: nothing but code (most bytes),
    /// white space, or a comment, quote or dollar quote.
    private static let kinds: [UInt8] = (0...255).map { byte -> UInt8 in
        switch UInt8(byte) {
        case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r"), 0x0B, 0x0C: space
        case UInt8(ascii: "-"), UInt8(ascii: "/"), UInt8(ascii: "'"), UInt8(ascii: "\""), UInt8(ascii: "$"): special
        default: code
        }
    }

    private static func isStdin(_ buffer: UnsafeBufferPointer<UInt8>, at index: Int) -> Bool {
        guard index + 5 <= buffer.count else { return false }
        return buffer[index + 1] | 0x20 == UInt8(ascii: "t") && buffer[index + 2] | 0x20 == UInt8(ascii: "d")
            && buffer[index + 3] | 0x20 == UInt8(ascii: "i") && buffer[index + 4] | 0x20 == UInt8(ascii: "n")
    }

    private static func scan(_ bytes: UnsafeBufferPointer<UInt8>, _ array: [UInt8]) -> Range<Int>? {
        kinds.withUnsafeBufferPointer { scan(bytes, array, kinds: $0) }
    }

    private static func scan(_ bytes: UnsafeBufferPointer<UInt8>, _ array: [UInt8], kinds: UnsafeBufferPointer<UInt8>) -> Range<Int>? {
        // A file the parser accepts has at most two markers, up then down.
        var up: (start: Int, end: Int)?, down: (start: Int, end: Int)?
        var firstCode: Int?
        var index = 0
        let count = bytes.count
        func at(_ offset: Int) -> UInt8 { offset < count ? bytes[offset] : 0 }
        while index < count {
            let byte = bytes[index]
            let kind = kinds[Int(byte)]
            if kind != special {
                if kind == code && firstCode == nil { firstCode = index }
                index += 1
                while index < count && kinds[Int(bytes[index])] == kind { index += 1 }
                continue
            }
            switch byte {
            case UInt8(ascii: "-") where at(index + 1) == UInt8(ascii: "-"):
                let start = index
                while index < count, bytes[index] != UInt8(ascii: "\n"), bytes[index] != UInt8(ascii: "\r") { index += 1 }
                if LineBreaks.startsLine(array, start), let isUp = marker(array[start..<index]) {
                    guard down == nil, isUp == (up == nil) else { return nil }
                    if isUp { up = (start, index) } else { down = (start, index) }
                }
                continue
            case UInt8(ascii: "/") where at(index + 1) == UInt8(ascii: "*"):
                var depth = 0
                while index < count {
                    if bytes[index] == UInt8(ascii: "/") && at(index + 1) == UInt8(ascii: "*") {
                        depth += 1
                        index += 2
                    } else if bytes[index] == UInt8(ascii: "*") && at(index + 1) == UInt8(ascii: "/") {
                        depth -= 1
                        index += 2
                        if depth == 0 { break }
                    } else {
                        index += 1
                    }
                }
                if depth != 0 { return nil }
                continue
            default:
                break
            }
            if firstCode == nil { firstCode = index }
            switch byte {
            case UInt8(ascii: "'"), UInt8(ascii: "\""):
                guard let end = quoted(bytes, from: index, quote: byte) else { return nil }
                index = end
            case UInt8(ascii: "$") where index == 0 || !isIdentifierByte(bytes[index - 1]):
                if let tagEnd = dollarTagEnd(bytes, from: index) {
                    let tag = UnsafeBufferPointer(rebasing: bytes[index..<tagEnd])
                    guard let close = find(tag, in: bytes, from: tagEnd) else { return nil }
                    index = close + tag.count
                } else {
                    index += 1
                }
            default:
                index += 1
            }
        }
        guard let up else { return down == nil ? 0..<count : nil }
        guard firstCode.map({ $0 > up.start }) ?? true else { return nil }
        let start = LineBreaks.lineEnd(array, after: up.end)
        let end = down.map { LineBreaks.lineStart(array, of: $0.start) } ?? count
        return start..<max(start, end)
    }

    /// `'…'` or `"…"` with doubled quotes inside; the offset after it.
    static func quoted(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int, quote: UInt8) -> Int? {
        var index = start + 1
        while index < bytes.count {
            if bytes[index] == quote {
                if index + 1 < bytes.count && bytes[index + 1] == quote { index += 2; continue }
                return index + 1
            }
            index += 1
        }
        return nil
    }

    /// The end of a `$tag$` opening at `start`, or nil when it is not one (`$1`, a lone `$`).
    static func dollarTagEnd(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> Int? {
        var index = start + 1
        if index < bytes.count, bytes[index] == UInt8(ascii: "$") { return index + 1 }
        guard index < bytes.count, isIdentifierStart(bytes[index]) else { return nil }
        while index < bytes.count, isIdentifierStart(bytes[index]) || (bytes[index] >= 48 && bytes[index] <= 57) { index += 1 }
        return index < bytes.count && bytes[index] == UInt8(ascii: "$") ? index + 1 : nil
    }

    static func find(_ needle: UnsafeBufferPointer<UInt8>, in bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> Int? {
        guard let first = needle.first, bytes.count >= needle.count else { return nil }
        var index = start
        while index + needle.count <= bytes.count {
            if bytes[index] == first && UnsafeBufferPointer(rebasing: bytes[index..<(index + needle.count)]).elementsEqual(needle) { return index }
            index += 1
        }
        return nil
    }

    static func isIdentifierStart(_ byte: UInt8) -> Bool {
        (byte >= 65 && byte <= 90) || (byte >= 97 && byte <= 122) || byte == 95 || byte >= 0x80
    }

    static func isIdentifierByte(_ byte: UInt8) -> Bool {
        isIdentifierStart(byte) || (byte >= 48 && byte <= 57) || byte == UInt8(ascii: "$")
    }

    /// true for `-- migrate:up …`, false for `-- migrate:down …`, nil for other comments.
    static func marker(_ comment: ArraySlice<UInt8>) -> Bool? {
        guard comment.count >= 12, comment.contains(UInt8(ascii: ":")) else { return nil }
        return SectionMarker.direction(of: comment).map { $0 == .up }
    }
}
