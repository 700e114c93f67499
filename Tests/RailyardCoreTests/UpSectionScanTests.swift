import Foundation
import Testing
@testable import RailyardCore

/// The quick scan that decides a no-op without lexing must find exactly the
/// up section the parser finds, or give up.
@Suite("Up sections found without lexing")
struct UpSectionScanTests {
    func both(_ text: String) -> (quick: Range<Int>?, parsed: MigrationFile.Parsed) {
        let bytes = Array(text.utf8)
        let name = try! MigrationFileName("1_a.sql")
        return (UpSectionScan.range(in: bytes), MigrationFile.parse(fileName: name, bytes: bytes, checksum: textChecksum))
    }

    @Test(arguments: [
        "CREATE TABLE a (id int);",
        "-- migrate:up\nCREATE TABLE a (id int);\n-- migrate:down\nDROP TABLE a;\n",
        "-- a comment first\n\n-- migrate:up transaction:false\nCREATE INDEX CONCURRENTLY i ON a (id);\n",
        "-- migrate:up\r\nSELECT 1;\r\n  -- migrate:down\r\nSELECT 2;\r\n",
        "-- migrate:up\rSELECT 1;\r-- migrate:down\rSELECT 2;",
        "-- migrate:up\nCREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$\n-- migrate:down\nSELECT 1 $$;\n-- migrate:down\nDROP FUNCTION f();",
        "-- migrate:up\nSELECT $body$ ' $body$, 'it''s\n-- migrate:down\n', \"q\"\"\n-- migrate:down\n\";\n",
        "-- migrate:up\n/* outer /* inner\n-- migrate:down\n*/ still\n-- migrate:down\n*/ SELECT 1;\n-- migrate:down\nSELECT 2;",
        "-- migrate:up\nSELECT a$b$c, $1, x$$y;\n-- migrate:down\nSELECT 2;",
        "-- migrate:up\nSELECT 1; -- migrate:down\nSELECT 2;",
        "-- migrate:upper\nSELECT 1;",
        "",
    ])
    func findsTheParsersUpSection(text: String) throws {
        let (quick, parsed) = both(text)
        let file = try #require(parsed.file, "\(parsed.diagnostics)")
        #expect(quick == file.up.range, "\(text.debugDescription)")
    }

    @Test(arguments: [
        "-- migrate:up\nSELECT E'\\'';\n-- migrate:down\nSELECT 2;",
        "COPY t FROM stdin;\n1\n\\.\n",
        "SELECT 1;\n-- migrate:up\nSELECT 2;",
        "-- migrate:up\nSELECT 1;\n-- migrate:up\nSELECT 2;",
        "-- migrate:down\nSELECT 1;\n-- migrate:up\nSELECT 2;",
        "-- migrate:up\nSELECT 'unterminated;",
        "-- migrate:up\nSELECT $x$ unterminated;",
        "-- migrate:up\n/* unterminated",
        "SELECT '\u{00}';",
    ])
    func givesUpWhereThePaserMustDecide(text: String) {
        #expect(both(text).quick == nil, "\(text.debugDescription)")
    }

    @Test(arguments: 0..<30)
    func generatedFilesAgreeWithTheParser(seed: Int) {
        var generator = StatementGenerator(random: SplitMix64(state: UInt64(seed) &* 104_729 &+ 3))
        var agreed = 0
        for _ in 0..<40 {
            var text = generator.pick(["", "-- header\n", "\n", "/* c */\n"])
            let marked = Int.random(in: 0..<4, using: &generator.random) != 0
            if marked { text += generator.pick(["-- migrate:up\n", "-- migrate:up transaction:false\n", "  -- migrate:up\r\n"]) }
            for _ in 0..<Int.random(in: 0...4, using: &generator.random) {
                text += generator.statement() + generator.separator()
                if Int.random(in: 0..<6, using: &generator.random) == 0 {
                    text += generator.pick(["$$\n-- migrate:down\n$$;\n", "'\n-- migrate:down\n';\n", "/*\n-- migrate:down\n*/\n"])
                }
            }
            if marked && Int.random(in: 0..<2, using: &generator.random) == 0 {
                text += generator.pick(["-- migrate:down\n", "-- migrate:down\r\n", "\t-- migrate:down extra\n"])
                text += generator.statement() + ";"
            }
            let (quick, parsed) = both(text)
            guard let quick else { continue }
            if let file = parsed.file {
                #expect(quick == file.up.range, "\(text.debugDescription)")
                agreed += 1
            } else {
                let rules = Set(parsed.diagnostics.map(\.rule))
                #expect(rules.isDisjoint(with: ["syntax", "section-markers", "encoding"]), "\(text.debugDescription): \(rules)")
            }
        }
        #expect(agreed >= 10, "the quick scan gave up too often to be worth having")
    }

