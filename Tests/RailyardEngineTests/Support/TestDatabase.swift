import Foundation
import Testing
import PostgresClient
@testable import RailyardEngine

/// A fresh database on the test server that `make test` starts.
struct TestDatabase {
    let name: String
    let conninfo: String

    static func serverConninfo() throws -> String {
        try #require(ProcessInfo.processInfo.environment["RAILYARD_TEST_DATABASE_URL"],
                     "RAILYARD_TEST_DATABASE_URL is unset: run these tests with `make test`, which starts PostgreSQL")
    }

    static func create() throws -> TestDatabase {
        let server = try serverConninfo()
        let name = "ry_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(16).lowercased()
        let admin = try PostgresConnection(conninfo: server)
        try admin.execute("CREATE DATABASE \(name)")
        admin.close()
        return TestDatabase(name: name, conninfo: server + " dbname=\(name)")
    }

    func connect() throws -> PostgresConnection {
        try PostgresConnection(conninfo: conninfo)
    }

    @discardableResult
    func execute(_ sql: String) throws -> QueryResult {
        let connection = try connect()
        defer { connection.close() }
        return try connection.execute(sql)
    }

    func scalar(_ sql: String) throws -> String? {
        try execute(sql).scalar
    }

    func tableExists(_ name: String) throws -> Bool {
        try scalar("SELECT to_regclass('\(name)') IS NOT NULL") == "t"
    }

    /// Versions in the tracking table, in order.
    func trackedVersions() throws -> [String] {
        guard try tableExists("public.railyard_migrations") else { return [] }
        return try execute("SELECT version FROM railyard_migrations WHERE status = 'applied' ORDER BY version::numeric").rows.map { $0[0]! }
    }

    func migrator(_ folder: MigrationFolder, configure: (inout MigratorConfiguration) -> Void = { _ in }) -> Migrator {
        var configuration = MigratorConfiguration(conninfo: conninfo, directory: folder.url)
        configuration.lockRetryDelayMilliseconds = 100
        configure(&configuration)
        return Migrator(configuration: configuration)
    }
}

/// A temporary migrations folder.
final class MigrationFolder: @unchecked Sendable {
    let url: URL

    init(_ files: [String: String] = [:]) throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("railyard-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        for (name, contents) in files { try write(name, contents) }
    }

    /// A copy of the repository's own `migrations/`.
    static func repository() throws -> MigrationFolder {
        let folder = try MigrationFolder()
        let source = RepositoryPaths.root.appendingPathComponent("migrations")
        for name in try FileManager.default.contentsOfDirectory(atPath: source.path) {
            try FileManager.default.copyItem(at: source.appendingPathComponent(name), to: folder.url.appendingPathComponent(name))
        }
        return folder
    }

    func write(_ name: String, _ contents: String) throws {
        try contents.write(to: url.appendingPathComponent(name), atomically: true, encoding: .utf8)
    }

    deinit { try? FileManager.default.removeItem(at: url) }
}

enum RepositoryPaths {
    static var root: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
    }

    static var cliBinary: String {
        ProcessInfo.processInfo.environment["RAILYARD_CLI_BIN"]
            ?? root.appendingPathComponent(".build/debug/railyard").path
    }

    static var serverBinary: String {
        ProcessInfo.processInfo.environment["RAILYARD_SERVER_BIN"]
            ?? root.appendingPathComponent(".build/debug/railyard-server").path
    }
}

extension TestDatabase {
    /// `railyard-server migrate --dir folder` against this database, as Railway's pre-deploy runs it.
    func migrateCommand(_ folder: MigrationFolder, _ extra: [String] = [], environment: [String: String] = [:],
                        timeout: TimeInterval = 60) throws -> (status: Int32, stdout: String, stderr: String) {
        try Subprocess.run(RepositoryPaths.serverBinary, ["migrate", "--dir", folder.url.path] + extra,
                           environment: ["DATABASE_URL": conninfo].merging(environment) { $1 }, timeout: timeout)
    }
}
