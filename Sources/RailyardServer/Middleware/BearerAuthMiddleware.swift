import Hummingbird

/// Requires a bearer token of at least `required` role. No or a wrong token
/// is 401 with `WWW-Authenticate: Bearer`; a read token where admin is
/// needed is 403 (checked by the handler with `requireAdmin`).
struct BearerAuthMiddleware: RouterMiddleware {
    typealias Context = RailyardRequestContext
    let adminToken: String
    let readToken: String?

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        context.role = role(for: request.headers[.authorization])
        guard context.role != .anonymous else {
            throw Problem.unauthorized(request.headers[.authorization] == nil
                ? "send Authorization: Bearer <token> (the admin token is in .railyard/admin-token for a local server)"
                : "the token is not valid")
        }
        return try await next(request, context)
    }

    func role(for header: String?) -> CallerRole {
        guard let header, header.count > 7, header.prefix(7).lowercased() == "bearer " else { return .anonymous }
        let token = header.dropFirst(7).trimmingCharacters(in: .whitespaces)
        // Both comparisons always run, each in constant time.
        let isAdmin = ConstantTime.equal(token, adminToken)
        let isRead = readToken.map { ConstantTime.equal(token, $0) } ?? false
        if isAdmin { return .admin }
        if isRead { return .read }
        return .anonymous
    }
}

extension RailyardRequestContext {
    func requireAdmin() throws {
        guard role == .admin else {
            throw Problem(.forbidden, "forbidden", title: "Forbidden", detail: "this needs the admin token; the read token may only read")
        }
    }
}

enum ConstantTime {
    /// Compares without an early exit, so timing tells nothing about where
    /// the strings differ (only, at most, their lengths).
    static func equal(_ a: String, _ b: String) -> Bool {
        let left = Array(a.utf8), right = Array(b.utf8)
        var difference = UInt8(truncatingIfNeeded: left.count ^ right.count)
        for index in 0..<max(left.count, right.count) {
            let x = index < left.count ? left[index] : 0
            let y = index < right.count ? right[index] : 0
            difference |= x ^ y
        }
        return difference == 0 && left.count == right.count
    }
}
