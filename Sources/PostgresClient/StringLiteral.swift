/// A value written into SQL text as a string constant (`E'it''s'`), for a
/// script that has no parameters: it reads the same whatever
/// `standard_conforming_strings` is. Byte by byte, as `ArrayLiteral`: a
/// script of a thousand tracking rows writes thousands of them.
public enum StringLiteral {
    public static func text(_ value: String?) -> String {
        guard let value else { return "NULL" }
        let quote = UInt8(ascii: "'"), backslash = UInt8(ascii: "\\")
        guard value.utf8.contains(where: { $0 == quote || $0 == backslash }) else { return "E'" + value + "'" }
        var bytes: [UInt8] = [UInt8(ascii: "E"), UInt8(ascii: "'")]
        bytes.reserveCapacity(value.utf8.count + 4)
        for byte in value.utf8 {
            if byte == quote || byte == backslash { bytes.append(byte) }
            bytes.append(byte)
        }
        bytes.append(UInt8(ascii: "'"))
        return String(decoding: bytes, as: UTF8.self)
    }
}
