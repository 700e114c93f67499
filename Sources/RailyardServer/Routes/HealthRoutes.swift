import Hummingbird

/// `GET /api/health`: public, answered within the deadline whatever the database does.
struct HealthRoutes {
    let state: ServerState

    func register(on router: Router<RailyardRequestContext>) {
        router.get("api/health") { _, _ in
            let result = await state.health.current()
            return JSONResponse(value: result, status: result.isHealthy ? .ok : .serviceUnavailable,
                                headers: [.cacheControl: "no-store"])
        }
    }
}
