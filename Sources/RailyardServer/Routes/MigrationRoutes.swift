import Foundation
import RailyardAPI
import Hummingbird
import RailyardCore
import RailyardEngine

/// `GET /api/migrations`, `GET /api/migrations/{version}` and
/// `POST /api/migrations/{version}/rollback-scaffold` (all read).
struct MigrationRoutes {
    let state: ServerState

    struct Detail: Encodable, Sendable {
        var entry: MigrationListing.Entry
        var upSQL: String
        var downSQL: String?
        var statementCount: Int
        var lint: [Diagnostic]

        enum CodingKeys: String, CodingKey {
            case upSQL = "up_sql", downSQL = "down_sql", statementCount = "statement_count", lint
        }

        func encode(to encoder: any Encoder) throws {
            try entry.encode(to: encoder)
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(upSQL, forKey: .upSQL)
            try container.encode(downSQL, forKey: .downSQL)
            try container.encode(statementCount, forKey: .statementCount)
            try container.encode(lint, forKey: .lint)
        }
    }

    func register(on group: RouterGroup<RailyardRequestContext>) {
        group.get("api/migrations") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json"],
                     body: .init(byteBuffer: ByteBuffer(bytes: try await state.listingBody())))
        }

        group.get("api/migrations/:version") { _, context in
            let version = try context.version()
            let (report, catalog) = try await state.status()
            guard let migration = report.states.first(where: { VersionOrder.same($0.version, version) }) else {
                throw Problem.notFound("no migration has version \(version)")
            }
            let entry = MigrationListing(states: [migration]).migrations[0]
            let file = migration.file?.reparsed()
            return JSONResponse(value: Detail(
                entry: entry, upSQL: file?.upText ?? "", downSQL: file?.downText,
                statementCount: file?.executableStatements.count ?? 0,
                lint: catalog.lintFindings(of: file, named: migration.filename)))
        }

        group.post("api/migrations/:version/rollback-scaffold") { request, context in
            try RequestBody.refuseOversized(request, limit: state.configuration.maxBodyBytes)
            let version = try context.version()
            let catalog = try await state.catalog()
            guard let file = catalog.file(version: version) else {
                throw Problem.notFound("no migration file has version \(version)")
            }
            return JSONResponse(value: RollbackScaffold.make(for: file.reparsed()))
        }

        group.post("api/migrations/:version/repair") { request, context in
            try context.requireAdmin()
            let version = try context.version()
            var request = request
            let (action, reason) = try await RequestBody.repairRequest(&request, limit: state.configuration.maxBodyBytes)
            let origin = RunOrigin(trigger: .repair, requestedBy: "api (admin token)", host: ProcessInfo.processInfo.hostName)
            let migrator = Migrator(configuration: state.configuration.migrator)
            do {
                let run = try await Task.detached { try migrator.repair(action, version: version, reason: reason, origin: origin) }.value
                return JSONResponse(value: run)
            } catch let error as EngineError {
                if case .configuration(let message) = error {
                    throw message.hasPrefix("no migration has version") ? Problem.notFound(message) : Problem(.conflict, "repair-refused", title: "Repair refused", detail: message)
                }
                throw Problem.unavailable("\(error)")
            }
        }
    }
}
