import FoundationEssentials

/// ISO 8601 UTC timestamps with milliseconds (`2025-06-12T15:22:30.123Z`),
/// formatted and parsed by arithmetic: Foundation's formatters cost far more
/// than this when a list of a thousand migrations is read or served.
public enum UTCTimestamp {
    public static func format(_ date: Date) -> String {
        let totalMilliseconds = Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
        var days = totalMilliseconds / 86_400_000
        var milliseconds = totalMilliseconds % 86_400_000
        if milliseconds < 0 { milliseconds += 86_400_000; days -= 1 }
        let (year, month, day) = civil(fromDays: days)
        let seconds = milliseconds / 1000
        return zeroPadded((year, 4, "-"), (month, 2, "-"), (day, 2, "T"), (seconds / 3600, 2, ":"),
                          (seconds / 60 % 60, 2, ":"), (seconds % 60, 2, "."), (milliseconds % 1000, 3, "Z"))
    }

    /// `YYYYMMDDHHMMSS`: a new migration's version.
    public static func version(_ date: Date) -> String {
        let (day, seconds) = split(date)
        return zeroPadded((day.year, 4, ""), (day.month, 2, ""), (day.day, 2, ""), (seconds / 3600, 2, ""),
                          (seconds / 60 % 60, 2, ""), (seconds % 60, 2, ""))
    }

    /// `YYYY-MM-DD HH:MM:SS`, for tables people read.
    public static func display(_ date: Date) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(19)
        appendDisplay(date, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// How many characters `display(date)` has: 19 for the years 0 to 9999.
    public static func displayWidth(_ date: Date) -> Int {
        (0...9999).contains(split(date).day.year) ? 19 : display(date).utf8.count
    }

    /// `display(date)`, appended to `bytes`: a status table writes one per row in place.
    public static func appendDisplay(_ date: Date, to bytes: inout [UInt8]) {
        let (day, seconds) = split(date)
        appendDigits(day.year, width: 4, to: &bytes)
        appendTwoDigits(day.month, after: 45, to: &bytes)
        appendTwoDigits(day.day, after: 45, to: &bytes)
        appendTwoDigits(seconds / 3600, after: 32, to: &bytes)
        appendTwoDigits(seconds / 60 % 60, after: 58, to: &bytes)
        appendTwoDigits(seconds % 60, after: 58, to: &bytes)
    }

    /// `separator`, then `value` (0 to 99) in two digits.
    private static func appendTwoDigits(_ value: Int64, after separator: UInt8, to bytes: inout [UInt8]) {
        bytes.append(separator)
        bytes.append(UInt8(ascii: "0") + UInt8(value / 10))
        bytes.append(UInt8(ascii: "0") + UInt8(value % 10))
    }

    /// Each number in at least `width` digits, followed by its separator.
    private static func zeroPadded(_ fields: (value: Int64, width: Int, separator: String)...) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(24)
        for field in fields {
            appendDigits(field.value, width: field.width, to: &bytes)
            bytes += field.separator.utf8
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Digits written one by one: `String(value)` per field cost most of a listing's rendering.
    private static func appendDigits(_ value: Int64, width: Int, to bytes: inout [UInt8]) {
        guard value >= 0 && value < 1_000_000_000 else {
            let digits = Array(String(value).utf8)
            bytes += repeatElement(UInt8(ascii: "0"), count: max(0, width - digits.count))
            bytes += digits
            return
        }
        var count = 1, power: Int64 = 10
        while value >= power { count += 1; power *= 10 }
        bytes += repeatElement(UInt8(ascii: "0"), count: max(0, width - count))
        var divisor = power / 10
        while divisor > 0 {
            bytes.append(UInt8(ascii: "0") + UInt8(value / divisor % 10))
            divisor /= 10
        }
    }

    private static func split(_ date: Date) -> (day: (year: Int64, month: Int64, day: Int64), seconds: Int64) {
        let total = Int64(date.timeIntervalSince1970.rounded(.down))
        var days = total / 86_400
        var seconds = total % 86_400
        if seconds < 0 { seconds += 86_400; days -= 1 }
        return (civil(fromDays: days), seconds)
    }

    /// `YYYY-MM-DDTHH:MM:SS[.fraction]Z` (or `+00:00`); nil for anything else.
    public static func parse(_ text: String) -> Date? {
        let bytes = Array(text.utf8)
        guard bytes.count >= 20, bytes[4] == 45, bytes[7] == 45, bytes[10] == 84 || bytes[10] == 32,
              bytes[13] == 58, bytes[16] == 58 else { return nil }
        func number(_ range: Range<Int>) -> Int64? {
            var value: Int64 = 0
            for byte in bytes[range] {
                guard byte >= 48 && byte <= 57 else { return nil }
                value = value * 10 + Int64(byte - 48)
            }
            return value
        }
        guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
              let hour = number(11..<13), let minute = number(14..<16), let second = number(17..<19),
              (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61 else { return nil }
        var index = 19
        var fraction = 0.0
        if index < bytes.count, bytes[index] == 46 {
            index += 1
            var scale = 0.1
            while index < bytes.count, bytes[index] >= 48, bytes[index] <= 57 {
                fraction += Double(bytes[index] - 48) * scale
                scale /= 10
                index += 1
            }
        }
        let zone = String(decoding: bytes[index...], as: UTF8.self)
        guard zone == "Z" || zone == "+00:00" || zone == "+00" else { return nil }
        let days = daysFromCivil(year: year, month: month, day: day)
        let seconds = Double(days * 86_400 + hour * 3600 + minute * 60 + second) + fraction
        return Date(timeIntervalSince1970: seconds)
    }

    /// Days since 1970-01-01 (proleptic Gregorian).
    static func daysFromCivil(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    static func civil(fromDays days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}
