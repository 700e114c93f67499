import Foundation
import Testing
@testable import RailyardCore

/// A deterministic stand-in checksum for pure tests: the bytes as text.
func textChecksum(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

func parse(_ contents: String, name: String = "20250101000000_test.sql") throws -> MigrationFile.Parsed {
    MigrationFile.parse(fileName: try MigrationFileName(name), bytes: Array(contents.utf8), checksum: textChecksum)
}

func parsedFile(_ contents: String, name: String = "20250101000000_test.sql") throws -> MigrationFile {
    let parsed = try parse(contents, name: name)
    return try #require(parsed.file, "unexpected diagnostics: \(parsed.diagnostics)")
}

func errors(_ contents: String) throws -> [Diagnostic] {
    try parse(contents).diagnostics.errors
}

@Suite("Migration file names")
struct MigrationFileNameTests {
    @Test func timestampedName() throws {
        let name = try MigrationFileName("20250612152230_add_user_sessions.sql")
        #expect(name.version == "20250612152230")
        #expect(name.name == "add_user_sessions")
        #expect(name.isTimestamped)
    }

    @Test func legacyName() throws {
        let name = try MigrationFileName("001_initial_schema.sql")
        #expect(name.version == "001")
        #expect(!name.isTimestamped)
    }

    @Test(arguments: [
        ("initial.sql", MigrationFileName.Problem.noVersion),
        ("_x.sql", .noVersion),
        ("12a_x.sql", .noVersion),
        ("001_Initial.sql", .badName),
        ("001_with space.sql", .badName),
        ("001_.sql", .badName),
        ("001_ünicode.sql", .badName),
        ("001_x.SQL", .notSQL),
    ])
    func badNames(name: String, problem: MigrationFileName.Problem) {
        #expect(throws: problem) { try MigrationFileName(name) }
    }

    @Test func versionsOrderAsNumbers() {
        #expect(VersionOrder.less("2", "10"))
        #expect(VersionOrder.less("009", "10"))
        #expect(!VersionOrder.less("20250101000000", "999"))
        #expect(VersionOrder.same("001", "1"))
        #expect(!VersionOrder.same("10", "1"))
    }
}

@Suite("Migration file sections and options")
struct MigrationSectionTests {
    @Test func wholeFileIsUpWithoutMarkers() throws {
        let file = try parsedFile("CREATE TABLE a (id int);\nCREATE TABLE b (id int);\n")
        #expect(file.up.statements.count == 2)
        #expect(file.down == nil)
        #expect(file.transactional)
    }

    @Test func upAndDownSections() throws {
        let file = try parsedFile("""
            -- migrate:up
            CREATE TABLE a (id int);

            -- migrate:down
            DROP TABLE a;
            """)
        #expect(file.up.statements.count == 1)
        #expect(file.down?.statements.count == 1)
        #expect(file.upText == "CREATE TABLE a (id int);\n\n")
        #expect(file.downText == "DROP TABLE a;")
    }

    @Test func markerEndsAnUnterminatedStatement() throws {
        let file = try parsedFile("-- migrate:up\nCREATE TABLE a (id int)\n-- migrate:down\nDROP TABLE a\n")
        #expect(file.up.statements.count == 1)
        #expect(file.down?.statements.count == 1)
    }

    @Test func markerInsideAFunctionBodyIsNotAMarker() throws {
        let file = try parsedFile("""
            -- migrate:up
            CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$
            -- migrate:down
            SELECT 1
            $$;
            """)
        #expect(file.down == nil)
        #expect(file.up.statements.count == 1)
    }

    @Test func markerAfterALoneCarriageReturnStartsALine() throws {
        let file = try parsedFile("-- migrate:up\rSELECT 1;\r-- migrate:down\rSELECT 2;\r")
        #expect(file.up.statements.map { file.source.text($0.range) } == ["SELECT 1"])
        #expect(file.down?.statements.map { file.source.text($0.range) } == ["SELECT 2"])
    }

    @Test func markerMustStartTheLine() throws {
        let file = try parsedFile("SELECT 1; -- migrate:down\nSELECT 2;")
        #expect(file.down == nil)
        #expect(file.up.statements.count == 2)
    }

    @Test func transactionFalseOption() throws {
        let file = try parsedFile("-- migrate:up transaction:false\nCREATE INDEX CONCURRENTLY i ON t (a);\n-- migrate:down\nDROP INDEX i;")
        #expect(!file.transactional)
    }

    @Test func noTransactionDirective() throws {
        let file = try parsedFile("-- railyard:no-transaction\nVACUUM t;")
        #expect(!file.transactional)
    }

    @Test func timeoutDirectives() throws {
        let file = try parsedFile("-- railyard:lock-timeout=30s\n-- railyard:statement-timeout=2min\nSELECT 1;")
        #expect(file.options.lockTimeoutMilliseconds == 30_000)
        #expect(file.options.statementTimeoutMilliseconds == 120_000)
    }

    @Test func badDirectivesAreErrors() throws {
        #expect(try errors("-- railyard:lock-timeout=soon\nSELECT 1;").map(\.rule) == ["directive"])
        #expect(try errors("-- railyard:no-transactoin\nSELECT 1;").map(\.rule) == ["directive"])
        #expect(try errors("-- migrate:up transaction:maybe\nSELECT 1;").map(\.rule) == ["directive"])
    }

    @Test func markerProblems() throws {
        #expect(try errors("-- migrate:down\nDROP TABLE a;").map(\.rule) == ["section-markers"])
        #expect(try errors("-- migrate:up\nSELECT 1;\n-- migrate:up\nSELECT 2;").map(\.rule) == ["section-markers"])
        let stray = try errors("SELECT 0;\n-- migrate:up\nSELECT 1;")
        #expect(stray.map(\.rule) == ["section-markers"])
        #expect(stray.first?.line == 1)
    }

    @Test func checksumCoversTheUpSectionWithLFEndings() throws {
        let lf = try parsedFile("-- migrate:up\nSELECT 1;\n-- migrate:down\nSELECT 2;\n")
        let crlf = try parsedFile("-- migrate:up\r\nSELECT 1;\r\n-- migrate:down\r\nSELECT 3;\r\n")
        #expect(lf.checksum == "SELECT 1;\n")
        #expect(crlf.checksum == lf.checksum)
    }

    @Test func encodingProblemsHavePositions() throws {
        var bytes = Array("SELECT 1;\nSELECT 'é".utf8)
        bytes.append(0xFF)
        let parsed = MigrationFile.parse(fileName: try MigrationFileName("1_x.sql"), bytes: bytes, checksum: textChecksum)
        let error = try #require(parsed.diagnostics.first)
        #expect(error.rule == "encoding")
        #expect((error.line, error.column) == (2, 10))
        let nul = try errors("SELECT 'a\u{0}b';")
        #expect(nul.first?.rule == "encoding")
        #expect(nul.first?.column == 10)
    }

    @Test(arguments: [[0xC0, 0x80], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xE2, 0x82]] as [[UInt8]])
    func invalidUTF8Sequences(sequence: [UInt8]) {
        #expect(MigrationFileParser.firstEncodingProblem(Array("ab".utf8) + sequence) == 2)
    }

    @Test func validUTF8Passes() {
        #expect(MigrationFileParser.firstEncodingProblem(Array("é€😀".utf8)) == nil)
    }

    @Test func syntaxErrorsHavePositions() throws {
        let found = try errors("SELECT 1;\n  SELECT $body$ never closed")
        #expect(found.map(\.rule) == ["syntax"])
        #expect((found[0].line, found[0].column) == (2, 10))
    }
}

