import Foundation
import RailyardEngine
#if canImport(Glibc)
import Glibc
#endif

/// Everything `railyard-server serve` needs to know.
public struct ServerConfiguration: Sendable {
    public var host = "::"
    public var port = 8080
    /// Template for runs: database, folder, schema, timeouts.
    public var migrator: MigratorConfiguration
    public var adminToken: String
    public var readToken: String?
    /// Connections (and threads) serving reads.
    public var poolSize = 4
    /// How long health waits for the database before answering 503.
    public var healthDeadlineSeconds = 2.0
    /// On SIGTERM: how long a running migration may go on before it is cancelled.
    public var shutdownGraceSeconds = 20.0
    /// A connection that sends no complete request part (a whole header block,
    /// a body chunk) for this long is closed.
    public var idleTimeoutSeconds = 30.0
    /// Largest request body accepted.
    public var maxBodyBytes = 64 * 1024
    /// Browser origins allowed to call the API (`RAILYARD_CORS_ORIGINS`); none by default.
    public var corsOrigins: Set<String> = []
    /// How often an event stream with nothing to say sends a comment line, so proxies keep it open.
    public var heartbeatSeconds = 15.0
    /// Called with the bound port once the server listens.
    public var onListening: (@Sendable (Int) -> Void)?

    public init(migrator: MigratorConfiguration, adminToken: String, readToken: String? = nil) {
        self.migrator = migrator
        self.adminToken = adminToken
        self.readToken = readToken
    }
}

/// The admin token: `RAILYARD_ADMIN_TOKEN`, or one generated at start and
/// written where the CLI finds it for loopback servers: `admin-token` in
/// the state folder (0700), mode 0600 from its creation, with the port of
/// the server that wrote it, so the CLI sends it to that server only.
///
/// ```
/// 3f9c…e1
/// port=8080
/// ```
public enum AdminToken {
    public static let fileName = "admin-token"

    /// A new random token.
    public static func generate() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
    }

    /// Checks that the state folder is private (creating it 0700), so that
    /// writing the token later cannot fail or leak; returns the file's path.
    public static func prepare(in stateDirectory: URL) throws -> String {
        do {
            try PrivateDirectory.prepare(stateDirectory.path, strict: false)
        } catch {
            throw EngineError.configuration("cannot keep the admin token private: \(error)")
        }
        return stateDirectory.appendingPathComponent(fileName).path
    }

    /// Writes the token for the server listening on `port`: a new file
    /// created 0600 (never through a link), then renamed over the old one.
    public static func write(_ token: String, port: Int, to path: String) throws {
        let temporary = path + ".\(getpid()).tmp"
        unlink(temporary)
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw EngineError.configuration("cannot create \(temporary): \(String(cString: strerror(errno)))")
        }
        let bytes = Array("\(token)\nport=\(port)\n".utf8)
        let written = Glibc.write(descriptor, bytes, bytes.count)
        close(descriptor)
        guard written == bytes.count, rename(temporary, path) == 0 else {
            unlink(temporary)
            throw EngineError.configuration("cannot write the admin token to \(path): \(String(cString: strerror(errno)))")
        }
    }
}