    /// A real project's history (../shared/corpus/lemmy, when it is there).
    @Test func aRealHistoryAgreesWithTheParser() throws {
        let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("shared/corpus/lemmy")
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: corpus.path) else {
            print("UpSectionScanTests: did not run the corpus check: no ../shared/corpus next to the repository (it is there in CI)")
            return
        }
        var compared = 0
        for name in names.sorted() where name.hasSuffix(".sql") {
            let bytes = try Array(Data(contentsOf: corpus.appendingPathComponent(name)))
            guard let fileName = try? MigrationFileName(name), let quick = UpSectionScan.range(in: bytes),
                  let file = MigrationFile.parse(fileName: fileName, bytes: bytes, checksum: textChecksum).file else { continue }
            #expect(quick == file.up.range, "\(name)")
            compared += 1
        }
        #expect(compared >= 200, "only \(compared) files compared")
    }
}

@Suite("Deciding a no-op from checksums alone")
struct ChecksumListingTests {
    func listing(_ files: [String: String]) throws -> ChecksumListing {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("railyard-listing-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        for (name, contents) in files { try contents.write(to: directory.appendingPathComponent(name), atomically: true, encoding: .utf8) }
        return try #require(ChecksumListing.load(directory: directory, checksum: textChecksum))
    }

    static let files = ["1_a.sql": "-- migrate:up\nCREATE TABLE a ();\n-- migrate:down\nDROP TABLE a;\n",
                        "20250612_b.sql": "CREATE TABLE b ();", "README.md": "notes"]

    var records: [AppliedMigration] {
        catalog(Self.files.filter { $0.key.hasSuffix(".sql") }.map { ($0.key, $0.value) }).files.map { applied($0) }
    }

    @Test func settledOnlyWhenEveryFileIsAppliedWithItsChecksumAndEveryRowHasItsFile() throws {
        let found = try listing(Self.files)
        #expect(found.isComplete)
        #expect(found.isSettled(with: records))
        #expect(!found.isSettled(with: Array(records.dropLast())), "a pending file")
        var changed = records
        changed[0].checksum = "0"
        #expect(!found.isSettled(with: changed), "a changed file")
        var failed = records
        failed[1].state = .failed
        #expect(!found.isSettled(with: failed), "a failed migration")
        let extra = records + [AppliedMigration(version: "3_c", name: "c", filename: "3_c.sql", checksum: "x")]
        #expect(!found.isSettled(with: extra), "a row without its file (missing or ahead)")
        // Rows an earlier Railyard keyed by digits alone still match their files.
        var digits = records
        digits[0].version = "1"
        #expect(found.isSettled(with: digits))
    }

    /// Status takes each state from its row: in version order, from the
    /// right row whichever order the rows come in, and only when settled.
    @Test func settledStatesPairEachFileWithItsRowInVersionOrder() throws {
        let files = ["10_c.sql": "SELECT 3;", "2_b.sql": "SELECT 2;", "1_a.sql": "SELECT 1;", "0003_d.sql": "SELECT 4;"]
        let found = try listing(files)
        let rows = catalog(files.map { ($0.key, $0.value) }).files.map { file in
            var row = applied(file)
            row.executionMs = Int(file.version)
            return row
        }
        let byVersion = rows.sorted { VersionOrder.less($0.id, $1.id) }
        for order in [byVersion, Array(byVersion.reversed()), [byVersion[2], byVersion[0], byVersion[3], byVersion[1]]] {
            let states = try #require(found.settledStates(order))
            #expect(states.map(\.filename) == ["1_a.sql", "2_b.sql", "0003_d.sql", "10_c.sql"])
            #expect(states.allSatisfy { $0.status == .applied && $0.record?.filename == $0.filename })
            #expect(states.map { $0.record?.executionMs } == [1, 2, 3, 10])
            #expect(found.settledStates(order, order: found.versionOrder())?.map(\.filename) == states.map(\.filename))
        }
        var changed = byVersion
        changed[1].checksum = "0"
        #expect(found.settledStates(changed) == nil, "a changed file, rows in order")
        #expect(found.settledStates(Array(changed.reversed())) == nil, "a changed file, rows out of order")
        var failed = byVersion
        failed[3].state = .failed
        #expect(found.settledStates(failed) == nil)
        var other = byVersion
        other[2] = AppliedMigration(version: "4_e", name: "e", filename: "4_e.sql", checksum: other[2].checksum)
        #expect(found.settledStates(other) == nil, "a row without its file, and a file without its row")
        var twice = byVersion
        twice[1] = twice[0]
        #expect(found.settledStates(twice) == nil, "one file's row twice")
        #expect(found.settledStates(Array(byVersion.dropLast())) == nil)
        var digits = byVersion
        digits[0].version = "1"
        #expect(found.settledStates(digits)?.first?.filename == "1_a.sql", "a row an earlier Railyard keyed by digits alone")
    }

    /// Files the folder listing calls regular are read without an fstat;
    /// large files, links and files that are not regular must come out as
    /// the full catalog reads them.
    @Test func largeFilesLinksAndSpecialFilesAreReadAsTheCatalogReadsThem() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("railyard-listing-\(UUID().uuidString)")
        let elsewhere = FileManager.default.temporaryDirectory.appendingPathComponent("railyard-linked-\(UUID().uuidString).sql")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer {
            try? FileManager.default.removeItem(at: directory)
            try? FileManager.default.removeItem(at: elsewhere)
        }
        let large = "-- migrate:up\n" + (1...3000).map { "INSERT INTO t VALUES (\($0), 'row \($0)');\n" }.joined() + "-- migrate:down\nDELETE FROM t;\n"
        #expect(large.utf8.count > 64 * 1024, "larger than the first read")
        let exact = "-- migrate:up\n" + String(repeating: "-", count: 16 * 1024 - 14)
        #expect(exact.utf8.count == 16 * 1024, "exactly the first read's size")
        try large.write(to: directory.appendingPathComponent("1_large.sql"), atomically: true, encoding: .utf8)
        try exact.write(to: directory.appendingPathComponent("2_exact.sql"), atomically: true, encoding: .utf8)
        try "CREATE TABLE linked ();".write(to: elsewhere, atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(at: directory.appendingPathComponent("3_linked.sql"), withDestinationURL: elsewhere)
        #expect(mkfifo(directory.appendingPathComponent("4_fifo.sql").path, 0o600) == 0)
        let found = try #require(ChecksumListing.load(directory: directory, checksum: textChecksum))
        let full = try MigrationCatalog.load(directory: directory, checksum: textChecksum)
        #expect(found.entries.map(\.name.filename).sorted() == full.files.map(\.filename).sorted())
        #expect(found.entries.map(\.name.filename).sorted() == ["1_large.sql", "2_exact.sql", "3_linked.sql"])
        for entry in found.entries {
            let file = try #require(full.files.first { $0.filename == entry.name.filename })
            #expect(entry.checksum == file.checksum, "\(entry.name.filename)")
        }
    }

    @Test func namesAndFilesTheFullCatalogMustExplainAreNotComplete() throws {
        #expect(try !listing(Self.files.merging(["bad name.sql": "SELECT 1;"]) { $1 }).isComplete)
        #expect(try !listing(Self.files.merging(["001_a.sql": "SELECT 1;"]) { $1 }).isComplete, "a duplicate")
        #expect(try !listing(Self.files.merging(["3_c.sql": "SELECT E'\\n';"]) { $1 }).isComplete, "a file the scan leaves to the parser")
    }
}
