import Foundation
import RailyardAPI
import RailyardCore

/// Fans run events out to the streams' subscribers. One poller per server
/// looks at the runs someone follows (and, while anyone follows every run,
/// for new runs), however many subscribers there are; each event is
/// encoded once and the same bytes go to every subscriber.
final class EventHub: @unchecked Sendable {  // everything below `lock` is guarded by it
    enum Item: Sendable {
        case frame([UInt8])
        case heartbeat
    }

    typealias Stream = AsyncStream<Item>

    /// A subscriber's stream, and how it leaves when its client has gone.
    struct Subscription: Sendable {
        let stream: Stream
        let leave: @Sendable () -> Void
    }

    private struct Feed {
        var deriver = RunEventDeriver()
        var frames: [(sequence: Int, bytes: [UInt8])] = []
        var subscribers: [Int: Stream.Continuation] = [:]
        var finishedAt: Date?
    }

    private let source: RunSnapshots
    private let interval: Double
    private let heartbeat: Double
    private let lock = NSLock()
    private var feeds: [String: Feed] = [:]
    private var everything: [Int: Stream.Continuation] = [:]
    private var nextToken = 0
    private var poller: Task<Void, Never>?
    private var closed = false

    /// How long a run counts as new after it ended, for finding runs that began and ended between two looks.
    static let discoveryWindow = 10
    /// How long a finished run's events stay in memory with no one following it.
    static let keepFinished: TimeInterval = 60

    init(source: RunSnapshots, interval: Double = 0.2, heartbeat: Double) {
        self.source = source
        self.interval = interval
        self.heartbeat = heartbeat
    }

    var subscriberCount: Int {
        lock.withLock { everything.count + feeds.values.reduce(0) { $0 + $1.subscribers.count } }
    }

    // MARK: Subscribing

    /// Run `id`'s events after `sequence` (all for nil), then live ones until
    /// the run ends; nil when there is no such run.
    func subscribe(run id: String, after sequence: Int?) async -> Subscription? {
        guard let snapshot = await source.fetch([id]).first else { return nil }
        let (stream, continuation) = Stream.makeStream()
        let token = lock.withLock { () -> Int in
            ingest(snapshot)
            let token = newToken()
            let feed = feeds[id]!
            for frame in feed.frames where sequence.map({ frame.sequence > $0 }) ?? true {
                continuation.yield(.frame(frame.bytes))
            }
            if feed.deriver.isFinished {
                continuation.finish()
            } else {
                feeds[id]!.subscribers[token] = continuation
            }
            return token
        }
        startPolling()
        return Subscription(stream: stream) { [weak self] in
            self?.unsubscribe(token, run: id)
            continuation.finish()
        }
    }

    /// Every run's events from now on. After `resume` (a run and a sequence),
    /// first what came after it: the rest of that run, then the runs started
    /// since. Without it, the runs going on now from their start.
    func subscribeToEverything(resume: (runID: String, sequence: Int)?) async -> Subscription {
        let replayed: [String]
        if let resume {
            replayed = [resume.runID] + (await source.started(after: resume.runID))
        } else {
            replayed = []
        }
        let live = await source.live(endedWithin: Self.discoveryWindow)
        let snapshots = await source.fetch(replayed + live.filter { !replayed.contains($0) })
        let (stream, continuation) = Stream.makeStream()
        let token = lock.withLock { () -> Int in
            for snapshot in snapshots { ingest(snapshot) }
            for snapshot in snapshots {
                guard let feed = feeds[snapshot.id] else { continue }
                let after: Int?
                if snapshot.id == resume?.runID {
                    after = resume?.sequence
                } else if replayed.contains(snapshot.id) || !feed.deriver.isFinished {
                    after = nil
                } else {
                    continue
                }
                for frame in feed.frames where after.map({ frame.sequence > $0 }) ?? true {
                    continuation.yield(.frame(frame.bytes))
                }
            }
            let token = newToken()
            everything[token] = continuation
            return token
        }
        startPolling()
        return Subscription(stream: stream) { [weak self] in
            self?.unsubscribe(token, run: nil)
            continuation.finish()
        }
    }

    /// Ends every stream (the server is stopping).
    func close() {
        let all = lock.withLock { () -> [Stream.Continuation] in
            closed = true
            poller?.cancel()
            defer {
                everything.removeAll()
                for id in feeds.keys { feeds[id]!.subscribers.removeAll() }
            }
            return Array(everything.values) + feeds.values.flatMap { $0.subscribers.values }
        }
        all.forEach { $0.finish() }
    }

    private func newToken() -> Int {
        nextToken += 1
        return nextToken
    }

    private func unsubscribe(_ token: Int, run id: String?) {
        lock.withLock {
            if let id { feeds[id]?.subscribers[token] = nil } else { everything[token] = nil }
        }
    }

    // MARK: Watching

    /// Derives the snapshot's new events and sends them to whoever follows
    /// that run or every run. Called with `lock` held.
    private func ingest(_ run: Run) {
        var feed = feeds[run.id] ?? Feed()
        let events = feed.deriver.observe(run)
        var frames: [[UInt8]] = []
        for event in events {
            guard let message = try? ServerSentEvent(event) else { continue }
            feed.frames.append((event.sequence, message.encoded))
            frames.append(message.encoded)
        }
        if feed.deriver.isFinished, feed.finishedAt == nil { feed.finishedAt = Date() }
        for bytes in frames {
            for continuation in feed.subscribers.values { continuation.yield(.frame(bytes)) }
            for continuation in everything.values { continuation.yield(.frame(bytes)) }
        }
        // A run's own stream ends with the run.
        if feed.deriver.isFinished {
            let done = feed.subscribers.values
            feed.subscribers.removeAll()
            feeds[run.id] = feed
            done.forEach { $0.finish() }
        } else {
            feeds[run.id] = feed
        }
    }

    private func startPolling() {
        lock.withLock {
            guard poller == nil, !closed else { return }
            poller = Task { [weak self] in await self?.poll() }
        }
    }

    private func poll() async {
        var lastHeartbeat = Date()
        while !Task.isCancelled {
            try? await Task.sleep(nanoseconds: UInt64(interval * 1_000_000_000))
            let (followed, watchingAll) = lock.withLock { () -> ([String], Bool) in
                let now = Date()
                feeds = feeds.filter { $0.value.finishedAt.map { now.timeIntervalSince($0) < Self.keepFinished } ?? true || !$0.value.subscribers.isEmpty }
                return (feeds.filter { !$0.value.deriver.isFinished && (!$0.value.subscribers.isEmpty || !everything.isEmpty) }.map(\.key),
                        !everything.isEmpty)
            }
            var ids = followed
            if watchingAll {
                for id in await source.live(endedWithin: Self.discoveryWindow) where !ids.contains(id) {
                    if lock.withLock({ feeds[id] == nil }) { ids.append(id) }
                }
            }
            let snapshots = ids.isEmpty ? [] : await source.fetch(ids)
            let beat = Date().timeIntervalSince(lastHeartbeat) >= heartbeat
            if beat { lastHeartbeat = Date() }
            lock.withLock {
                for snapshot in snapshots { ingest(snapshot) }
                guard beat else { return }
                for continuation in everything.values { continuation.yield(.heartbeat) }
                for feed in feeds.values { for continuation in feed.subscribers.values { continuation.yield(.heartbeat) } }
            }
        }
    }
}
