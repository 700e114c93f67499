import Metrics
import RailyardAPI
import RailyardCore

/// The series `/metrics` exports besides the HTTP ones, named as Prometheus
/// names them (`railyard_` prefix, `_total` counters, `_seconds` durations).
/// Each exists from the start, at zero, so that a dashboard's queries find
/// them before the first run.
enum ServerMetrics {
    static let pending = Gauge(label: "railyard_migrations_pending")
    static let failed = Gauge(label: "railyard_migrations_failed")
    static let changed = Gauge(label: "railyard_migrations_changed")
    static let missing = Gauge(label: "railyard_migrations_missing")
    static let invalid = Gauge(label: "railyard_migrations_invalid")
    static let databaseUp = Gauge(label: "railyard_database_up")
    static let lockWaiting = Gauge(label: "railyard_lock_waiting")
    static let migrationDuration = Timer(label: "railyard_migration_duration_seconds", preferredDisplayUnit: .seconds)

    static func runs(_ status: RunStatus) -> Counter {
        Counter(label: "railyard_runs_total", dimensions: [("status", status.rawValue)])
    }

    static func lockWaits(_ kind: LockWait.Kind) -> Counter {
        Counter(label: "railyard_lock_waits_total", dimensions: [("kind", kind.rawValue)])
    }

    /// Registers every series with its zero.
    static func start() {
        for gauge in [pending, failed, changed, missing, invalid, databaseUp, lockWaiting] { gauge.record(0) }
        for status in [RunStatus.succeeded, .failed, .cancelled] { runs(status).increment(by: 0) }
        for kind in [LockWait.Kind.migrationLock, .tableLock, .retryBackoff] { lockWaits(kind).increment(by: 0) }
        _ = migrationDuration
    }

    /// The migration counts from a health answer (left as they were when the database did not answer).
    static func record(_ health: HealthStatus) {
        databaseUp.record(health.database == "connected" ? 1 : 0)
        guard let migrations = health.migrations else { return }
        pending.record(migrations.pending)
        failed.record(migrations.failed)
        changed.record(migrations.changed)
        missing.record(migrations.missing)
        invalid.record(migrations.invalid)
    }
}
