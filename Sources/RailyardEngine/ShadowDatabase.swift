import Foundation
import PostgresClient

/// Where `verify` replays the migrations: a private throwaway cluster (like
/// the embedded one, durability off), or a scratch database it creates on
/// the server a URL names and drops afterwards.
final class ShadowDatabase {
    /// "a throwaway PostgreSQL" or "a scratch database railyard_verify_… on the shadow server".
    let description: String
    private let connectToShadow: () throws -> PostgresConnection
    private var cleanup: (() -> Void)?

    private init(description: String, connect: @escaping () throws -> PostgresConnection, cleanup: @escaping () -> Void) {
        self.description = description
        self.connectToShadow = connect
        self.cleanup = cleanup
    }

    deinit { close() }

    func connect() throws -> PostgresConnection {
        try connectToShadow()
    }

    /// Drops the scratch database, or stops and removes the throwaway cluster.
    func close() {
        cleanup?()
        cleanup = nil
    }

    static func start(url: String?, log: @escaping (String) -> Void) throws -> ShadowDatabase {
        if let url { return try scratchDatabase(on: url) }
        return try throwawayCluster(log: log)
    }

    private static func throwawayCluster(log: @escaping (String) -> Void) throws -> ShadowDatabase {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("railyard-shadow-\(UUID().uuidString.prefix(8))")
        let cluster = EmbeddedDatabase(stateDirectory: directory,
                                       serverOptions: "-c fsync=off -c synchronous_commit=off -c full_page_writes=off",
                                       log: { _ in })
        let remove = {
            cluster.stop()
            let link = directory.appendingPathComponent("postgres").path
            if let outside = try? FileManager.default.destinationOfSymbolicLink(atPath: link) {
                try? FileManager.default.removeItem(atPath: (outside as NSString).deletingLastPathComponent)
            }
            try? FileManager.default.removeItem(at: directory)
        }
        let conninfo: String
        do {
            conninfo = try cluster.start()
        } catch {
            remove()
            throw error
        }
        return ShadowDatabase(description: "a throwaway PostgreSQL", connect: { try open(conninfo) }, cleanup: remove)
    }

    private static func scratchDatabase(on url: String) throws -> ShadowDatabase {
        let admin = try open(url)
        let name = "railyard_verify_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(12)
        do {
            try admin.execute("CREATE DATABASE \(name)")
        } catch {
            admin.close()
            throw EngineError.database(context: "creating the scratch database \(name) on the shadow server (the role needs CREATEDB)", error)
        }
        return ShadowDatabase(description: "a scratch database \(name) on the shadow server", connect: { try open(url, database: name) }, cleanup: {
            _ = try? admin.execute("DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
            admin.close()
        })
    }

    private static func open(_ conninfo: String, database: String? = nil) throws -> PostgresConnection {
        do {
            return try PostgresConnection(conninfo: conninfo, applicationName: "railyard-verify", database: database)
        } catch {
            throw EngineError.unreachable(error)
        }
    }
}
