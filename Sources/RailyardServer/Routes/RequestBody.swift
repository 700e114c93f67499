import Foundation
import Hummingbird
import RailyardCore
import RailyardEngine

/// Reading request bodies within the limit, strictly.
enum RequestBody {
    static func tooLarge(_ limit: Int) -> Problem {
        Problem(.contentTooLarge, "too-large", title: "Content too large", detail: "the body is over \(limit / 1024) KiB")
    }

    /// 413 from the Content-Length header alone, without reading the body.
    static func refuseOversized(_ request: Request, limit: Int) throws {
        if let length = request.headers[.contentLength].flatMap(Int.init), length > limit {
            throw tooLarge(limit)
        }
    }

    /// The body, read up to `limit` bytes (413 beyond).
    static func collect(_ request: inout Request, limit: Int) async throws -> ByteBuffer {
        try refuseOversized(request, limit: limit)
        do {
            return try await request.collectBody(upTo: limit)
        } catch {
            throw tooLarge(limit)
        }
    }

    /// `POST /api/runs` body: `{"target"?, "dry_run"?, "allow_changed"?, "retry_failed"?, "strict_order"?, "strict"?}`;
    /// empty means defaults.
    static func runRequest(_ request: inout Request, limit: Int) async throws -> MigrateRequest {
        let buffer = try await collect(&request, limit: limit)
        let bytes = Data(buffer.readableBytesView)
        if bytes.allSatisfy({ [0x20, 0x09, 0x0A, 0x0D].contains($0) }) { return MigrateRequest() }
        let contentType = request.headers[.contentType]?.lowercased() ?? ""
        guard contentType.hasPrefix("application/json") || contentType.contains("+json") else {
            throw Problem(.unsupportedMediaType, "unsupported-media-type", title: "Unsupported media type",
                          detail: "send the body as application/json")
        }
        guard let object = try? JSONSerialization.jsonObject(with: bytes, options: [.fragmentsAllowed]) else {
            throw Problem.badRequest("the body is not valid JSON")
        }
        guard let fields = object as? [String: Any] else {
            throw Problem.badRequest("the body must be a JSON object such as {\"dry_run\": true}")
        }
        let known: Set = ["target", "dry_run", "allow_changed", "retry_failed", "strict_order", "strict"]
        if let unknown = fields.keys.sorted().first(where: { !known.contains($0) }) {
            throw Problem.badRequest("unknown field '\(unknown)': use target, dry_run, allow_changed, retry_failed, strict_order or strict")
        }
        if let null = fields.keys.sorted().first(where: { fields[$0] is NSNull }) {
            throw Problem.badRequest("\(null) must not be null: leave it out for the default")
        }
        struct Body: Decodable {
            var target: String?
            var dry_run: Bool?
            var allow_changed: Bool?
            var retry_failed: Bool?
            var strict_order: Bool?
            var strict: Bool?
        }
        let body: Body
        do {
            body = try JSONDecoder().decode(Body.self, from: bytes)
        } catch {
            throw Problem.badRequest("target must be a string (a migration version or file name without .sql); dry_run, allow_changed, retry_failed, strict_order and strict must be true or false")
        }
        if let target = body.target, let problem = VersionOrder.referenceProblem(target) {
            throw Problem.badRequest("target must be \(problem)")
        }
        var migrate = MigrateRequest(target: body.target, dryRun: body.dry_run ?? false, allowChanged: body.allow_changed ?? false,
                                     retryFailed: body.retry_failed ?? false, strictOrder: body.strict_order ?? false)
        migrate.strict = body.strict ?? false
        return migrate
    }

    /// `POST /api/migrations/{version}/repair` body: `{"action": "accept"|"resolve"|"forget", "reason": "…"}`.
    static func repairRequest(_ request: inout Request, limit: Int) async throws -> (RepairAction, String) {
        let buffer = try await collect(&request, limit: limit)
        struct Body: Decodable {
            var action: String
            var reason: String
        }
        let bytes = Data(buffer.readableBytesView)
        if let fields = (try? JSONSerialization.jsonObject(with: bytes)) as? [String: Any],
           let unknown = fields.keys.sorted().first(where: { !["action", "reason"].contains($0) }) {
            throw Problem.badRequest("unknown field '\(unknown.prefix(64))': the body is {\"action\", \"reason\"}")
        }
        guard let body = try? JSONDecoder().decode(Body.self, from: bytes) else {
            throw Problem.badRequest("the body is {\"action\": \"accept\", \"resolve\" or \"forget\", \"reason\": \"why\"}")
        }
        guard let action = RepairAction(rawValue: body.action) else {
            throw Problem.badRequest("action is accept, resolve or forget, not '\(body.action.prefix(32))'")
        }
        // As the contract states it: at most 1000 code points, one that is not a JSON Schema (ECMAScript) blank.
        guard body.reason.unicodeScalars.contains(where: { !Self.isBlank($0) }), body.reason.unicodeScalars.count <= 1000 else {
            throw Problem.badRequest("reason must say why (at most 1000 characters): it is recorded with the run")
        }
        return (action, body.reason)
    }

    /// ECMAScript's `\s`, which the contract's `pattern` uses.
    static func isBlank(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x09...0x0D, 0x20, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000, 0xFEFF: true
        default: false
        }
    }
}
