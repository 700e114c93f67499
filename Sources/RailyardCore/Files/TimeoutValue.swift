import FoundationEssentials

/// Durations as PostgreSQL writes them for settings: `500ms`, `10s`, `2min`,
/// `1h`, or a bare number of milliseconds.
public enum TimeoutValue {
    /// Milliseconds, or nil when the text is not a duration. A bare number
    /// is seconds, like every other duration Railyard takes (`--lock-wait 2`);
    /// units are accepted: `500ms`, `10s`, `2min`, `1h`.
    public static func milliseconds(_ text: String) -> Int? {
        let trimmed = text.trimmed().lowercased()
        let digits = trimmed.prefix { $0.isASCII && $0.isNumber }
        guard !digits.isEmpty, let value = Int(digits) else { return nil }
        let unit = trimmed.dropFirst(digits.count).trimmed()
        let factor: Int
        switch unit {
        case "ms": factor = 1
        case "", "s", "sec", "secs", "second", "seconds": factor = 1000
        case "min", "mins", "minute", "minutes": factor = 60_000
        case "h", "hour", "hours": factor = 3_600_000
        default: return nil
        }
        let (result, overflow) = value.multipliedReportingOverflow(by: factor)
        return overflow || result > Int(Int32.max) ? nil : result
    }
}
