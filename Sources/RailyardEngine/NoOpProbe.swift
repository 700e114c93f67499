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
        let outcomes: [Result<QueryResult, PostgresError>]
        do {
            outcomes = try connection.pipelineOutcomes(queries, syncingAfter: [settings.count - 1])
        } catch {
            throw EngineError.database(context: "preparing the session", error)
        }
        for outcome in outcomes.prefix(settings.count) {
            if case .failure(let error) = outcome { throw EngineError.database(context: "preparing the session", error) }
        }
        let lockRow = (try? outcomes[settings.count].get())?.rows.first
        guard lockRow?.first == "t", let rows = try? outcomes[settings.count + 1].get() else {
            return NoOpProbe(lockAttempt: lockRow, records: nil)
        }
        let records = TrackingStore.checksums(from: rows)
        let needRekey = records.contains { TrackingStore.isKeyedByDigits(version: $0.version, filename: $0.filename) }
        return NoOpProbe(lockAttempt: lockRow, records: needRekey ? nil : records)
    }
}
