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
            let migration = try Self.state(version, in: report.states)
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
            let file: MigrationFile
            switch catalog.file(version) {
            case .found(let found): file = found
            case .none: throw Problem.notFound("no migration file has version \(version)")
            case .ambiguous(let files): throw Problem.ambiguous(version, ids: files.map(\.id))
            }
            return JSONResponse(value: RollbackScaffold.make(for: file.reparsed()))
        }

        group.post("api/migrations/:version/repair") { request, context in
            try context.requireAdmin()
            let version = try Self.state(try context.version(), in: try await state.status().report.states).id
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

    /// The migration a path names, or the problem that answers the request.
    static func state(_ reference: String, in states: [MigrationState]) throws -> MigrationState {
        switch MigrationReference.resolve(reference, in: states, id: \.id) {
        case .found(let found): return found
        case .none: throw Problem.notFound("no migration has version \(reference)")
        case .ambiguous(let states): throw Problem.ambiguous(reference, ids: states.map(\.id))
        }
    }
}
