import FoundationEssentials
import RailyardCore

/// The JSON conventions of every Railyard output: snake_case keys (declared
/// per type), ISO 8601 dates with milliseconds, sorted keys.
public enum APIJSON {
    /// Pretty-printed for people unless `compact`.
    public static func encoder(compact: Bool = false) -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(timestamp(date))
        }
        encoder.outputFormatting = compact ? [.sortedKeys, .withoutEscapingSlashes] : [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    public static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            guard let date = date(text) else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "not an ISO 8601 date: \(text)")
            }
            return date
        }
        return decoder
    }

    public static func timestamp(_ date: Date) -> String {
        UTCTimestamp.format(date)
    }

    public static func date(_ text: String) -> Date? {
        UTCTimestamp.parse(text)
    }
}
