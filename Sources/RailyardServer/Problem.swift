import RailyardCore
import Foundation
import Hummingbird

/// An `application/problem+json` error response (RFC 9457).
public struct Problem: HTTPResponseError, Sendable {
    public var status: HTTPResponse.Status
    public var title: String
    public var detail: String?
    public var slug: String
    /// Extra members such as `sqlstate`, `file`, `line`, `active_run`.
    public var extra: [String: ExtraValue] = [:]
    public var headers: HTTPFields = [:]

    public enum ExtraValue: Sendable, Encodable {
        case string(String)
        case int(Int)

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            switch self {
            case .string(let value): try container.encode(value)
            case .int(let value): try container.encode(value)
            }
        }
    }

    public init(_ status: HTTPResponse.Status, _ slug: String, title: String, detail: String? = nil) {
        self.status = status
        self.slug = slug
        self.title = title
        self.detail = detail
    }

    public static func badRequest(_ detail: String) -> Problem {
        Problem(.badRequest, "bad-request", title: "Bad request", detail: detail)
    }

    public static func notFound(_ detail: String) -> Problem {
        Problem(.notFound, "not-found", title: "Not found", detail: detail)
    }

    /// A version shared by several legacy files.
    public static func ambiguous(_ reference: String, ids: [String]) -> Problem {
        Problem(.badRequest, "ambiguous-version", title: "Ambiguous version", detail: MigrationReference.ambiguity(reference, ids: ids))
    }

    public static func unavailable(_ detail: String) -> Problem {
        Problem(.serviceUnavailable, "unavailable", title: "Service unavailable", detail: detail)
    }

    public static func unauthorized(_ detail: String) -> Problem {
        var problem = Problem(.unauthorized, "unauthorized", title: "Unauthorized", detail: detail)
        problem.headers[.wwwAuthenticate] = "Bearer realm=\"railyard\""
        return problem
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var object: [String: ExtraValue] = extra
        object["type"] = .string("https://railyard.dev/problems/\(slug)")
        object["title"] = .string(title)
        object["status"] = .int(Int(status.code))
        if let detail { object["detail"] = .string(detail) }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(object)) ?? Data()
        var fields = headers
        fields[.contentType] = "application/problem+json"
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
