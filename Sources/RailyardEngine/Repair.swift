import Foundation
import RailyardCore
import PostgresClient

extension Migrator {
    /// Repairs one migration's tracking row under the migration lock, and
    /// records it as a run (trigger `repair`) saying who and why.
    public func repair(_ action: RepairAction, version: String, reason: String, origin: RunOrigin) throws -> Run {
        guard !reason.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw EngineError.configuration("a repair needs a reason: it is recorded with the run")
        }
        let catalog = try loadCatalog()
        let connection = try connect()
        defer { connection.close() }
        let lock = AdvisoryLock(connection: connection, schema: configuration.schema,
                                allowsSessionPooler: configuration.allowsSessionPooler)
        try lock.acquire(waitingUpTo: configuration.lockWaitSeconds, cancellation: nil) { _ in }
        defer { lock.release() }
        let store = TrackingStore(connection: connection, configuration: configuration)
        guard try store.existsUpgrading() else {
            throw EngineError.configuration("nothing to repair: the database has no tracking table yet")
        }
        let states = Planner.states(files: catalog.files, records: try store.records())
        let state: MigrationState
        switch MigrationReference.resolve(version, in: states, id: \.id) {
        case .found(let found): state = found
        case .none: throw EngineError.configuration("no migration has version \(version), in the folder or the tracking table")
        case .ambiguous(let found): throw EngineError.configuration(MigrationReference.ambiguity(version, ids: found.map(\.id)))
        }
        guard action.expected.contains(state.status) else {
            throw EngineError.configuration("\(state.filename) is \(state.status.rawValue): \(action.rawValue) applies only to a migration that is "
                                            + action.expected.map(\.rawValue).sorted().joined(separator: " or "))
        }
        let table = configuration.migrationsTable
        let note: String
        switch action {
        case .accept where state.status == .renamed:
            try store.query("recording \(state.filename) as the new name of \(state.record?.filename ?? "?")", """
                UPDATE \(table) SET version = $2, name = $3, filename = $4 WHERE version = $1
                """, [state.record?.version, state.id, state.name, state.filename])
            note = "recorded the new file name (applied as \(state.record?.filename ?? "?"))"
        case .accept:
            try store.query("accepting \(state.filename)'s checksum",
                            "UPDATE \(table) SET checksum = $2 WHERE version = $1", [state.record?.version ?? version, state.file?.checksum])
            note = "accepted the file's current checksum"
        case .resolve:
            try store.query("resolving \(state.filename)", """
                UPDATE \(table) SET status = 'applied', failed_statement = NULL, error = NULL, completed_checksum = NULL,
                    checksum = coalesce($2, checksum), applied_by = $3
                WHERE version = $1
                """, [state.record?.version ?? version, state.file?.checksum, configuration.appliedBy])
            note = "marked applied: finished by hand"
        case .forget:
            try store.query("forgetting \(state.filename)", "DELETE FROM \(table) WHERE version = $1", [state.record?.version ?? version])
            note = "forgot its tracking row"
        }
        let journal = RunJournal(configuration: configuration)
        var run = Run(origin: origin, steps: [RunStep(version: state.version, filename: state.filename, status: .applied,
                                                      note: "\(action.rawValue): \(note); reason: \(reason)")])
        try journal.recordStarted(run, on: connection)
        run.status = .succeeded
        run.finishedAt = Date()
        try journal.recordFinished(run, on: connection)
        return run
    }
}
