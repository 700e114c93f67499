/// Per-file settings read from directive comments.
public struct MigrationOptions: Sendable, Equatable, Codable {
    /// False for `-- migrate:up transaction:false` or `-- railyard:no-transaction`.
    public var transactional = true
    /// `-- railyard:lock-timeout=30s`, in milliseconds.
    public var lockTimeoutMilliseconds: Int?
    /// `-- railyard:statement-timeout=5min`, in milliseconds.
    public var statementTimeoutMilliseconds: Int?
    /// `-- railyard:ignore=drop-column,drop-table`: lint rules not applied to this file.
    public var ignoredRules: Set<String> = []

    public init() {}
}

/// A `-- migrate:up` / `-- migrate:down` marker line.
struct SectionMarker {
    enum Direction { case up, down }
    var direction: Direction
    var comment: SQLLineComment
    /// The words after the marker, such as `transaction:false`.
    var options: [Substring]

    /// Parses a comment; nil when it is not a marker.
    init?(_ comment: SQLLineComment, bytes: [UInt8]) {
        guard let parsed = Self.parse(bytes[comment.range]) else { return nil }
        direction = parsed.direction
        options = parsed.options
        self.comment = comment
    }

    static func isMarker(_ comment: SQLLineComment, bytes: [UInt8]) -> Bool {
        parse(bytes[comment.range]) != nil
    }

    /// The direction of a marker comment's bytes, nil when it is no marker.
    static func direction(of comment: ArraySlice<UInt8>) -> Direction? {
        head(comment)?.direction
    }

    /// `-- migrate:up` or `-- migrate:down`, then options separated by blanks.
    private static func parse(_ comment: ArraySlice<UInt8>) -> (direction: Direction, options: [Substring])? {
        guard let (direction, rest) = head(comment) else { return nil }
        return (direction, String(decoding: comment[rest...], as: UTF8.self).split(whereSeparator: { $0 == " " || $0 == "\t" }))
    }

    /// A marker's direction and where its options begin, read from the
    /// bytes: most comments are not markers and cost no string.
    private static func head(_ comment: ArraySlice<UInt8>) -> (direction: Direction, rest: Int)? {
        func isBlank(_ byte: UInt8) -> Bool { byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }
        var index = comment.index(comment.startIndex, offsetBy: 2, limitedBy: comment.endIndex) ?? comment.endIndex
        while index < comment.endIndex && isBlank(comment[index]) { index += 1 }
        func consume(_ word: StaticString) -> Bool {
            let bytes = UnsafeBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount)
            guard comment[index...].starts(with: bytes) else { return false }
            index += bytes.count
            return true
        }
        guard consume("migrate:") else { return nil }
        let direction: Direction
        if consume("up") { direction = .up } else if consume("down") { direction = .down } else { return nil }
        guard index == comment.endIndex || isBlank(comment[index]) else { return nil }
        return (direction, index)
    }
}
