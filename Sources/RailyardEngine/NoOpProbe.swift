import RailyardCore
import PostgresClient

/// What deciding that a run has nothing to do needs from the database,
/// asked in the round trip that prepares the session, as soon as the
/// connection opens: the migration lock, taken when it is free, and then,
/// holding it, the tracking rows' checksums when the tables need no upgrade
/// (`TrackingStore.currentChecksumsQuery`).
struct NoOpProbe {
    /// The `AdvisoryLock.tryLockQuery` row: the lock's first try (nil when the query failed).
    var lockAttempt: [String?]?
    /// Read holding the lock; nil when it was busy, or the tables are missing or need an upgrade.
    var records: [AppliedMigration]?

    /// Opens the session on `connection`: its settings (`settings`, one
    /// transaction of their own, so that nothing after them can undo them),
    /// then the probe. Throws when a setting fails; a failing probe query
    /// only leaves its part nil, for the usual path to ask again and word.
    static func prepare(_ connection: PostgresConnection, settings: [String],
                        configuration: MigratorConfiguration) throws -> NoOpProbe {
        let lock = AdvisoryLock(connection: connection, schema: configuration.schema)
        let store = TrackingStore(connection: connection, configuration: configuration)
        let queries = settings.map { (sql: $0, parameters: [String?]()) } + [lock.tryLockQuery, (store.currentChecksumsQuery, [])]
        let lockIndex = settings.count
        var lockRow: [String?]?
        var records: [AppliedMigration]?
        let errors: [PostgresError?]
        do {
            errors = try connection.pipelineOutcomes(queries, syncingAfter: [settings.count - 1]) { index, rows in
                if index == lockIndex {
                    lockRow = rows.count > 0 ? rows.row(0) : nil
                } else if index == lockIndex + 1 {
                    records = TrackingStore.checksums(from: rows)
                }
            }
        } catch {
            throw EngineError.database(context: "preparing the session", error)
        }
        if let error = errors.prefix(settings.count).compactMap({ $0 }).first {
            throw EngineError.database(context: "preparing the session", error)
        }
        guard lockRow?.first == "t", let records else {
            return NoOpProbe(lockAttempt: lockRow, records: nil)
        }
        let needRekey = records.contains { TrackingStore.isKeyedByDigits(version: $0.version, filename: $0.filename) }
        return NoOpProbe(lockAttempt: lockRow, records: needRekey ? nil : records)
    }
}
