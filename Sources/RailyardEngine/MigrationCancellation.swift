import Foundation
import PostgresClient

/// Stops a run from another thread: no further migration starts, and the
/// statement running now is cancelled (its migration rolls back).
public final class MigrationCancellation: @unchecked Sendable {
    private let lock = NSLock()
    private var cancelled = false
    private var connection: PostgresConnection?

    public init() {}

    public var isCancelled: Bool {
        lock.lock()
        defer { lock.unlock() }
        return cancelled
    }

    public func cancel() {
        lock.lock()
        cancelled = true
        let running = connection
        lock.unlock()
        running?.requestCancel()
    }

    func attach(_ connection: PostgresConnection?) {
        lock.lock()
        self.connection = connection
        lock.unlock()
    }
}
