import Foundation
import NIOPosix
import PostgresClient
import RailyardEngine

/// A few libpq connections for reads, used on a dedicated thread pool so
/// blocking libpq calls never run on the NIO event loops. Its size is both
/// the connection count and the concurrency limit.
final class DatabasePool: @unchecked Sendable {  // `idle` is guarded by `lock`; each connection is used by one pool thread at a time
    private let threads: NIOThreadPool
    private let lock = NSLock()
    private var idle: [PostgresConnection] = []
    private let migrator: Migrator

    init(migrator: Migrator, size: Int) {
        self.migrator = migrator
        threads = NIOThreadPool(numberOfThreads: size)
        threads.start()
    }

    /// Runs `body` with a connection on a pool thread. A connection that
    /// turns out dead is replaced once.
    func withConnection<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) throws -> T) async throws -> T {
        try await threads.runIfActive { [self] in
            var (connection, reused) = try checkout()
            while true {
                do {
                    let value = try body(connection)
                    checkin(connection)
                    return value
                } catch let error as PostgresError where error.kind == .connection && reused {
                    connection.close()
                    connection = try migrator.connect(applicationName: "railyard-server")
                    reused = false
                } catch {
                    if connection.isConnected && !connection.isInTransaction { checkin(connection) } else { connection.close() }
                    throw error
                }
            }
        }
    }

    private func checkout() throws -> (PostgresConnection, reused: Bool) {
        let cached = lock.withLock { idle.popLast() }
        if let cached, cached.isConnected { return (cached, true) }
        let connection = try migrator.connect(applicationName: "railyard-server")
        _ = try? connection.execute("SET statement_timeout = 10000")
        return (connection, false)
    }

    private func checkin(_ connection: PostgresConnection) {
        lock.withLock { idle.append(connection) }
    }

    func shutdown() async {
        try? await threads.shutdownGracefully()
        let all = lock.withLock {
            defer { idle.removeAll() }
            return idle
        }
        all.forEach { $0.close() }
    }
}
