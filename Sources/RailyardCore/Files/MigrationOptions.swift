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

    /// Parses a comment's text; nil when it is not a marker.
    init?(_ comment: SQLLineComment, bytes: [UInt8]) {
        let text = String(decoding: bytes[comment.range], as: UTF8.self)
        guard let parsed = Self.parse(text) else { return nil }
        direction = parsed.direction
        options = parsed.options
        self.comment = comment
    }

    static func isMarker(_ comment: SQLLineComment, bytes: [UInt8]) -> Bool {
        parse(String(decoding: bytes[comment.range], as: UTF8.self)) != nil
    }

    private static func parse(_ text: String) -> (direction: Direction, options: [Substring])? {
        var rest = text.dropFirst(2).drop { $0 == " " || $0 == "\t" }
        guard rest.hasPrefix("migrate:") else { return nil }
        rest = rest.dropFirst("migrate:".count)
        let direction: Direction
        if rest.hasPrefix("up") { direction = .up; rest = rest.dropFirst(2) }
        else if rest.hasPrefix("down") { direction = .down; rest = rest.dropFirst(4) }
        else { return nil }
        guard rest.isEmpty || rest.first == " " || rest.first == "\t" else { return nil }
        return (direction, rest.split(whereSeparator: { $0 == " " || $0 == "\t" }))
    }
}
