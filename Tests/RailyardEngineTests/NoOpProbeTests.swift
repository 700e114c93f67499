import Foundation
import Testing
import PostgresClient
import RailyardCore
@testable import RailyardEngine
import RailyardTestSupport

/// A run with nothing to do takes the lock and reads the rows in the round
/// trip that opens the session, and records its run and releases the lock
/// in one more: the same outcome as the long way, whatever it meets.
@Suite("Runs with nothing to do")
struct NoOpProbeTests {
    static let lockSQL = "hashtextextended('railyard_migrations:' || 'public', 0)"

    func appliedFolder(_ database: TestDatabase) throws -> MigrationFolder {
        let folder = try MigrationFolder(["20250101000000_a.sql": "CREATE TABLE a (n int);", "20250102000000_b.sql": "CREATE TABLE b ();"])
        #expect(try database.migrator(folder).migrate().appliedCount == 2)
        return folder
    }

    @Test func aNoOpRecordsOneFinishedRunAndLeavesTheLockFree() throws {
        let database = try TestDatabase.create()
        let folder = try appliedFolder(database)
        let run = try database.migrator(folder).migrate()
        #expect(run.status == .succeeded && run.steps.isEmpty)
        let row = try database.execute("SELECT status, finished_at IS NOT NULL, pid IS NOT NULL FROM railyard_runs WHERE id = '\(run.id)'").rows
        #expect(row == [["succeeded", "t", "t"]])
        let watcher = try database.connect()
        defer { watcher.close() }
        #expect(try !AdvisoryLock.isHeld(schema: "public", on: watcher))
    }

    /// Rows read while another session held the lock may be stale: here
    /// the holder rolls a migration back meanwhile, and the run must apply it again.
    @Test func aRunThatWaitsForTheLockJudgesByTheRowsItReadsHoldingIt() throws {
        let database = try TestDatabase.create()
        let folder = try appliedFolder(database)
        let holder = UncheckedBox(try database.connect())
        try holder.value.execute("SELECT pg_advisory_lock(\(Self.lockSQL))")
        let released = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            Thread.sleep(forTimeInterval: 0.8)
            _ = try? holder.value.execute("""
                DROP TABLE b;
                DELETE FROM railyard_migrations WHERE version = '20250102000000';
                SELECT pg_advisory_unlock(\(Self.lockSQL))
                """)
            released.signal()
        }
        var waited = false
        let run = try database.migrator(folder) { $0.lockWaitSeconds = 20 }.migrate { event in
            if case .waitingForLock = event { waited = true }
        }
        released.wait()
        holder.value.close()
        #expect(waited)
        #expect(run.status == .succeeded)
        #expect(run.steps.map(\.filename) == ["20250102000000_b.sql"], "the run trusted rows read before it held the lock")
        #expect(try database.tableExists("b"))
    }

    @Test func aNoOpOnTablesAnEarlierRailyardMadeUpgradesThem() throws {
        let database = try TestDatabase.create()
        let folder = try appliedFolder(database)
        try database.execute("ALTER TABLE railyard_migrations DROP COLUMN completed_checksum")
        try database.execute("DROP TABLE railyard_run_steps")
        try database.execute("COMMENT ON TABLE railyard_migrations IS NULL")
        let run = try database.migrator(folder).migrate()
        #expect(run.status == .succeeded && run.steps.isEmpty)
        #expect(try database.scalar("""
            SELECT count(*) FROM information_schema.columns WHERE table_name = 'railyard_migrations' AND column_name = 'completed_checksum'
            """) == "1")
        #expect(try database.tableExists("railyard_run_steps"))
        #expect(try database.scalar("SELECT obj_description('railyard_migrations'::regclass, 'pg_class') IS NOT NULL") == "t")
    }

    /// The probe tests rows for `rekeyByIdentity` itself; it must agree with the SQL the re-keying runs.
    @Test func theRowsTestForRekeyingAgreesWithItsSQL() throws {
        let database = try TestDatabase.create()
        let rows: [(String, String?)] = [
            ("001", "001_initial.sql"), ("20250612", "20250612_add_users.sql"), ("001", "001_.sql"), ("123456789012345", "123456789012345_a.sql"),
            ("001", "001_ä.sql"), ("20250101000000", "20250101000000_a.sql"), ("001", "001.sql"), ("001", "002_next.sql"),
            ("0a1", "0a1_x.sql"), ("001", "001_x.SQL"), ("001", "001_x.sql.bak"), ("001", nil), ("001", "001"), ("1", "1_.sq"),
            ("١٢", "١٢_x.sql"), ("001_initial", "001_initial.sql"), ("12", "123_x.sql"), ("", "_x.sql"),
        ]
        let values = rows.enumerated().map { index, row in
            "(\(index), '\(row.0)', \(row.1.map { "'\($0)'" } ?? "NULL"))"
        }
        let result = try database.execute("""
            SELECT n, coalesce(\(TrackingStore.keyedByDigits), false)
            FROM (VALUES \(values.joined(separator: ", "))) AS t (n, version, filename) ORDER BY n
            """)
        #expect(result.rows.filter { $0[1] == "t" }.count == 5)
        for (row, (version, filename)) in zip(result.rows, rows) {
            #expect((row[1] == "t") == TrackingStore.isKeyedByDigits(version: version, filename: filename), "\(version) \(filename ?? "NULL")")
        }
    }

    /// A folder the quick scan leaves to the parser goes the long way, with
    /// the lock the opening round trip took.
    @Test func aFolderTheQuickScanCannotDecideGoesTheLongWay() throws {
        let database = try TestDatabase.create()
        let folder = try MigrationFolder(["20250101000000_a.sql": "CREATE TABLE a (s text DEFAULT E'\\\\n');"])
        #expect(try database.migrator(folder).migrate().appliedCount == 1)
        try folder.write("20250102000000_b.sql", "CREATE TABLE b ();")
        let run = try database.migrator(folder) { $0.lockWaitSeconds = 1 }.migrate()
        #expect(run.status == .succeeded)
        #expect(run.appliedCount == 1)
        let again = try database.migrator(folder) { $0.lockWaitSeconds = 1 }.migrate()
        #expect(again.status == .succeeded && again.steps.isEmpty)
    }
}

private final class UncheckedBox<Value>: @unchecked Sendable {  // used by one thread at a time: the test waits for it
    let value: Value
    init(_ value: Value) { self.value = value }
}
