import Foundation
import Testing
@testable import RailyardCore

/// The admin API keeps its catalog up to date by parsing only the files
/// that changed; what it gets must be what a fresh load gives.
@Suite("Parsing only the files that changed")
struct ParseCacheTests {
    func checksum(_ bytes: [UInt8]) -> String { String(bytes.reduce(UInt64(5381)) { $0 &* 33 &+ UInt64($1) }) }

    func summary(_ catalog: MigrationCatalog) -> [String] {
        catalog.files.map { "\($0.filename) \($0.checksum) \($0.transactional)" } + catalog.diagnostics.map(\.description) + catalog.ignored
    }

    @Test func unchangedFilesAreReusedAndTheResultIsAFreshLoads() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("railyard-parse-cache-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        func write(_ name: String, _ text: String) throws {
            try text.write(to: folder.appendingPathComponent(name), atomically: false, encoding: .utf8)
        }
        for number in 1...200 { try write(String(format: "%03d_t.sql", number), "CREATE TABLE t\(number) (id int);") }
        var cache = MigrationCatalog.ParseCache()
        let first = try MigrationCatalog.load(directory: folder, checksum: checksum, keepingStatements: false, cache: &cache)
        #expect(cache.parsedByLastLoad == 200)
        #expect(first.files.count == 200)

        let again = try MigrationCatalog.load(directory: folder, checksum: checksum, keepingStatements: false, cache: &cache)
        #expect(cache.parsedByLastLoad == 0)
        #expect(summary(again) == summary(first))

        // One edited (same size), one added, one broken, one removed, a stray file.
        try write("007_t.sql", "CREATE TABLE x7 (id int);")
        try write("201_new.sql", "-- railyard:no-transaction\nCREATE INDEX CONCURRENTLY t1_id ON t1 (id);")
        try write("150_t.sql", "CREATE TABLE 'broken;")
        try FileManager.default.removeItem(at: folder.appendingPathComponent("100_t.sql"))
        try write("notes.txt", "not a migration")
        let changed = try MigrationCatalog.load(directory: folder, checksum: checksum, keepingStatements: false, cache: &cache)
        #expect(cache.parsedByLastLoad == 3)
        let fresh = try MigrationCatalog.load(directory: folder, checksum: checksum, keepingStatements: false)
        #expect(summary(changed) == summary(fresh))
        #expect(changed.files.contains { $0.filename == "201_new.sql" && !$0.transactional })
        #expect(!changed.files.contains { $0.filename == "100_t.sql" })
        #expect(changed.diagnostics.contains { $0.file == "150_t.sql" })
        #expect(changed.ignored == ["notes.txt"])
    }
}
