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
        // Over the contiguous bytes: a folder of a thousand names is read on every run.
        var text = filename
        let parts = text.withUTF8 { bytes -> Result<(version: String, name: String), Problem> in
            let count = bytes.count
            guard count >= 4, bytes[count - 4] == 46, bytes[count - 3] == 115, bytes[count - 2] == 113, bytes[count - 1] == 108 else {
                return .failure(.notSQL)
            }
            let stemEnd = count - 4
            guard let underscore = bytes[..<stemEnd].firstIndex(of: UInt8(ascii: "_")), underscore > 0,
                  bytes[..<underscore].allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return .failure(.noVersion) }
            guard underscore + 1 < stemEnd, bytes[(underscore + 1)..<stemEnd].allSatisfy(Self.isNameByte) else { return .failure(.badName) }
            return .success((String(decoding: bytes[..<underscore], as: UTF8.self),
                             String(decoding: bytes[(underscore + 1)..<stemEnd], as: UTF8.self)))
        }
        switch parts {
        case .failure(let problem): throw problem
        case .success(let parts):
            self.filename = filename
            self.version = parts.version
            self.name = parts.name
        }
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
        // On the bytes themselves: listings of a thousand migrations sort with this.
        var a = a, b = b
        return a.withUTF8 { left in b.withUTF8 { right in less(left, right) } }
    }

    private static func less(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Bool {
        func digitsEnd(_ bytes: UnsafeBufferPointer<UInt8>) -> Int {
            bytes.firstIndex { $0 < 48 || $0 > 57 } ?? bytes.count
        }
        func significantStart(_ bytes: UnsafeBufferPointer<UInt8>, before end: Int) -> Int {
            var index = 0
            while index < end && bytes[index] == 48 { index += 1 }
            return index
        }
        let aEnd = digitsEnd(a), bEnd = digitsEnd(b)
        let aStart = significantStart(a, before: aEnd), bStart = significantStart(b, before: bEnd)
        if aEnd - aStart != bEnd - bStart { return aEnd - aStart < bEnd - bStart }
        if let order = precedes(UnsafeBufferPointer(rebasing: a[aStart..<aEnd]), UnsafeBufferPointer(rebasing: b[bStart..<bEnd])) {
            return order
        }
        if let order = precedes(UnsafeBufferPointer(rebasing: a[aEnd...]), UnsafeBufferPointer(rebasing: b[bEnd...])) { return order }
        return precedes(a, b) ?? false
    }

    /// Bytes whose order is `less`'s (the digits' count and the digits
    /// without leading zeros, the name, a 0 that ends it, then the id as
    /// written), to sort many ids with one key each.
    public static func sortKey(_ id: String) -> [UInt8] {
        let bytes = Array(id.utf8)
        let end = bytes.firstIndex { $0 < 48 || $0 > 57 } ?? bytes.count
        let start = bytes[..<end].firstIndex { $0 != 48 } ?? end
        let count = end - start
        return [UInt8(truncatingIfNeeded: count >> 8), UInt8(truncatingIfNeeded: count)] + bytes[start..<end] + bytes[end...] + [0] + bytes
    }

    /// Sorts by `less`, computing each id's key once.
    public static func sorted<Element>(_ elements: [Element], by id: (Element) -> String) -> [Element] {
        let ids = elements.map(id)
        // Ids that are all 14-digit timestamps (the usual folder) sort as their numbers do.
        let numbers = ids.compactMap(timestamp)
        if numbers.count == ids.count {
            return ids.indices.sorted { numbers[$0] < numbers[$1] }.map { elements[$0] }
        }
        let keys = ids.map(sortKey)
        return elements.indices.sorted { keys[$0].lexicographicallyPrecedes(keys[$1]) }.map { elements[$0] }
    }

    /// A 14-digit id's number.
    private static func timestamp(_ id: String) -> UInt64? {
        guard id.utf8.count == 14 else { return nil }
        var number: UInt64 = 0
        for byte in id.utf8 {
            guard byte >= 48 && byte <= 57 else { return nil }
            number = number * 10 + UInt64(byte - 48)
        }
        return number
    }

    /// Byte order of `a` and `b`: nil when they are equal.
    private static func precedes(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Bool? {
        for index in 0..<min(a.count, b.count) where a[index] != b[index] { return a[index] < b[index] }
        return a.count == b.count ? nil : a.count < b.count
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
