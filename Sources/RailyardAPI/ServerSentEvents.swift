import FoundationEssentials
import RailyardCore

/// One message of a `text/event-stream`, as the HTML standard defines it.
public struct ServerSentEvent: Sendable, Equatable {
    public var id: String?
    public var event: String?
    public var data: String

    public init(id: String? = nil, event: String? = nil, data: String) {
        self.id = id
        self.event = event
        self.data = data
    }

    /// The message's bytes: a `data:` line per line of `data`, then a blank line.
    public var encoded: [UInt8] {
        var text = ""
        if let id { text += "id: \(Self.oneLine(id))\n" }
        if let event { text += "event: \(Self.oneLine(event))\n" }
        for line in Self.lines(data) { text += "data: \(line)\n" }
        text += "\n"
        return Array(text.utf8)
    }

    /// Without line breaks (on scalars: "\r\n" is one Character).
    static func oneLine(_ text: String) -> String {
        var scalars = String.UnicodeScalarView()
        scalars.append(contentsOf: text.unicodeScalars.filter { $0 != "\n" && $0 != "\r" })
        return String(scalars)
    }

    /// The lines of `text`, split at LF, CR or CRLF, as a reader splits them.
    static func lines(_ text: String) -> [String] {
        var lines: [String] = []
        var current = String.UnicodeScalarView()
        var afterCR = false
        for scalar in text.unicodeScalars {
            if afterCR && scalar == "\n" {
                afterCR = false
                continue
            }
            afterCR = scalar == "\r"
            if scalar == "\n" || scalar == "\r" {
                lines.append(String(current))
                current = String.UnicodeScalarView()
            } else {
                current.append(scalar)
            }
        }
        lines.append(String(current))
        return lines
    }

    /// A run event as its stream sends it: id `run:sequence`, named by kind, JSON data.
    public init(_ event: RunEvent) throws {
        let json = try APIJSON.encoder(compact: true).encode(event)
        self.init(id: event.id, event: event.kind.rawValue, data: String(decoding: json, as: UTF8.self))
    }

    /// The run event this message carries, if it is one.
    public var runEvent: RunEvent? {
        try? APIJSON.decoder().decode(RunEvent.self, from: Data(data.utf8))
    }
}

/// Reads a `text/event-stream` as its bytes arrive, in pieces of any size:
/// lines end with LF, CR or CRLF; `:` lines are comments (heartbeats).
public struct ServerSentEventParser: Sendable {
    private var line: [UInt8] = []
    private var afterCR = false
    private var id: String?
    private var event: String?
    private var data: [String] = []
    private var hasData = false
    /// The id of the last message with one, to send back as `Last-Event-ID`.
    public private(set) var lastEventID: String?
    /// Comment lines seen (a server's heartbeats).
    public private(set) var comments = 0
    /// The reconnection delay the server asked for, in milliseconds.
    public private(set) var retryMilliseconds: Int?

    public init() {}

    public mutating func feed<Bytes: Sequence>(_ bytes: Bytes) -> [ServerSentEvent] where Bytes.Element == UInt8 {
        var messages: [ServerSentEvent] = []
        for byte in bytes {
            if afterCR {
                afterCR = false
                if byte == 0x0A { continue }
            }
            if byte == 0x0A || byte == 0x0D {
                afterCR = byte == 0x0D
                if let message = endLine() { messages.append(message) }
            } else {
                line.append(byte)
            }
        }
        return messages
    }

    private mutating func endLine() -> ServerSentEvent? {
        defer { line.removeAll(keepingCapacity: true) }
        if line.isEmpty {
            defer { (id, event, data, hasData) = (nil, nil, [], false) }
            if let id { lastEventID = id }
            guard hasData else { return nil }
            return ServerSentEvent(id: id, event: event, data: data.joined(separator: "\n"))
        }
        if line.first == UInt8(ascii: ":") {
            comments += 1
            return nil
        }
        let text = String(decoding: line, as: UTF8.self)
        let field: Substring
        var value: Substring
        if let colon = text.firstIndex(of: ":") {
            field = text[..<colon]
            value = text[text.index(after: colon)...]
            if value.first == " " { value = value.dropFirst() }
        } else {
            (field, value) = (text[...], "")
        }
        switch field {
        case "id" where !value.contains("\0"): id = String(value)
        case "event": event = String(value)
        case "data":
            data.append(String(value))
            hasData = true
        case "retry": retryMilliseconds = Int(value) ?? retryMilliseconds
        default: break
        }
        return nil
    }
}
