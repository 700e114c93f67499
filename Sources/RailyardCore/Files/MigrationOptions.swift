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
        parse(comment)?.direction
    }

    /// `-- migrate:up` or `-- migrate:down`, then options separated by blanks.
    /// Read from the bytes: most comments are not markers and cost no string.
    private static func parse(_ comment: ArraySlice<UInt8>) -> (direction: Direction, options: [Substring])? {
        func isBlank(_ byte: UInt8) -> Bool { byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }
        var index = comment.index(comment.startIndex, offsetBy: 2, limitedBy: comment.endIndex) ?? comment.endIndex
        while index < comment.endIndex && isBlank(comment[index]) { index += 1 }
        func consume(_ word: String) -> Bool {
            guard comment[index...].starts(with: word.utf8) else { return false }
            index += word.utf8.count
            return true
        }
        guard consume("migrate:") else { return nil }
        let direction: Direction
        if consume("up") { direction = .up } else if consume("down") { direction = .down } else { return nil }
        guard index == comment.endIndex || isBlank(comment[index]) else { return nil }
        let rest = String(decoding: comment[index...], as: UTF8.self)
        return (direction, rest.split(whereSeparator: { $0 == " " || $0 == "\t" }))
    }
}
