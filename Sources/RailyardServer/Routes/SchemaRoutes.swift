import Hummingbird
import RailyardAPI
import RailyardCore
import RailyardEngine

/// `GET /api/schema` (the live schema as a schema file) and
/// `GET /api/schema/drift` (how it differs from the committed one).
struct SchemaRoutes {
    let state: ServerState

    func register(on group: RouterGroup<RailyardRequestContext>) {
        group.get("api/schema") { _, _ in
            let schema = try await state.read { migrator, connection in try migrator.dumpSchema(connection: connection) }
            return Response(status: .ok, headers: [.contentType: "text/plain; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(string: schema.rendered())))
        }

        group.get("api/schema/drift") { _, _ in
            let path = state.configuration.migrator.schemaFileURL.path
            let drift = try await state.read { [drifts = state.drifts] migrator, connection in
                try drifts.drift(migrator, connection: connection, fresh: true)
            }
            guard let drift else {
                throw Problem.notFound("there is no schema file at \(path) to compare with: railyard-server dump (or verify --write-schema) writes it")
            }
            return JSONResponse(value: SchemaDriftAnswer(schemaFile: path, drift: drift))
        }
    }
}
