import Foundation
import Testing
import RailyardTestSupport
import RailyardCore
@testable import RailyardEngine

@Suite("Transactional and non-transactional migrations")
struct TransactionModeTests {
    @Test func createIndexConcurrentlyWorksInATransactionFalseFile() throws {
        let database = try TestDatabase.create()
        let folder = try MigrationFolder([
            "1_table.sql": "CREATE TABLE events (id int, at timestamptz);\nINSERT INTO events SELECT g, now() FROM generate_series(1, 1000) g;",
            "2_index.sql": "-- migrate:up transaction:false\nCREATE INDEX CONCURRENTLY events_at_idx ON events (at);\n-- migrate:down\nDROP INDEX CONCURRENTLY events_at_idx;",
            "3_more.sql": "-- railyard:no-transaction\nCREATE UNIQUE INDEX CONCURRENTLY events_id_idx ON events (id);\nVACUUM events;",
        ])
        let report = try database.migrator(folder).migrate()
        #expect(report.status == .succeeded, "\(String(describing: report.error))")
        #expect(try database.scalar("SELECT bool_and(indisvalid) FROM pg_index WHERE indexrelid IN ('events_at_idx'::regclass, 'events_id_idx'::regclass)") == "t")
        #expect(try database.scalar("SELECT transactional FROM railyard_migrations WHERE version LIKE '2\\_%'") == "f")
    }

    @Test func concurrentIndexInAnUnmarkedFileIsRefusedBeforeAnythingRuns() throws {
        let database = try TestDatabase.create()
        let folder = try MigrationFolder([
            "1_table.sql": "CREATE TABLE events (id int);",
            "2_index.sql": "SELECT 1;\n\nCREATE INDEX CONCURRENTLY events_id_idx ON events (id);",
        ])
        do {
            _ = try database.migrator(folder).migrate()
            Issue.record("expected a refusal")
        } catch EngineError.invalidMigrations(let diagnostics) {
            let found = try #require(diagnostics.first)
            #expect((found.file, found.line, found.column, found.rule) == ("2_index.sql", 3, 1, "non-transactional-statement"))
            #expect(found.hint?.contains("transaction:false") == true)
        }
        #expect(try !database.tableExists("events"))
    }

    @Test func commitInTheMiddleIsRefusedBeforeAnythingRuns() throws {
        let database = try TestDatabase.create()
        let folder = try MigrationFolder([
            "1_ok.sql": "CREATE TABLE ok ();",
            "2_split.sql": "CREATE TABLE a ();\nCOMMIT;\nCREATE TABLE b ();",
        ])
        do {
            _ = try database.migrator(folder).migrate()
            Issue.record("expected a refusal")
        } catch EngineError.invalidMigrations(let diagnostics) {
            #expect(diagnostics.map { "\($0.file):\($0.line)" } == ["2_split.sql:2"])
            #expect(diagnostics.first?.message.contains("COMMIT") == true)
        }
        #expect(try !database.tableExists("ok"))
    }

    @Test func failedNonTransactionalMigrationIsRecordedRefusedAndResumed() throws {
        let database = try TestDatabase.create()
        let folder = try MigrationFolder([
            "1_table.sql": "CREATE TABLE t (a int, b int);",
            "2_indexes.sql": "-- migrate:up transaction:false\nCREATE INDEX CONCURRENTLY t_a_idx ON t (a);\nCREATE INDEX CONCURRENTLY t_b_idx ON t (nope);\n",
            "3_after.sql": "CREATE TABLE after ();",
        ])
        let failed = try database.migrator(folder).migrate()
        #expect(failed.status == .failed)
        #expect(failed.error?.line == 3)
        #expect(failed.error?.hint?.contains("INVALID index") == true)
        #expect(try database.scalar("SELECT status || ':' || failed_statement FROM railyard_migrations WHERE version LIKE '2\\_%'") == "failed:1")
        #expect(try database.migrator(folder).status().states.map(\.status) == [.applied, .failed, .pending])

        #expect(throws: EngineError.self) { try database.migrator(folder).migrate() }
        #expect(try !database.tableExists("after"))

        try folder.write("2_indexes.sql", "-- migrate:up transaction:false\nCREATE INDEX CONCURRENTLY t_a_idx ON t (a);\nCREATE INDEX CONCURRENTLY t_b_idx ON t (b);\n")
        let resumed = try database.migrator(folder).migrate(MigrateRequest(retryFailed: true))
        // The first index is not built again (that would fail: it exists).
        #expect(resumed.status == .succeeded, "\(String(describing: resumed.error))")
        #expect(try database.trackedVersions() == ["1", "2", "3"])
        #expect(try database.scalar("SELECT count(*) FROM pg_indexes WHERE tablename = 't'") == "2")
    }

    @Test func concurrentlyIsExemptFromTheDefaultLockTimeout() throws {
        let database = try TestDatabase.create()
        try database.execute("CREATE TABLE busy (id int)")
        let folder = try MigrationFolder([
            "1_index.sql": "-- migrate:up transaction:false\nCREATE INDEX CONCURRENTLY busy_idx ON busy (id);",
        ])
        // A transaction holding an old snapshot makes CREATE INDEX CONCURRENTLY wait for it.
        let blocker = try database.connect()
        try blocker.execute("BEGIN ISOLATION LEVEL REPEATABLE READ; SELECT * FROM busy;")
        let migrator = database.migrator(folder) { $0.lockTimeoutMilliseconds = 200; $0.lockRetries = 0 }
        let started = Date()
        DispatchQueue.global().asyncAfter(deadline: .now() + 1.0) { _ = try? blocker.execute("COMMIT") }
        let report = try migrator.migrate()
        #expect(report.status == .succeeded, "\(String(describing: report.error))")
        #expect(Date().timeIntervalSince(started) >= 0.9, "it waited for the old transaction instead of timing out")
    }
}
