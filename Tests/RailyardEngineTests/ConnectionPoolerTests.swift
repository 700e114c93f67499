import Foundation
import Testing
@testable import RailyardEngine

/// A real PgBouncer (Debian's) in front of the test PostgreSQL.
final class PgBouncer: @unchecked Sendable {
    let process: Subprocess
    let port: Int
    let directory: URL

    init(poolMode: String) throws {
        let server = try TestDatabase.serverConninfo()
        let socket = try #require(server.split(separator: " ").first { $0.hasPrefix("host=") }?.dropFirst(5))
        directory = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("railyard-pgbouncer-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        port = Int.random(in: 20_000...40_000)
        let config = """
            [databases]
            * = host=\(socket) port=5432 user=postgres
            [pgbouncer]
            listen_addr = 127.0.0.1
            listen_port = \(port)
            unix_socket_dir =
            auth_type = trust
            auth_file = \(directory.path)/users.txt
            pool_mode = \(poolMode)
            default_pool_size = 4
            ignore_startup_parameters = extra_float_digits
            logfile = \(directory.path)/pgbouncer.log
            """
        try Data(config.utf8).write(to: directory.appendingPathComponent("pgbouncer.ini"))
        try Data("\"postgres\" \"\"\n".utf8).write(to: directory.appendingPathComponent("users.txt"))
        let asPostgres = geteuid() == 0
        if asPostgres {
            for path in [directory.path, directory.path + "/pgbouncer.ini", directory.path + "/users.txt"] {
                _ = try Subprocess.run("/bin/chown", ["postgres", path])
            }
        }
        process = asPostgres
            ? try Subprocess("/usr/sbin/runuser", ["-u", "postgres", "--", "/usr/sbin/pgbouncer", directory.path + "/pgbouncer.ini"])
            : try Subprocess("/usr/sbin/pgbouncer", [directory.path + "/pgbouncer.ini"])
        let listening = eventually(timeout: 10) {
            (try? String(contentsOfFile: self.directory.path + "/pgbouncer.log", encoding: .utf8))?.contains("listening on") == true
        }
        try #require(listening, "pgbouncer did not start: \(process.stderr)")
    }

    func conninfo(database: String) -> String {
        "host=127.0.0.1 port=\(port) user=postgres dbname=\(database) sslmode=disable"
    }

    deinit {
        process.kill(SIGTERM)
        process.wait(timeout: 5)
        try? FileManager.default.removeItem(at: directory)
    }
}

@Suite("Connection poolers", .serialized)
struct ConnectionPoolerTests {
    func migrate(_ folder: MigrationFolder, conninfo: String, environment: [String: String] = [:]) throws -> (status: Int32, stdout: String, stderr: String) {
        try Subprocess.run(RepositoryPaths.serverBinary, ["migrate", "--dir", folder.url.path],
                           environment: ["DATABASE_URL": conninfo].merging(environment) { $1 }, timeout: 60)
    }

    @Test func transactionPoolingIsRefusedBeforeAnythingRuns() throws {
        let bouncer = try PgBouncer(poolMode: "transaction")
        let database = try TestDatabase.create()
        let folder = try MigrationFolder(["20250101000000_a.sql": "CREATE TABLE a ();"])
        let result = try migrate(folder, conninfo: bouncer.conninfo(database: database.name))
        #expect(result.status == 1)
        #expect(result.stderr.contains("connection pooler"), "\(result.stderr)")
        #expect(result.stderr.contains("direct URL"))
        #expect(try !database.tableExists("a"))
        #expect(try !database.tableExists("public.railyard_migrations"))
        // The database's direct URL works.
        let direct = try migrate(folder, conninfo: database.conninfo)
        #expect(direct.status == 0, "\(direct.stderr)")
    }

    @Test func sessionPoolingWorksWhenDeclaredAndTheLockHolds() throws {
        let bouncer = try PgBouncer(poolMode: "session")
        let database = try TestDatabase.create()
        let folder = try MigrationFolder([
            "20250101000000_a.sql": "CREATE TABLE a ();",
            "20250102000000_slow.sql": "SELECT pg_sleep(1); CREATE TABLE b ();",
        ])
        let refused = try migrate(folder, conninfo: bouncer.conninfo(database: database.name))
        #expect(refused.status == 1, "an undeclared pooler is refused")
        // Two migrators through the session pooler at once: each migration once.
        let environment = ["RAILYARD_POOLER": "session"]
        let conninfo = bouncer.conninfo(database: database.name)
        let first = try Subprocess(RepositoryPaths.serverBinary, ["migrate", "--dir", folder.url.path],
                                   environment: ["DATABASE_URL": conninfo].merging(environment) { $1 })
        let second = try migrate(folder, conninfo: conninfo, environment: environment)
        #expect(first.wait(timeout: 60) == 0, "\(first.stderr)")
        #expect(second.status == 0, "\(second.stderr)")
        #expect(try database.trackedVersions() == ["20250101000000", "20250102000000"])
        #expect((first.stdout + second.stdout).components(separatedBy: "✓ Completed migration: 20250102000000_slow.sql").count == 2)
    }
}
