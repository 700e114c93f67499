import RailyardCore

/// The JSON shape of `GET /api/schema/drift`, shared by the server and the CLI.
public struct SchemaDriftAnswer: Sendable, Codable {
    public var drift: Bool
    public var schemaFile: String
    public var objects: [SchemaDrift.Object]
    public var diff: String

    enum CodingKeys: String, CodingKey {
        case drift, objects, diff
        case schemaFile = "schema_file"
    }

    public init(schemaFile: String, drift: SchemaDrift) {
        self.drift = !drift.isEmpty
        self.schemaFile = schemaFile
        self.objects = drift.objects
        self.diff = drift.diff
    }
}
