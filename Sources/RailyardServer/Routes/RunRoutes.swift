import Foundation
import RailyardAPI
import Hummingbird
import RailyardCore
import RailyardEngine

/// `POST /api/runs` (admin), `GET /api/runs` and `GET /api/runs/{id}` (read).
struct RunRoutes {
    let state: ServerState

    func register(on group: RouterGroup<RailyardRequestContext>) {
        group.post("api/runs") { request, context in
            try context.requireAdmin()
            var request = request
            let migrate = try await RequestBody.runRequest(&request, limit: state.configuration.maxBodyBytes)
            if let target = migrate.target {
                let catalog = try await state.catalog()
                guard catalog.file(version: target) != nil else {
                    throw Problem.notFound("target \(target) is not the version of any migration file")
                }
            }
            do {
                let run = try state.runs.start(migrate, requestedBy: "api (admin token)")
                return JSONResponse(value: run, status: .accepted, headers: [.location: "/api/runs/\(run.id)"])
            } catch RunManager.StartError.busy(let activeID) {
                var problem = Problem(.conflict, "run-in-progress", title: "Run in progress",
                                      detail: "run \(activeID) is in progress; follow it at /api/runs/\(activeID)")
                problem.extra["active_run"] = .string(activeID)
                throw problem
            } catch RunManager.StartError.shuttingDown {
                throw Problem.unavailable("the server is shutting down")
            }
        }

        group.get("api/runs") { request, _ in
            let limit = try Self.limit(request)
            let stored = try await state.read { [store = state.runs.runStore] _, connection in
                try store.recent(limit: limit, on: connection)
            }
            var byID = Dictionary(stored.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
            for run in state.runs.inMemoryRuns() { byID[run.id] = run }
            let runs = byID.values.sorted { $0.startedAt > $1.startedAt }.prefix(limit)
            return JSONResponse(value: RunList(runs: Array(runs)))
        }

        group.get("api/runs/:id") { _, context in
            let id = context.parameters.get("id") ?? ""
            guard UUID(uuidString: id) != nil else {
                throw Problem.badRequest("a run id is a UUID, not '\(id.prefix(64))'")
            }
            let normalized = id.lowercased()
            if let run = state.runs.inMemory(id: normalized) { return JSONResponse(value: run) }
            let stored = try await state.read { [store = state.runs.runStore] _, connection in
                try store.find(id: normalized, on: connection)
            }
            guard let stored else { throw Problem.notFound("no run has id \(normalized)") }
            return JSONResponse(value: stored)
        }
    }

    static func limit(_ request: Request) throws -> Int {
        guard let text = request.uri.queryParameters.get("limit") else { return 20 }
        guard let value = Int(text), (1...100).contains(value) else {
            throw Problem.badRequest("limit must be a whole number from 1 to 100")
        }
        return value
    }
}
