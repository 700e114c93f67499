import Foundation
import HTTPTypes
import Hummingbird
import RailyardCore
import ServiceLifecycle

/// `GET /api/runs/{id}/events` and `GET /api/events` (read): Server-Sent
/// Events. Each event's id is `run:sequence`, the same on every replica,
/// so a client that reconnects with `Last-Event-ID` to any of them gets
/// exactly what it missed.
struct EventRoutes {
    let state: ServerState

    func register(on group: RouterGroup<RailyardRequestContext>) {
        group.get("api/runs/:id/events") { request, context in
            let id = try RunRoutes.runID(context)
            // Another run's id says nothing was received of this one: all of it is sent.
            let resume = try Self.lastEventID(request)
            let after = resume.flatMap { $0.runID == nil || $0.runID == id ? $0.sequence : nil }
            guard let subscription = await state.events.subscribe(run: id, after: after) else {
                throw Problem.notFound("no run has id \(id)")
            }
            return Self.response(subscription)
        }

        group.get("api/events") { request, _ in
            let resume = try Self.lastEventID(request)
            if let resume, resume.runID == nil {
                throw Problem.badRequest("Last-Event-ID of the stream of every run is run:sequence, as its events' ids are")
            }
            let subscription = await state.events.subscribeToEverything(resume: resume.map { ($0.runID!, $0.sequence) })
            return Self.response(subscription)
        }
    }

    /// `Last-Event-ID` (header, as browsers send it on reconnecting), parsed.
    static func lastEventID(_ request: Request) throws -> (runID: String?, sequence: Int)? {
        guard let field = HTTPField.Name("Last-Event-ID"), let text = request.headers[field], !text.isEmpty else { return nil }
        guard text.utf8.count <= 100, let parsed = RunEvent.parseID(text) else {
            throw Problem.badRequest("Last-Event-ID '\(text.prefix(80))' is not an event id of this stream (run:sequence)")
        }
        return parsed
    }

    static let retry = Array("retry: 2000\n\n".utf8)
    static let heartbeat = Array(": heartbeat\n\n".utf8)

    static func response(_ subscription: EventHub.Subscription) -> Response {
        let headers: HTTPFields = [.contentType: "text/event-stream", .cacheControl: "no-cache", HTTPField.Name("X-Accel-Buffering")!: "no"]
        return Response(status: .ok, headers: headers, body: ResponseBody { writer in
            // Also when the client has gone and a write failed: nothing more is kept for it.
            defer { subscription.leave() }
            // On SIGTERM the stream ends (the client reconnects elsewhere with Last-Event-ID),
            // else its open connection would keep the server from stopping.
            try await withGracefulShutdownHandler {
                try await writer.write(ByteBuffer(bytes: retry))
                for await item in subscription.stream {
                    switch item {
                    case .frame(let bytes): try await writer.write(ByteBuffer(bytes: bytes))
                    case .heartbeat: try await writer.write(ByteBuffer(bytes: heartbeat))
                    }
                }
            } onGracefulShutdown: {
                subscription.leave()
            }
            try await writer.finish(nil)
        })
    }
}
