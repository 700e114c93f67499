import Hummingbird
import HTTPTypes

/// Lets a browser page on one of `origins` (exact matches, from
/// `RAILYARD_CORS_ORIGINS`) call the API: its requests get
/// `Access-Control-Allow-Origin` naming that origin (never `*`), and its
/// preflights are answered before authentication, since they carry no
/// token. Other origins get no CORS headers, so browsers keep them out.
struct AllowedOriginsMiddleware: RouterMiddleware {
    typealias Context = RailyardRequestContext
    let origins: Set<String>

    static let allowedMethods = "GET, POST"
    static let allowedHeaders = "Authorization, Content-Type, Last-Event-ID"
    static let exposedHeaders = "Location, WWW-Authenticate, Retry-After"

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let origin = request.headers[.origin], origins.contains(origin) else {
            return try await next(request, context)
        }
        if request.method == .options, request.headers[.accessControlRequestMethod] != nil {
            var headers = Self.headers(for: origin)
            headers[.accessControlAllowMethods] = Self.allowedMethods
            headers[.accessControlAllowHeaders] = Self.allowedHeaders
            headers[.accessControlMaxAge] = "600"
            return Response(status: .noContent, headers: headers)
        }
        do {
            var response = try await next(request, context)
            for field in Self.headers(for: origin) { response.headers.append(field) }
            return response
        } catch var problem as Problem {
            for field in Self.headers(for: origin) { problem.headers.append(field) }
            throw problem
        }
    }

    static func headers(for origin: String) -> HTTPFields {
        [.accessControlAllowOrigin: origin, .vary: "Origin", .accessControlExposeHeaders: exposedHeaders]
    }
}

/// The value of `RAILYARD_CORS_ORIGINS`.
public enum CORSOrigins {
    /// The origins of a `RAILYARD_CORS_ORIGINS` value (separated by commas or
    /// blanks), or why one is not an origin.
    public static func parse(_ value: String) -> Result<Set<String>, OriginProblem> {
        var origins = Set<String>()
        for entry in value.split(whereSeparator: { $0 == "," || $0 == " " || $0 == "\t" || $0 == "\n" }) {
            let origin = String(entry)
            if origin == "*" { return .failure(OriginProblem(entry: origin, reason: "list each origin; * would let any page use the API")) }
            let scheme = origin.hasPrefix("https://") ? "https://" : origin.hasPrefix("http://") ? "http://" : nil
            guard let scheme else { return .failure(OriginProblem(entry: origin, reason: "an origin starts with https:// or http://")) }
            let authority = origin.dropFirst(scheme.count)
            guard !authority.isEmpty, !authority.contains("/"), !authority.contains("?"), !authority.contains("#"),
                  !authority.contains("@"), !origin.hasSuffix(":") else {
                return .failure(OriginProblem(entry: origin, reason: "an origin is a scheme, a host and maybe a port, with no path (https://dash.example.com)"))
            }
            origins.insert(origin)
        }
        return .success(origins)
    }

    public struct OriginProblem: Error, CustomStringConvertible {
        public var entry: String
        public var reason: String
        public var description: String { "RAILYARD_CORS_ORIGINS: '\(entry.prefix(100))' is not an origin: \(reason)" }
    }
}
