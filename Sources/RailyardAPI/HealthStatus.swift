import FoundationEssentials

/// The health answer: `GET /api/health`.
public struct HealthStatus: Sendable, Codable {
    public var status: String
    public var database: String
    public var timestamp: Date
    public var version: String
    public var detail: String?

    public var isHealthy: Bool { status == "ok" }

    public init(status: String, database: String, timestamp: Date, version: String, detail: String? = nil) {
        self.status = status
        self.database = database
        self.timestamp = timestamp
        self.version = version
        self.detail = detail
    }
}

/// An `application/problem+json` body as clients read it.
public struct ProblemDetails: Sendable, Codable {
    public var type: String?
    public var title: String?
    public var status: Int?
    public var detail: String?
    public var activeRun: String?

    enum CodingKeys: String, CodingKey {
        case type, title, status, detail
        case activeRun = "active_run"
    }
}
