import Foundation
import Testing

/// A real PgBouncer (Debian's) in front of the test PostgreSQL.
public final class PgBouncer: @unchecked Sendable {
    public let process: Subprocess
    public let port: Int
    public let directory: URL

    public init(poolMode: String) throws {
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

    public func conninfo(database: String) -> String {
        "host=127.0.0.1 port=\(port) user=postgres dbname=\(database) sslmode=disable"
    }

    deinit {
        process.kill(SIGTERM)
        process.wait(timeout: 5)
        try? FileManager.default.removeItem(at: directory)
    }
}
