import Foundation
import RailyardCore
import PostgresClient

extension Migrator {
    /// The database's schema, without Railyard's own tables.
    public func dumpSchema() throws -> SchemaFile {
        let connection = try connect()
        defer { connection.close() }
        return try SchemaDumper(configuration: configuration).dump(connection)
    }

    public func dumpSchema(connection: PostgresConnection) throws -> SchemaFile {
        try SchemaDumper(configuration: configuration).dump(connection)
    }

    /// Writes the schema file (atomically); returns where.
    @discardableResult
    public func writeSchemaFile(_ schema: SchemaFile) throws -> URL {
        let url = configuration.schemaFileURL
        do {
            try Data(schema.rendered().utf8).write(to: url, options: .atomic)
        } catch {
            throw EngineError.configuration("cannot write the schema file \(url.path): \(error.localizedDescription)")
        }
        return url
    }

    /// The committed schema file, or nil when there is none.
    public func committedSchema() throws -> SchemaFile? {
        let url = configuration.schemaFileURL
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        do {
            return SchemaFile.parse(try String(contentsOf: url, encoding: .utf8))
        } catch {
            throw EngineError.configuration("cannot read the schema file \(url.path): \(error.localizedDescription)")
        }
    }

    /// How the live database differs from the committed schema file.
    public func drift(connection: PostgresConnection) throws -> SchemaDrift {
        guard let expected = try committedSchema() else { throw EngineError.noSchemaFile(configuration.schemaFileURL.path) }
        let live = try dumpSchema(connection: connection)
        return SchemaDrift.compare(expected: expected, actual: live,
                                   expectedLabel: configuration.schemaFileURL.lastPathComponent, actualLabel: "live database")
    }

    public func drift() throws -> SchemaDrift {
        let connection = try connect()
        defer { connection.close() }
        return try drift(connection: connection)
    }
}
