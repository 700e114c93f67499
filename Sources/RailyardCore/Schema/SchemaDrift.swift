/// How a schema differs from the one expected, object by object.
public struct SchemaDrift: Sendable, Codable, Equatable {
    public enum Change: String, Sendable, Codable {
        /// In the actual schema only.
        case added
        /// In the expected schema only.
        case removed
        /// In both, with another definition.
        case changed
    }

    public struct Object: Sendable, Codable, Equatable {
        public var kind: String
        public var name: String
        public var change: Change
        /// This object's part of the unified diff.
        public var diff: String
    }

    public var objects: [Object]
    /// The whole difference as a unified diff (empty when there is none).
    public var diff: String

    public var isEmpty: Bool { objects.isEmpty }

    /// Compares two schema files; labels name them in the diff's header.
    public static func compare(expected: SchemaFile, actual: SchemaFile,
                               expectedLabel: String, actualLabel: String) -> SchemaDrift {
        let expectedByKey = Dictionary(expected.objects.map { ($0.key, $0) }, uniquingKeysWith: { first, _ in first })
        let actualByKey = Dictionary(actual.objects.map { ($0.key, $0) }, uniquingKeysWith: { first, _ in first })
        var objects: [Object] = []
        for object in expected.objects {
            switch actualByKey[object.key] {
            case nil:
                objects.append(Object(kind: object.kind, name: object.name, change: .removed,
                                      diff: UnifiedDiff.lines(block(object), [], expectedLabel: expectedLabel, actualLabel: actualLabel)))
            case let other? where other.definition != object.definition:
                objects.append(Object(kind: object.kind, name: object.name, change: .changed,
                                      diff: UnifiedDiff.lines(block(object), block(other), expectedLabel: expectedLabel, actualLabel: actualLabel)))
            default:
                break
            }
        }
        for object in actual.objects where expectedByKey[object.key] == nil {
            objects.append(Object(kind: object.kind, name: object.name, change: .added,
                                  diff: UnifiedDiff.lines([], block(object), expectedLabel: expectedLabel, actualLabel: actualLabel)))
        }
        let diff = objects.isEmpty ? "" : UnifiedDiff.lines(lines(expected.rendered()), lines(actual.rendered()),
                                                            expectedLabel: expectedLabel, actualLabel: actualLabel)
        return SchemaDrift(objects: objects, diff: diff)
    }

    static func block(_ object: SchemaObject) -> [Substring] {
        lines("-- \(object.kind): \(object.name)\n\(object.definition)")
    }

    static func lines(_ text: String) -> [Substring] {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        if lines.last == "" { lines.removeLast() }
        return lines
    }

    /// The diffs of the objects that differ, one after the other.
    public var objectDiffs: String {
        objects.map(\.diff).joined()
    }

    /// "table public.users (changed)", one per line.
    public var summary: String {
        objects.map { "\($0.kind) \($0.name) (\($0.change.rawValue))" }.joined(separator: "\n")
    }
}
