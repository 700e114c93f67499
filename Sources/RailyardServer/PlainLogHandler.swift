import Logging
import RailyardCore

/// Readable log lines on stderr (the default; `LOG_FORMAT=json` for JSON).
/// Messages and metadata can carry database or client text: their newlines
/// and control characters are shown, never obeyed, so one entry is one line.
public struct PlainLogHandler: LogHandler {
    private var inner: StreamLogHandler

    public init(label: String) {
        inner = StreamLogHandler.standardError(label: label)
    }

    public var metadata: Logger.Metadata {
        get { inner.metadata }
        set { inner.metadata = newValue }
    }

    public var logLevel: Logger.Level {
        get { inner.logLevel }
        set { inner.logLevel = newValue }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { inner[metadataKey: key] }
        set { inner[metadataKey: key] = newValue }
    }

    public func log(event: LogEvent) {
        var event = event
        event.message = "\(ControlCharacters.neutralized("\(event.message)", keepingLines: false))"
        event.metadata = event.metadata?.mapValues { .string(ControlCharacters.neutralized("\($0)", keepingLines: false)) }
        inner.log(event: event)
    }
}
