import PostgresClient

/// What `setup` reports about the server it reached.
public struct ServerFacts: Sendable {
    public struct Extension: Sendable {
        public var name: String
        public var available: Bool
        public var installedVersion: String?
    }

    public var version: String
    public var database: String
    public var user: String
    public var extensions: [Extension]

    /// Reads the facts over `connection`; `extensions` are looked up in
    /// `pg_available_extensions`.
    public static func read(_ connection: PostgresConnection, extensions: [String]) throws -> ServerFacts {
        do {
            let row = try connection.execute("SELECT current_setting('server_version'), current_database(), current_user").rows[0]
            let available = try connection.execute(
                "SELECT name, installed_version FROM pg_available_extensions WHERE name = ANY($1::text[])",
                ["{" + extensions.joined(separator: ",") + "}"])
            let found = Dictionary(available.rows.map { ($0[0] ?? "", $0[1]) }, uniquingKeysWith: { a, _ in a })
            return ServerFacts(
                version: row[0] ?? "?", database: row[1] ?? "?", user: row[2] ?? "?",
                extensions: extensions.map { name in
                    Extension(name: name, available: found.keys.contains(name), installedVersion: found[name] ?? nil)
                })
        } catch {
            throw EngineError.database(context: "reading server facts", error)
        }
    }
}
