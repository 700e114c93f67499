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
            var migrate = try await RequestBody.runRequest(&request, limit: state.configuration.maxBodyBytes)
            migrate.origin = RunOrigin(trigger: .api, requestedBy: "api (admin token)", host: ProcessInfo.processInfo.hostName)
            if let target = migrate.target {
                let catalog = try await state.catalog()
                guard catalog.files.contains(where: { VersionOrder.matches($0.id, target) }) else {
                    throw Problem.notFound("target \(target) is not the version of any migration file")
                }
            }
            // Another replica, or a pre-deploy command, may be migrating.
            let elsewhere = try await state.read { [journal = state.runs.journal, schema = state.configuration.migrator.schema] _, connection in
                try AdvisoryLock.isHeld(schema: schema, on: connection) ? (try journal.activeRunID(on: connection) ?? "") : nil
            }
            do {
                if let elsewhere { throw RunManager.StartError.busy(activeID: elsewhere) }
                let run = try state.runs.start(migrate)
                return JSONResponse(value: run, status: .accepted, headers: [.location: "/api/runs/\(run.id)"])
            } catch RunManager.StartError.busy(let activeID) {
                throw Self.conflict(activeID)
            } catch RunManager.StartError.shuttingDown {
                throw Problem.unavailable("the server is shutting down")
            }
        }

        group.get("api/runs") { request, _ in
            let limit = try Self.limit(request)
            let stored = try await state.read { [journal = state.runs.journal] _, connection in
                try journal.recent(limit: limit, on: connection)
            }
            var byID = Dictionary(stored.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
            for run in state.runs.localRuns() where byID[run.id]?.status.isFinished != true { byID[run.id] = run }
            let runs = byID.values.sorted { $0.startedAt > $1.startedAt }.prefix(limit)
            return JSONResponse(value: RunList(runs: Array(runs)))
        }

        group.get("api/runs/:id") { _, context in
            let id = try Self.runID(context)
            // This server's own runs come from memory: live, with their notices.
            if let run = state.runs.local(id: id) { return JSONResponse(value: run) }
            let stored = try await state.read { [journal = state.runs.journal] _, connection in
                try journal.find(id: id, on: connection)
            }
            guard let run = stored ?? state.runs.local(id: id) else { throw Problem.notFound("no run has id \(id)") }
            return JSONResponse(value: run)
        }

        group.post("api/runs/:id/cancel") { _, context in
            try context.requireAdmin()
            let id = try Self.runID(context)
            let who = "api (admin token)"
            if state.runs.cancelLocal(id: id, by: who) {
                return JSONResponse(value: state.runs.local(id: id), status: .accepted)
            }
            let (run, requested) = try await state.read { [journal = state.runs.journal] _, connection -> (Run?, Bool) in
                guard let run = try journal.find(id: id, on: connection) else { return (nil, false) }
                guard !run.status.isFinished, try journal.requestCancel(id: id, by: who, on: connection) else { return (run, false) }
                return (try journal.find(id: id, on: connection), true)
            }
            guard let run else { throw Problem.notFound("no run has id \(id)") }
            // A cancel this request made is accepted, even when the run has ended of it by the time it is read again.
            guard requested || !run.status.isFinished else {
                var problem = Problem(.conflict, "run-finished", title: "Run already finished",
                                      detail: "run \(id) has finished (\(run.status.rawValue)); there is nothing to cancel")
                problem.extra["status"] = .string(run.status.rawValue)
                throw problem
            }
            return JSONResponse(value: run, status: .accepted)
        }
    }

    static func conflict(_ activeID: String) -> Problem {
        let detail = activeID.isEmpty
            ? "another migrator holds the migration lock; try again when it has finished"
            : "run \(activeID) is in progress; follow it at /api/runs/\(activeID)"
        var problem = Problem(.conflict, "run-in-progress", title: "Run in progress", detail: detail)
        if !activeID.isEmpty { problem.extra["active_run"] = .string(activeID) }
        return problem
    }

    static func runID(_ context: RailyardRequestContext) throws -> String {
        let id = context.parameters.get("id") ?? ""
        guard UUID(uuidString: id) != nil else {
            throw Problem.badRequest("a run id is a UUID, not '\(id.prefix(64))'")
        }
        return id.lowercased()
    }

    static func limit(_ request: Request) throws -> Int {
        guard let text = request.uri.queryParameters.get("limit") else { return 20 }
        guard let value = Int(text), (1...100).contains(value) else {
            throw Problem.badRequest("limit must be a whole number from 1 to 100")
        }
        return value
    }
}
