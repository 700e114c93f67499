/// A migration file name: `YYYYMMDDHHMMSS_descriptive_name.sql` or a legacy
/// numeric prefix such as `001_initial_schema.sql`.
public struct MigrationFileName: Sendable, Hashable {
    public let filename: String
    /// The digits before the first `_`, as written.
    public let version: String
    /// The part between the first `_` and `.sql`.
    public let name: String

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

/// Orders version strings as numbers of any length.
public enum VersionOrder {
    /// The version without leading zeros ("" for zero), its numeric identity.
    public static func normalized(_ version: String) -> Substring {
        let trimmed = version.drop { $0 == "0" }
        return trimmed
    }

    public static func less(_ a: String, _ b: String) -> Bool {
        let left = normalized(a), right = normalized(b)
        if left.count != right.count { return left.count < right.count }
        if left != right { return left < right }
        return a < b
    }

    /// True when the two strings denote the same number.
    public static func same(_ a: String, _ b: String) -> Bool {
        normalized(a) == normalized(b)
    }

    /// True when the version is a non-empty run of digits.
    public static func isValid(_ version: String) -> Bool {
        !version.isEmpty && version.utf8.allSatisfy { $0 >= 48 && $0 <= 57 }
    }
}
