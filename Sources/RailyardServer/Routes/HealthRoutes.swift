import Hummingbird

/// `GET /api/health`: public, answered within the deadline whatever the database does.
struct HealthRoutes {
    let state: ServerState

    func register(on router: Router<RailyardRequestContext>) {
        router.get("api/health") { _, _ in
            let answer = await state.health.current()
            return Response(status: answer.result.isHealthy ? .ok : .serviceUnavailable,
                            headers: [.contentType: "application/json", .cacheControl: "no-store"],
                            body: .init(byteBuffer: ByteBuffer(bytes: answer.body)))
        }
    }
}