@Suite("Timeout values")
struct TimeoutValueTests {
    /// A bare number is seconds, as `--lock-wait 2` is.
    @Test func parsesDurationsWithSecondsByDefault() {
        #expect(TimeoutValue.milliseconds("500ms") == 500)
        #expect(TimeoutValue.milliseconds("10s") == 10_000)
        #expect(TimeoutValue.milliseconds("2min") == 120_000)
        #expect(TimeoutValue.milliseconds("1h") == 3_600_000)
        #expect(TimeoutValue.milliseconds("2") == 2_000)
        #expect(TimeoutValue.milliseconds("250ms") == 250)
        #expect(TimeoutValue.milliseconds("0") == 0)
        #expect(TimeoutValue.milliseconds("ten") == nil)
        #expect(TimeoutValue.milliseconds("-1s") == nil)
        #expect(TimeoutValue.milliseconds("10 parsecs") == nil)
        #expect(TimeoutValue.milliseconds("99999999h") == nil)
    }
}

@Suite("Source positions")
struct SourceTextTests {
    @Test func columnsCountCharactersNotBytes() {
        let source = SourceText("ab\néé x\n")
        let offset = Array("ab\néé ".utf8).count
        #expect(source.location(ofByte: offset) == SourceLocation(line: 2, column: 4))
    }

