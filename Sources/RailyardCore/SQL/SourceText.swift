/// The bytes of one SQL source (a migration file) with position helpers.
///
/// Offsets are UTF-8 byte offsets. Lines and columns are 1-based, and columns
/// count characters (Unicode scalars) the way PostgreSQL counts positions.
public struct SourceText: Sendable {
    public let bytes: [UInt8]
    /// Byte offset at which each line starts.
    public let lineStarts: [Int]

    public init(bytes: [UInt8]) {
        self.bytes = bytes
        var starts = [0]
        for (offset, byte) in bytes.enumerated() where byte == UInt8(ascii: "\n") {
            starts.append(offset + 1)
        }
        self.lineStarts = starts
    }

    public init(_ string: String) {
        self.init(bytes: Array(string.utf8))
    }

    public var count: Int { bytes.count }

    /// The text of a byte range, decoded leniently.
    public func text(_ range: Range<Int>) -> String {
        String(decoding: bytes[range], as: UTF8.self)
    }

    /// 1-based line and character column of a byte offset.
    public func location(ofByte offset: Int) -> SourceLocation {
        let clamped = min(max(offset, 0), bytes.count)
        var low = 0
        var high = lineStarts.count - 1
        while low < high {
            let mid = (low + high + 1) / 2
            if lineStarts[mid] <= clamped { low = mid } else { high = mid - 1 }
        }
        let column = Self.characterCount(bytes[lineStarts[low]..<clamped]) + 1
        return SourceLocation(line: low + 1, column: column)
    }

    /// The byte offset reached by advancing `characters` characters from `start`.
    public func byteOffset(advancing characters: Int, from start: Int) -> Int {
        var offset = start
        var remaining = characters
        while remaining > 0 && offset < bytes.count {
            offset += 1
            while offset < bytes.count && Self.isContinuation(bytes[offset]) { offset += 1 }
            remaining -= 1
        }
        return offset
    }

    static func isContinuation(_ byte: UInt8) -> Bool { byte & 0xC0 == 0x80 }

    static func characterCount(_ slice: ArraySlice<UInt8>) -> Int {
        slice.reduce(0) { $0 + (isContinuation($1) ? 0 : 1) }
    }
}

/// A 1-based line and column (in characters).
public struct SourceLocation: Sendable, Hashable, Codable, CustomStringConvertible {
    public var line: Int
    public var column: Int

    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }

    public var description: String { "\(line):\(column)" }
}
