import CLibPQ

/// A result's rows read where libpq holds them, each value decoded only
/// as what it is asked for: the thousand-row reads of every no-op and
/// status need no array per row and no string for a number. Valid only
/// inside the closure it is given to.
public struct ResultRows {
    private let result: OpaquePointer
    public let count: Int
    public let columnCount: Int

    init(_ result: OpaquePointer) {
        self.result = result
        count = Int(PQntuples(result))
        columnCount = Int(PQnfields(result))
    }

    public func isNull(_ row: Int, _ column: Int) -> Bool {
        PQgetisnull(result, Int32(row), Int32(column)) == 1
    }

    /// The value as text; nil for NULL.
    public func text(_ row: Int, _ column: Int) -> String? {
        withBytes(row, column) { String(decoding: $0, as: UTF8.self) }
    }

    /// The value as a decimal integer; nil for NULL or anything else.
    public func integer(_ row: Int, _ column: Int) -> Int64? {
        withBytes(row, column) { bytes -> Int64? in
            let negative = bytes.first == UInt8(ascii: "-")
            let digits = negative ? UnsafeBufferPointer(rebasing: bytes.dropFirst()) : bytes
            guard !digits.isEmpty, digits.count <= 18 else { return Int64(String(decoding: bytes, as: UTF8.self)) }
            var value: Int64 = 0
            for byte in digits {
                guard byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") else { return nil }
                value = value * 10 + Int64(byte - UInt8(ascii: "0"))
            }
            return negative ? -value : value
        } ?? nil
    }

    /// True when the value is exactly `text`.
    public func equals(_ row: Int, _ column: Int, _ text: StaticString) -> Bool {
        withBytes(row, column) { bytes in
            bytes.count == text.utf8CodeUnitCount && bytes.elementsEqual(UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
        } ?? false
    }

    /// A whole row as text, as `QueryResult` holds it.
    public func row(_ row: Int) -> [String?] {
        (0..<columnCount).map { text(row, $0) }
    }

    private func withBytes<T>(_ row: Int, _ column: Int, _ body: (UnsafeBufferPointer<UInt8>) -> T) -> T? {
        guard !isNull(row, column), let value = PQgetvalue(result, Int32(row), Int32(column)) else { return nil }
        let length = Int(PQgetlength(result, Int32(row), Int32(column)))
        return UnsafeRawPointer(value).withMemoryRebound(to: UInt8.self, capacity: length) { body(UnsafeBufferPointer(start: $0, count: length)) }
    }
}
