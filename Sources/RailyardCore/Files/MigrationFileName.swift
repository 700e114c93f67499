/// A migration file name: `YYYYMMDDHHMMSS_descriptive_name.sql` or a legacy
/// numeric prefix such as `001_initial_schema.sql` or `20250612_feature.sql`.
public struct MigrationFileName: Sendable, Hashable {
    public let filename: String
    /// The digits before the first `_`, as written.
    public let version: String
    /// The part between the first `_` and `.sql`.
    public let name: String

    /// What identifies the migration in the tracking table: a 14-digit
    /// timestamp is the version itself; any other prefix (legacy `001_`, the
    /// Node scripts' `YYYYMMDD_`, which two files of one day share) is not
    /// unique enough, so the whole stem is.
    public var id: String { isTimestamped ? version : stem }

    /// The file name without `.sql`.
    public var stem: String { "\(version)_\(name)" }

    public enum Problem: Error, Sendable, Equatable, CustomStringConvertible {
        case noVersion
        case badName
        case notSQL

        public var description: String {
            switch self {
            case .notSQL: "migration files must end in .sql"
            case .noVersion: "file name must start with a numeric version followed by '_'"
            case .badName: "the name after the version may contain only lowercase letters, digits and underscores"
            }
        }

        public var hint: String {
            "name it like 20250612152230_add_user_sessions.sql (railyard new NAME does this)"
        }
    }

    public init(_ filename: String) throws(Problem) {
        guard filename.hasSuffix(".sql") else { throw .notSQL }
        let stem = filename.dropLast(4)
        guard let underscore = stem.firstIndex(of: "_") else { throw .noVersion }
        let version = stem[..<underscore]
        let name = stem[stem.index(after: underscore)...]
        guard !version.isEmpty, version.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { throw .noVersion }
        guard !name.isEmpty, name.utf8.allSatisfy(Self.isNameByte) else { throw .badName }
        self.filename = filename
        self.version = String(version)
        self.name = String(name)
    }

    /// A 14-digit UTC timestamp rather than a legacy sequence number.
    public var isTimestamped: Bool { version.utf8.count == 14 }

    static func isNameByte(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
            || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
            || byte == UInt8(ascii: "_")
    }
}

/// Orders versions and migration ids (`digits` or `digits_name`): by the
/// digits as a number of any length, then by the name.
public enum VersionOrder {
    /// The digits without leading zeros ("" for zero), then `_name` when there is one.
    public static func normalized(_ id: String) -> Substring {
        let utf8 = id.utf8
        guard utf8.first == UInt8(ascii: "0") else { return id[...] }
        let start = utf8.firstIndex { $0 != UInt8(ascii: "0") } ?? utf8.endIndex
        let digitsEnd = digits(id).endIndex
        return id[min(start, digitsEnd)...]
    }

    /// The leading digits: the version of an id.
    public static func digits(_ id: String) -> Substring {
        let utf8 = id.utf8
        return id[..<(utf8.firstIndex { $0 < 48 || $0 > 57 } ?? utf8.endIndex)]
    }

    public static func less(_ a: String, _ b: String) -> Bool {
        let aDigits = digits(a).utf8, bDigits = digits(b).utf8
        let left = aDigits.drop { $0 == 48 }, right = bDigits.drop { $0 == 48 }
        if left.count != right.count { return left.count < right.count }
        if !left.elementsEqual(right) { return left.lexicographicallyPrecedes(right) }
        let leftName = a.utf8[aDigits.endIndex...], rightName = b.utf8[bDigits.endIndex...]
        if !leftName.elementsEqual(rightName) { return leftName.lexicographicallyPrecedes(rightName) }
        return a.utf8.lexicographicallyPrecedes(b.utf8)
    }

    /// True when the two strings denote the same number (and name).
    public static func same(_ a: String, _ b: String) -> Bool {
        normalized(a) == normalized(b)
    }

    /// True when the version is a non-empty run of digits.
    public static func isValid(_ version: String) -> Bool {
        !version.isEmpty && version.utf8.allSatisfy { $0 >= 48 && $0 <= 57 }
    }

    /// True for what names a migration on a command line or in a URL: its
    /// version (digits) or its id (the file name without `.sql`).
    public static func isReference(_ reference: String) -> Bool {
        if isValid(reference) { return true }
        return (try? MigrationFileName(reference + ".sql")) != nil
    }

    /// What is wrong with a reference that names no migration: the words
    /// that follow the front end's name for it ("--target must be …").
    public static func referenceProblem(_ reference: String) -> String? {
        if isReference(reference), reference.utf8.count <= 200 { return nil }
        return "a migration's version (the digits before the first '_') or its file name without .sql, not '\(reference.prefix(64))'"
    }

    /// True when `reference` (a version or an id) names the migration `id`:
    /// the same id, or the same digits.
    public static func matches(_ id: String, _ reference: String) -> Bool {
        if same(id, reference) { return true }
        return isValid(reference) && same(String(digits(id)), reference)
    }
}
