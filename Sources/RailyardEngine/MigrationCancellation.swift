import Foundation
import PostgresClient

/// Stops a run from another thread: no further migration starts, a wait
/// (for the lock, a back-off) ends, and the statement running now is
/// cancelled (its migration rolls back).
public final class MigrationCancellation: @unchecked Sendable {  // every field is guarded by `condition`
    private let condition = NSCondition()
    private var cancelled = false
    private var who: String?
    private var connection: PostgresConnection?

    public init() {}

    public var isCancelled: Bool {
        condition.lock()
        defer { condition.unlock() }
        return cancelled
    }

    /// Who cancelled the run ("SIGTERM", "api (admin token)", …).
    public var cancelledBy: String? {
        condition.lock()
        defer { condition.unlock() }
        return who
    }

    public func cancel(by: String? = nil) {
        condition.lock()
        if !cancelled { who = by }
        cancelled = true
        let running = connection
        condition.broadcast()
        condition.unlock()
        running?.requestCancel()
    }

    /// Sleeps up to `seconds`; returns early (true) when cancelled.
    @discardableResult
    func sleep(_ seconds: Double) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        condition.lock()
        defer { condition.unlock() }
        while !cancelled && Date() < deadline { _ = condition.wait(until: deadline) }
        return cancelled
    }

    func attach(_ connection: PostgresConnection?) {
        condition.lock()
        self.connection = connection
        condition.unlock()
    }
}
