import Foundation
import RailyardEngine

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

    public init(migrator: MigratorConfiguration, adminToken: String, readToken: String? = nil) {
        self.migrator = migrator
        self.adminToken = adminToken
        self.readToken = readToken
    }
}

/// The admin token: `RAILYARD_ADMIN_TOKEN`, or one generated at start and
/// written (mode 0600) where the CLI finds it for loopback servers.
public enum AdminToken {
    public static let fileName = "admin-token"

    /// A new random token written to `stateDirectory/admin-token`.
    public static func generate(in stateDirectory: URL) throws -> (token: String, path: String) {
        var bytes = [UInt8](repeating: 0, count: 32)
        var generator = SystemRandomNumberGenerator()
        for index in bytes.indices { bytes[index] = generator.next() }
        let token = bytes.map { String(format: "%02x", $0) }.joined()
        try FileManager.default.createDirectory(at: stateDirectory, withIntermediateDirectories: true)
        let path = stateDirectory.appendingPathComponent(fileName).path
        try? FileManager.default.removeItem(atPath: path)
        guard FileManager.default.createFile(atPath: path, contents: Data((token + "\n").utf8),
                                             attributes: [.posixPermissions: 0o600]) else {
            throw EngineError.configuration("cannot write the admin token to \(path)")
        }
        return (token, path)
    }
}
