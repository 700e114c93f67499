/// Text from a server or a database, shown to a person: its control
/// characters are shown, not obeyed, so it cannot move the cursor, rewrite
/// lines, set a terminal's title or forge a log line.
public enum ControlCharacters {
    /// `text` with C0 controls (newline and tab kept when `keepingLines`),
    /// DEL and C1 controls replaced by visible symbols: ESC becomes `␛`,
    /// CR `␍`, and so on (Unicode's control pictures), C1 becomes `�`.
    public static func neutralized(_ text: String, keepingLines: Bool = true) -> String {
        // Printable ASCII, by far the most common, needs no decoding to tell.
        let printable = text.utf8.withContiguousStorageIfAvailable { bytes in
            bytes.allSatisfy { ($0 >= 0x20 && $0 < 0x7F) || (keepingLines && ($0 == 10 || $0 == 9)) }
        } ?? false
        guard !printable, text.unicodeScalars.contains(where: { isControl($0.value, keepingLines: keepingLines) }) else { return text }
        var result = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            let value = scalar.value
            result.append(isControl(value, keepingLines: keepingLines) ? picture(value) : scalar)
        }
        return String(result)
    }

    /// A JSON document whose strings, once decoded, hold no control
    /// characters but newline and tab: `\u001b`, `\r`, `\b`, `\f` escapes
    /// become the escapes of their pictures, raw C1 characters `\ufffd`.
    /// Everything else is left byte for byte.
    public static func neutralizedJSON(_ bytes: [UInt8]) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count)
        var index = 0
        var inString = false
        while index < bytes.count {
            let byte = bytes[index]
            if !inString {
                if byte == UInt8(ascii: "\"") { inString = true }
                output.append(byte)
                index += 1
                continue
            }
            switch byte {
            case UInt8(ascii: "\""):
                inString = false
                output.append(byte)
                index += 1
            case UInt8(ascii: "\\") where index + 1 < bytes.count:
                let escape = bytes[index + 1]
                switch escape {
                case UInt8(ascii: "r"), UInt8(ascii: "b"), UInt8(ascii: "f"):
                    let value: UInt32 = escape == UInt8(ascii: "r") ? 0x0D : escape == UInt8(ascii: "b") ? 0x08 : 0x0C
                    output += escaped(picture(value).value)
                    index += 2
                case UInt8(ascii: "u") where index + 6 <= bytes.count:
                    let hex = String(decoding: bytes[(index + 2)..<(index + 6)], as: UTF8.self)
                    if let value = UInt32(hex, radix: 16), isControl(value, keepingLines: true) {
                        output += escaped(picture(value).value)
                    } else {
                        output += bytes[index..<(index + 6)]
                    }
                    index += 6
                default:
                    output += bytes[index...(index + 1)]
                    index += 2
                }
            case 0xC2 where index + 1 < bytes.count && (0x80...0x9F).contains(bytes[index + 1]):
                output += [0xEF, 0xBF, 0xBD]
                index += 2
            default:
                output.append(byte)
                index += 1
            }
        }
        return output
    }

    static func isControl(_ value: UInt32, keepingLines: Bool) -> Bool {
        if keepingLines && (value == 0x0A || value == 0x09) { return false }
        return value < 0x20 || value == 0x7F || (0x80...0x9F).contains(value)
    }

    static func picture(_ value: UInt32) -> Unicode.Scalar {
        switch value {
        case 0..<0x20: Unicode.Scalar(0x2400 + value)!
        case 0x7F: "\u{2421}"
        default: "\u{FFFD}"
        }
    }

    private static func escaped(_ value: UInt32) -> [UInt8] {
        let hex = String(value, radix: 16)
        return Array(("\\u" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex).utf8)
    }
}