    @Test func advancingByCharacters() {
        let source = SourceText("SELECT 'ü' + x")
        let offset = source.byteOffset(advancing: 10, from: 0)
        #expect(source.text(offset..<source.count) == " + x")
    }
}

@Suite("UTC timestamps")
struct UTCTimestampTests {
    @Test func formatsAndParsesRoundTrip() throws {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        for seconds in [0.0, 1_750_000_000.123, 951_782_400.5, -86_400.25, 4_102_444_799.999, 1_709_210_096.001] {
            let date = Date(timeIntervalSince1970: seconds)
            let text = UTCTimestamp.format(date)
            #expect(text == formatter.string(from: date), "\(seconds)")
            let parsed = try #require(UTCTimestamp.parse(text))
            #expect(abs(parsed.timeIntervalSince1970 - seconds) < 0.001)
        }
    }

    @Test func versionsAndDisplayForm() {
        let date = Date(timeIntervalSince1970: 1_750_000_000.9)
        #expect(UTCTimestamp.version(date) == "20250615150640")
        #expect(UTCTimestamp.display(date) == "2025-06-15 15:06:40")
        #expect(UTCTimestamp.version(Date(timeIntervalSince1970: 951_868_799)) == "20000229235959")
        // The display form is the full form's first 19 characters, over years of one to five digits.
        for seconds in [-62_135_596_800.0, -30_000_000_000, -1, 0, 86_399.5, 253_402_300_799, 253_402_300_800, 300_000_000_000]
            + (0..<200).map({ _ in Double.random(in: -62_000_000_000...253_000_000_000) }) {
            let date = Date(timeIntervalSince1970: seconds)
            let full = UTCTimestamp.format(date)
            let expected = String(full.prefix(full.utf8.count - 5)).replacingOccurrences(of: "T", with: " ")
            #expect(UTCTimestamp.display(date) == expected, "\(seconds)")
            #expect(UTCTimestamp.displayWidth(date) == expected.utf8.count, "\(seconds)")
        }
    }

    @Test func parsesPostgresTextAndRejectsJunk() {
        #expect(UTCTimestamp.parse("2024-01-02T03:04:05Z")?.timeIntervalSince1970 == 1_704_164_645)
        #expect(UTCTimestamp.parse("2024-02-29T00:00:00.5+00:00")?.timeIntervalSince1970 == 1_709_164_800.5)
        #expect(UTCTimestamp.parse("2024-13-01T00:00:00Z") == nil)
        #expect(UTCTimestamp.parse("2024-01-01T00:00:00+02:00") == nil)
        #expect(UTCTimestamp.parse("yesterday") == nil)
    }
}
