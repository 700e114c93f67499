import Foundation
import PostgresClient

/// A connection opened on another thread while the caller reads the
/// migrations folder: PostgreSQL starts its backend meanwhile.
final class PendingConnection: @unchecked Sendable {  // `result` and `discarded` are guarded by `lock`
    private let lock = NSCondition()
    private var result: Result<PostgresConnection, any Error>?
    private var discarded = false

    init(_ open: @escaping @Sendable () throws -> PostgresConnection) {
        Thread.detachNewThread { [self] in
            let opened = Result { try open() }
            lock.lock()
            defer { lock.unlock() }
            if discarded {
                if case .success(let connection) = opened { connection.close() }
                return
            }
            result = opened
            lock.broadcast()
        }
    }

    /// The connection, once open; throws what opening it threw.
    func get() throws -> PostgresConnection {
        lock.lock()
        defer { lock.unlock() }
        while result == nil { lock.wait() }
        return try result!.get()
    }

    /// Gives the connection up without waiting for it (closed once open).
    func discard() {
        lock.lock()
        defer { lock.unlock() }
        discarded = true
        if case .success(let connection)? = result { connection.close() }
    }
}
