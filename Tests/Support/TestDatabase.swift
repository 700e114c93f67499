import Foundation
import Testing
import PostgresClient
@testable import RailyardEngine

/// A fresh database on the test server that `make test` starts.
public struct TestDatabase {
    public let name: String
    public let conninfo: String

    public static func serverConninfo() throws -> String {
        try #require(ProcessInfo.processInfo.environment["RAILYARD_TEST_DATABASE_URL"],
                     "RAILYARD_TEST_DATABASE_URL is unset: run these tests with `make test`, which starts PostgreSQL")
    }

    public static func create() throws -> TestDatabase {
        let server = try serverConninfo()
        let name = "ry_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(16).lowercased()
        let admin = try PostgresConnection(conninfo: server)
        try admin.execute("CREATE DATABASE \(name)")
        admin.close()
        return TestDatabase(name: name, conninfo: server + " dbname=\(name)")
    }

    public func connect() throws -> PostgresConnection {
        try PostgresConnection(conninfo: conninfo)
    }

    @discardableResult
    public func execute(_ sql: String) throws -> QueryResult {
        let connection = try connect()
        defer { connection.close() }
        return try connection.execute(sql)
    }

    public func scalar(_ sql: String) throws -> String? {
        try execute(sql).scalar
    }

    public func tableExists(_ name: String) throws -> Bool {
        try scalar("SELECT to_regclass('\(name)') IS NOT NULL") == "t"
    }

    /// The versions (digits) of the applied migrations, in order.
    public func trackedVersions() throws -> [String] {
        guard try tableExists("public.railyard_migrations") else { return [] }
        return try execute("""
            SELECT substring(version from '^[0-9]+') FROM railyard_migrations WHERE status = 'applied'
            ORDER BY substring(version from '^[0-9]+')::numeric, version
            """).rows.map { $0[0]! }
    }

    public func migrator(_ folder: MigrationFolder, configure: (inout MigratorConfiguration) -> Void = { _ in }) -> Migrator {
        var configuration = MigratorConfiguration(conninfo: conninfo, directory: folder.url)
        configuration.lockRetryDelayMilliseconds = 100
        configure(&configuration)
        return Migrator(configuration: configuration)
    }
}

/// A temporary migrations folder.
public final class MigrationFolder: @unchecked Sendable {
    public let url: URL

    public init(_ files: [String: String] = [:]) throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("railyard-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        for (name, contents) in files { try write(name, contents) }
    }

    private init(url: URL) throws {
        self.url = url
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    /// A folder inside this one (a project's `migrations/`), made when missing.
    public func subfolder(_ name: String) throws -> MigrationFolder {
        try MigrationFolder(url: url.appendingPathComponent(name))
    }

    /// A copy of this folder's `.sql` files, as an older deployment had them.
    public func snapshot() throws -> MigrationFolder {
        let copy = try MigrationFolder()
        for name in try names() { try copy.write(name, try read(name)) }
        return copy
    }

    public func names() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: url.path).filter { $0.hasSuffix(".sql") }.sorted()
    }

    public func read(_ name: String) throws -> String {
        try String(contentsOf: url.appendingPathComponent(name), encoding: .utf8)
    }

    public func rename(_ name: String, to newName: String) throws {
        try FileManager.default.moveItem(at: url.appendingPathComponent(name), to: url.appendingPathComponent(newName))
    }

    /// A copy of the repository's own `migrations/`.
    public static func repository() throws -> MigrationFolder {
        let folder = try MigrationFolder()
        let source = RepositoryPaths.root.appendingPathComponent("migrations")
        for name in try FileManager.default.contentsOfDirectory(atPath: source.path) {
            try FileManager.default.copyItem(at: source.appendingPathComponent(name), to: folder.url.appendingPathComponent(name))
        }
        return folder
    }

    public func write(_ name: String, _ contents: String) throws {
        try contents.write(to: url.appendingPathComponent(name), atomically: true, encoding: .utf8)
    }

    deinit { try? FileManager.default.removeItem(at: url) }
}

public enum RepositoryPaths {
    public static var root: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
    }

    public static var cliBinary: String {
        ProcessInfo.processInfo.environment["RAILYARD_CLI_BIN"]
            ?? root.appendingPathComponent(".build/debug/railyard").path
    }

    public static var serverBinary: String {
        ProcessInfo.processInfo.environment["RAILYARD_SERVER_BIN"]
            ?? root.appendingPathComponent(".build/debug/railyard-server").path
    }
}

extension TestDatabase {
    /// `railyard-server migrate --dir folder` against this database, as Railway's pre-deploy runs it.
    public func migrateCommand(_ folder: MigrationFolder, _ extra: [String] = [], environment: [String: String] = [:],
                        timeout: TimeInterval = 60) throws -> (status: Int32, stdout: String, stderr: String) {
        try Subprocess.run(RepositoryPaths.serverBinary, ["migrate", "--dir", folder.url.path] + extra,
                           environment: ["DATABASE_URL": conninfo].merging(environment) { $1 }, timeout: timeout)
    }
}
