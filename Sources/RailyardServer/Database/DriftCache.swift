import Foundation
import Metrics
import PostgresClient
import RailyardCore
import RailyardEngine

/// The live schema's drift from the committed schema file, computed at most
/// every few seconds (a dump is one catalog query) and exported as the
/// `railyard_schema_drift_objects` gauge (-1 when there is no schema file).
final class DriftCache: @unchecked Sendable {  // `cached` is guarded by `lock`
    private let lock = NSLock()
    private var cached: (at: Date, drift: SchemaDrift?)?
    static let freshFor: TimeInterval = 5
    private let gauge = Gauge(label: "railyard_schema_drift_objects")

    /// The drift; nil when there is no schema file to compare with.
    func drift(_ migrator: Migrator, connection: PostgresConnection, fresh: Bool = false) throws -> SchemaDrift? {
        if !fresh, let cached = lock.withLock({ cached }), Date().timeIntervalSince(cached.at) < Self.freshFor { return cached.drift }
        let drift: SchemaDrift?
        do {
            drift = try migrator.drift(connection: connection)
        } catch EngineError.noSchemaFile {
            drift = nil
        }
        lock.withLock { cached = (Date(), drift) }
        gauge.record(drift.map { $0.objects.count } ?? -1)
        return drift
    }
}
