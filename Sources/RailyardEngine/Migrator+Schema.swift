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

    /// The committed schema file's text, or nil when there is none (or it cannot be read).
    public func committedSchemaText() -> String? {
        try? String(contentsOf: configuration.schemaFileURL, encoding: .utf8)
    }

    /// How the live database differs from the committed schema file.
    public func drift(connection: PostgresConnection) throws -> SchemaDrift {
        try drift(from: try requiredSchema(), connection: connection)
    }

    /// Reads the schema file before connecting: without one there is nothing to connect for.
    public func drift() throws -> SchemaDrift {
        try drift(from: try requiredSchema())
    }

    /// How the live database differs from `expected`, over a connection of its own.
    public func drift(from expected: SchemaFile) throws -> SchemaDrift {
        let connection = try connect()
        defer { connection.close() }
        return try drift(from: expected, connection: connection)
    }

    private func requiredSchema() throws -> SchemaFile {
        guard let expected = try committedSchema() else { throw EngineError.noSchemaFile(configuration.schemaFileURL.path) }
        return expected
    }

    private func drift(from expected: SchemaFile, connection: PostgresConnection) throws -> SchemaDrift {
        SchemaDrift.compare(expected: expected, actual: try dumpSchema(connection: connection),
                            expectedLabel: configuration.schemaFileURL.lastPathComponent, actualLabel: "live database")
    }
}
