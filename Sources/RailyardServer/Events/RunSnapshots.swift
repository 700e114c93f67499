import Foundation
import RailyardCore
import RailyardEngine

/// Where the event streams look at runs: this server's own run in memory
/// (live, down to the wait for the migration lock), any other run in the
/// database, whichever replica or command is running it.
struct RunSnapshots: Sendable {
    let runs: RunManager
    let pool: DatabasePool

    /// The runs with these ids that exist, in the order asked.
    func fetch(_ ids: [String]) async -> [Run] {
        var found: [String: Run] = [:]
        var stored: [String] = []
        for id in ids {
            if let run = runs.local(id: id) { found[id] = run } else { stored.append(id) }
        }
        if !stored.isEmpty {
            let rows = (try? await pool.withConnection { [journal = runs.journal, stored] connection in
                try stored.compactMap { try journal.find(id: $0, on: connection) }
            }) ?? []
            for run in rows { found[run.id] = run }
        }
        return ids.compactMap { found[$0] }
    }

    /// Runs going on now (and those that ended within `seconds`), anywhere.
    func live(endedWithin seconds: Int) async -> [String] {
        var ids = (try? await pool.withConnection { [journal = runs.journal] connection in
            try journal.liveRunIDs(endedWithin: seconds, on: connection)
        }) ?? []
        for run in runs.localRuns().reversed() where !ids.contains(run.id) {
            if !run.status.isFinished || (run.finishedAt.map { Date().timeIntervalSince($0) < Double(seconds) } ?? false) { ids.append(run.id) }
        }
        return ids
    }

    /// Runs started after run `id`, oldest first.
    func started(after id: String) async -> [String] {
        (try? await pool.withConnection { [journal = runs.journal] connection in
            try journal.runIDs(startedAfter: id, limit: 20, on: connection)
        }) ?? []
    }
}
