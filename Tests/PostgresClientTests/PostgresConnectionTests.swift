import Foundation
import Testing
import PostgresClient
import RailyardTestSupport

/// The libpq layer against a real PostgreSQL: cancel and abort from other
/// threads, results the caller did not expect, pipelines.
@Suite("PostgresConnection")
struct PostgresConnectionTests {
    @Test func cancelFromAnotherThreadStopsTheRunningStatement() throws {
        let database = try TestDatabase.create()
        let connection = try database.connect()
        defer { connection.close() }
        let canceller = Thread { Thread.sleep(forTimeInterval: 0.3); connection.requestCancel() }
        canceller.start()
        let started = Date()
        #expect(throws: PostgresError.self) { try connection.execute("SELECT pg_sleep(10)") }
        #expect(Date().timeIntervalSince(started) < 5)
        #expect(try connection.execute("SELECT 1").scalar == "1", "the connection is usable afterwards")
    }

    /// A cancel sent between calls would land on the next one.
    @Test func aCancelBetweenCallsDoesNothing() throws {
        let database = try TestDatabase.create()
        let connection = try database.connect()
        defer { connection.close() }
        for _ in 0..<20 {
            connection.requestCancel()
            Thread.sleep(forTimeInterval: 0.01)
            #expect(try connection.execute("SELECT pg_sleep(0.05), 1").rows.first?[1] == "1")
        }
    }

    /// Cancel and abort race with close: nothing crashes, nothing is used after it is freed.
    @Test func cancelAndAbortAreSafeAgainstClose() throws {
        let database = try TestDatabase.create()
        for _ in 0..<40 {
            let connection = try database.connect()
            let done = DispatchSemaphore(value: 0)
            Thread.detachNewThread {
                for _ in 0..<20 {
                    connection.requestCancel()
                    connection.abortFromAnotherThread()
                }
                done.signal()
            }
            _ = try? connection.execute("SELECT 1")
            connection.close()
            done.wait()
        }
    }

    @Test func copyToStdoutIsAnErrorAndTheConnectionStaysUsable() throws {
        let database = try TestDatabase.create()
        let connection = try database.connect()
        defer { connection.close() }
        #expect { try connection.execute("COPY (SELECT generate_series(1, 1000)) TO STDOUT") } throws: { error in
            (error as? PostgresError)?.message.contains("TO STDOUT") == true
        }
        #expect(try connection.execute("SELECT 2").scalar == "2")
        #expect(throws: PostgresError.self) { try connection.execute("COPY pg_class FROM STDIN") }
        #expect(try connection.execute("SELECT 3").scalar == "3")
    }

    @Test func pipelineNamesTheFirstFailureAndRunsNothingAfterIt() throws {
        let database = try TestDatabase.create()
        let connection = try database.connect()
        defer { connection.close() }
        try connection.execute("CREATE TABLE t (n int)")
        let failure = try connection.pipeline([
            ("BEGIN", []), ("INSERT INTO t VALUES (1)", []), ("SELECT 1/0", []), ("INSERT INTO t VALUES (2)", []), ("COMMIT", []),
        ])
        #expect(failure?.index == 2)
        #expect(failure?.error.sqlstate == "22012")
        _ = try? connection.execute("ROLLBACK")
        #expect(try connection.execute("SELECT count(*) FROM t").scalar == "0")
        let copy = try connection.pipeline([("COPY (SELECT 1) TO STDOUT", []), ("SELECT 1", [])])
        #expect(copy?.index == 0, "a COPY in a pipeline ends it with an error, never a spin")
    }
}
