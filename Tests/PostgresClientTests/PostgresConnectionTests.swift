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

    /// One round trip, several segments: a failure skips the rest of its
    /// segment only, and what an earlier segment set stays set.
    @Test func pipelineOutcomesGiveEachQueryItsRowsAndAFailureSkipsOnlyItsSegment() throws {
        let database = try TestDatabase.create()
        let connection = try database.connect()
        defer { connection.close() }
        var scalars: [Int: String?] = [:]
        let errors = try connection.pipelineOutcomes([
            ("SET application_name TO 'probe'", []),
            ("SELECT $1::int + 1", ["41"]), ("SELECT 1/0", []), ("SELECT 'skipped'", []),
            ("SELECT current_setting('application_name')", []),
        ], syncingAfter: [0, 3]) { index, rows in
            scalars[index] = rows.count > 0 ? rows.text(0, 0) : nil
        }
        #expect(errors.count == 5)
        #expect(errors[0] == nil && errors[1] == nil && errors[4] == nil)
        #expect(scalars[1] == "42")
        #expect(errors[2]?.sqlstate == "22012")
        #expect(errors[3]?.message.contains("not run") == true, "a query after a failure in its segment ran")
        #expect(scalars[2] == nil && scalars[3] == nil, "no rows are read for a query that failed or was skipped")
        #expect(scalars[4] == "probe", "the failure undid an earlier segment's setting")
        #expect(!connection.isInTransaction)
        #expect(try connection.execute("SELECT 7").scalar == "7")
    }

    /// Rows read in place decode as the text form reads: NULL apart from
    /// an empty string, numbers of every size and sign, UTF-8, exact matches.
    @Test func rowsReadInPlaceDecodeEveryValueAsItsText() throws {
        let database = try TestDatabase.create()
        let connection = try database.connect()
        defer { connection.close() }
        var decoded: [[String?]] = []
        var integers: [Int64?] = []
        var matches: [Bool] = []
        let errors = try connection.pipelineOutcomes([("""
            SELECT * FROM (VALUES
                ('failed', 0::bigint, NULL::text), ('', -42, 'é ✓'), ('failedx', 9223372036854775807, 'x'),
                (NULL, -9223372036854775808, '12a'), ('f', NULL, '')) AS v(a, b, c)
            """, [])]) { _, rows in
            decoded = (0..<rows.count).map(rows.row)
            integers = (0..<rows.count).map { rows.integer($0, 1) } + (0..<rows.count).map { rows.integer($0, 2) }
            matches = (0..<rows.count).map { rows.equals($0, 0, "failed") }
            #expect(rows.columnCount == 3)
            #expect(rows.isNull(3, 0) && !rows.isNull(1, 0))
        }
        #expect(errors.count == 1 && errors[0] == nil)
        #expect(decoded.map { $0[0] } == ["failed", "", "failedx", nil, "f"])
        #expect(decoded.map { $0[2] } == [nil, "é ✓", "x", "12a", ""])
        #expect(integers == [0, -42, .max, .min, nil, nil, nil, nil, nil, nil])
        #expect(matches == [true, false, false, false, false])
    }

    /// An array passed as one parameter reads back element for element,
    /// whatever the elements hold.
    @Test func arrayLiteralsReadBackAsTheirValues() throws {
        let database = try TestDatabase.create()
        let connection = try database.connect()
        defer { connection.close() }
        let values: [String?] = ["plain", "", nil, "NULL", "a,b", "{braces}", "say \"hi\"", "back\\slash\\", " padded ", "é ✓", "line\nbreak"]
        var read: [String?] = []
        let errors = try connection.pipelineOutcomes([("SELECT v FROM unnest($1::text[]) WITH ORDINALITY AS a(v, n) ORDER BY n", [ArrayLiteral.text(values)])]) { _, rows in
            read = (0..<rows.count).map { rows.text($0, 0) }
        }
        #expect(errors.count == 1 && errors[0] == nil, "\(errors)")
        #expect(read == values)
        #expect(try connection.execute("SELECT cardinality($1::text[])", [ArrayLiteral.text([])]).scalar == "0")
    }

    /// A value written into a script's text reads back as itself, whichever
    /// way the session reads backslashes in ordinary string constants.
    @Test func stringLiteralsReadBackAsTheirValues() throws {
        #expect(StringLiteral.text(nil) == "NULL")
        #expect(StringLiteral.text("it's a \\ back'slash") == "E'it''s a \\\\ back''slash'")
        let database = try TestDatabase.create()
        let connection = try database.connect()
        defer { connection.close() }
        let values = ["plain", "", "'", "''", "it's", "back\\slash\\", "\\'", "E'x'", "$$dollar$$", "é ✓", "line\nbreak", "tab\tand \\n"]
        for setting in ["on", "off"] {
            _ = try connection.execute("SET standard_conforming_strings TO \(setting)")
            let read = try connection.execute("SELECT " + values.map(StringLiteral.text).joined(separator: ", "))
            #expect(read.rows.first == values.map(Optional.some), "standard_conforming_strings \(setting)")
            #expect(try connection.execute("SELECT \(StringLiteral.text(nil)) IS NULL").scalar == "t")
        }
    }

    /// A script's error names its statement, and its position counts the
    /// characters of that statement alone, whatever the characters before.
    @Test func aScriptErrorIsPlacedInItsStatement() throws {
        let database = try TestDatabase.create()
        let connection = try database.connect()
        defer { connection.close() }
        let before = ["SELECT 'e\u{301}🚂 ünï' AS a", "SELECT 2"]
        // A syntax error: the server runs none of the script.
        let syntax = try connection.runScript(before + ["SELECT 'é' AS b FRM nowhere"]) { _, _, _ in }
        #expect(syntax.ran == 0)
        #expect(syntax.failure?.index == 2)
        #expect(syntax.failure?.error.position == 17, "FRM is the 17th character of the third statement")
        // An error while running: the statements before it ran.
        var tags: [String] = []
        let running = try connection.runScript(before + ["SELECT 'é' AS b, no_such_column FROM pg_class", "SELECT 4"]) { _, tag, _ in tags.append(tag) }
        #expect(running.ran == 2 && tags == ["SELECT 1", "SELECT 1"])
        #expect(running.failure?.index == 2)
        #expect(running.failure?.error.sqlstate == "42703")
        #expect(running.failure?.error.position == 18, "no_such_column starts at the 18th character of the third statement")
    }
}
