import Foundation
import PostgresClient

/// A connection opened on another thread while the caller reads the
/// migrations folder: PostgreSQL starts its backend meanwhile, and a first
/// query (`prefetch`) may run on it too.
final class PendingConnection<Prefetched>: @unchecked Sendable {  // `result` and `discarded` are guarded by `lock`
    private let lock = NSCondition()
    private var result: Result<(PostgresConnection, Prefetched), any Error>?
    private var discarded = false

    init(_ open: @escaping @Sendable () throws -> PostgresConnection,
         prefetch: @escaping @Sendable (PostgresConnection) -> Prefetched) {
        Thread.detachNewThread { [self] in
            let opened = Result { () throws -> (PostgresConnection, Prefetched) in
                let connection = try open()
                return (connection, prefetch(connection))
            }
            lock.lock()
            defer { lock.unlock() }
            if discarded {
                if case .success(let (connection, _)) = opened { connection.close() }
                return
            }
            result = opened
            lock.broadcast()
        }
    }

    /// The connection and what was fetched on it, once open; throws what opening it threw.
    func get() throws -> (connection: PostgresConnection, prefetched: Prefetched) {
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
        if case .success(let (connection, _))? = result { connection.close() }
    }
}

extension PendingConnection where Prefetched == Void {
    convenience init(_ open: @escaping @Sendable () throws -> PostgresConnection) {
        self.init(open, prefetch: { _ in })
    }
}
