/// One object of a schema: what it is, its qualified name, its SQL.
public struct SchemaObject: Sendable, Equatable, Codable {
    public var kind: String
    public var name: String
    public var definition: String

    public init(kind: String, name: String, definition: String) {
        self.kind = kind
        self.name = name
        self.definition = definition
    }

    /// What tells objects apart: "table public.users".
    public var key: String { "\(kind) \(name)" }
}

/// `schema.sql`: every object of a database's schema, one block each, in a
/// stable order, with nothing that differs between two servers holding the
/// same schema (no server version, owners, privileges or data).
public struct SchemaFile: Sendable, Equatable {
    public var objects: [SchemaObject]

    public init(objects: [SchemaObject]) {
        self.objects = objects
    }

    /// The kinds of object a schema file holds, in the order it lists them.
    public static let kinds = ["schema", "extension", "type", "function", "procedure", "sequence", "table", "constraint",
                               "index", "materialized view", "view", "trigger", "policy", "comment"]

    public static let header = """
        -- Schema of the migrated database, written by railyard-server dump from PostgreSQL's catalogs.
        -- Deterministic: objects in a stable order; no server version, owners, privileges or data.
        -- railyard-server verify checks it against the migrations; drift compares a live database with it.
        """

    /// The file's text: the header, then each object after a `-- kind: name` line.
    public func rendered() -> String {
        var text = Self.header + "\n"
        for object in objects {
            text += "\n-- \(object.kind): \(object.name)\n\(object.definition)\n"
        }
        return text
    }

    /// Reads a file `rendered()` wrote (a hand-edited one as well as it can:
    /// lines before the first object line are ignored).
    public static func parse(_ text: String) -> SchemaFile {
        var objects: [SchemaObject] = []
        var current: (kind: String, name: String, lines: [Substring])?
        var previousBlank = true
        func finish() {
            guard let open = current else { return }
            var lines = open.lines
            while let last = lines.last, last.allSatisfy(\.isWhitespace) { lines.removeLast() }
            objects.append(SchemaObject(kind: open.kind, name: open.name, definition: lines.joined(separator: "\n")))
            current = nil
        }
        // "\r\n" is one Character: a checkout with CRLF endings splits as well.
        for line in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }) {
            if previousBlank, let (kind, name) = objectLine(line) {
                finish()
                current = (kind, name, [])
            } else if current != nil {
                current!.lines.append(line)
            }
            previousBlank = line.allSatisfy(\.isWhitespace)
        }
        finish()
        return SchemaFile(objects: objects)
    }

    /// `-- table: public.users` → ("table", "public.users").
    static func objectLine(_ line: Substring) -> (String, String)? {
        guard line.hasPrefix("-- ") else { return nil }
        let rest = line.dropFirst(3)
        guard let kind = kinds.first(where: { rest.hasPrefix($0 + ": ") }) else { return nil }
        return (kind, String(rest.dropFirst(kind.count + 2)))
    }
}
