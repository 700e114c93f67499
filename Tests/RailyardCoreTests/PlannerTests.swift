import Foundation
import Testing
@testable import RailyardCore

func catalog(_ files: [(String, String)]) -> MigrationCatalog {
    MigrationCatalog.from(files: files.map { (name: $0.0, contents: $0.1) }, checksum: textChecksum)
}

func applied(_ file: MigrationFile, checksum: String? = nil, state: AppliedMigration.State = .applied, failedAt: Int? = nil) -> AppliedMigration {
    AppliedMigration(version: file.id, name: file.name, filename: file.filename,
                     checksum: checksum ?? file.checksum, state: state, failedStatement: failedAt)
}

@Suite("Migration catalog")
struct MigrationCatalogTests {
    @Test func ordersByNumericVersion() {
        let found = catalog([("10_b.sql", "SELECT 1;"), ("9_a.sql", "SELECT 1;"), ("20250101000000_c.sql", "SELECT 1;")])
        #expect(found.files.map(\.version) == ["9", "10", "20250101000000"])
        #expect(!found.hasErrors)
    }

    @Test func duplicateVersionsAreErrors() {
        #expect(catalog([("001_a.sql", "SELECT 1;"), ("1_a.sql", "SELECT 1;")]).diagnostics.map(\.rule) == ["duplicate-version"])
        let timestamps = catalog([("20250612152230_a.sql", "SELECT 1;"), ("20250612152230_b.sql", "SELECT 1;")])
        #expect(timestamps.diagnostics.map(\.rule) == ["duplicate-version"])
    }

    @Test func duplicateIsFoundEvenWhenOneFileIsBroken() {
        let found = catalog([("20250612152230_a.sql", "SELECT 1;"), ("20250612152230_b.sql", "SELECT 'oops")])
        #expect(Set(found.diagnostics.map(\.rule)) == ["duplicate-version", "syntax"])
    }

    @Test func badNamesAreErrors() {
        let found = catalog([("create_users.sql", "SELECT 1;")])
        #expect(found.diagnostics.map(\.rule) == ["file-name"])
    }

    @Test func readsAFolderIgnoringOtherFiles() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("railyard-catalog-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("nested.sql"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try "SELECT 1;".write(to: directory.appendingPathComponent("1_a.sql"), atomically: true, encoding: .utf8)
        try "notes".write(to: directory.appendingPathComponent("README.md"), atomically: true, encoding: .utf8)
        let found = try MigrationCatalog.load(directory: directory, checksum: textChecksum)
        #expect(found.files.map(\.filename) == ["1_a.sql"])
        #expect(found.ignored.sorted() == ["README.md", "nested.sql"])
    }

    @Test func missingFolderIsAnError() {
        #expect(throws: MigrationCatalog.DirectoryError.self) {
            try MigrationCatalog.load(directory: URL(fileURLWithPath: "/nonexistent/railyard"), checksum: textChecksum)
        }
    }
}

@Suite("Planner")
struct PlannerTests {
    let files = catalog([("1_a.sql", "SELECT 1;"), ("2_b.sql", "SELECT 2;"), ("3_c.sql", "SELECT 3;")]).files

    @Test func everythingPendingOnAnEmptyDatabase() throws {
        let plan = try Planner.plan(files: files, records: [])
        #expect(plan.steps.map(\.file.version) == ["1", "2", "3"])
        #expect(plan.states.allSatisfy { $0.status == .pending })
    }

    @Test func appliedAreSkipped() throws {
        let plan = try Planner.plan(files: files, records: [applied(files[0])])
        #expect(plan.steps.map(\.file.version) == ["2", "3"])
        #expect(plan.states.map(\.status) == [.applied, .pending, .pending])
    }

    @Test func changedStopsTheRunUnlessAllowed() throws {
        let records = [applied(files[0], checksum: "other")]
        #expect(throws: Planner.Refusal.self) { try Planner.plan(files: files, records: records) }
        do {
            _ = try Planner.plan(files: files, records: records)
        } catch {
            #expect(error.description.contains("1_a.sql"))
        }
        let plan = try Planner.plan(files: files, records: records, options: .init(allowChanged: true))
        #expect(plan.states[0].status == .changed)
        #expect(plan.steps.count == 2)
    }

    @Test func missingFilesStopTheRun() throws {
        let gone = AppliedMigration(version: "0", name: "gone", filename: "0_gone.sql", checksum: "x")
        let states = Planner.states(files: files, records: [gone])
        #expect(states.first?.status == .missing)
        #expect(throws: Planner.Refusal.self) { try Planner.plan(files: files, records: [gone]) }
    }

    @Test func outOfOrderIsFlaggedAndStrictOrderRefuses() throws {
        let records = [applied(files[0]), applied(files[2])]
        let plan = try Planner.plan(files: files, records: records)
        #expect(plan.steps.map(\.file.version) == ["2"])
        #expect(plan.steps[0].outOfOrder)
        #expect(throws: Planner.Refusal.self) { try Planner.plan(files: files, records: records, options: .init(strictOrder: true)) }
    }

    @Test func targetStopsAtTheVersion() throws {
        let plan = try Planner.plan(files: files, records: [], options: .init(target: "2"))
        #expect(plan.steps.map(\.file.version) == ["1", "2"])
        #expect(throws: Planner.Refusal.self) { try Planner.plan(files: files, records: [], options: .init(target: "7")) }
    }

    @Test func failedRefusesUntilRetriedAndResumes() throws {
        let records = [applied(files[0]), applied(files[1], state: .failed, failedAt: 4)]
        #expect(throws: Planner.Refusal.self) { try Planner.plan(files: files, records: records) }
        let plan = try Planner.plan(files: files, records: records, options: .init(retryFailed: true))
        #expect(plan.steps.map(\.file.version) == ["2", "3"])
        #expect(plan.steps[0].resumeAt == 4)
    }
}

/// An older deployment redeployed: the database has migrations newer than
/// every file of its folder.
@Suite("Planner: a database ahead of the folder")
struct AheadPlannerTests {
    let files = catalog([("1_a.sql", "SELECT 1;"), ("2_b.sql", "SELECT 2;"), ("3_c.sql", "SELECT 3;")]).files

    @Test func appliedMigrationsNewerThanEveryFileAreAheadNotMissing() throws {
        let records = files.map { applied($0) }
        let older = Array(files.prefix(2))
        let states = Planner.states(files: older, records: records)
        #expect(states.map(\.status) == [.applied, .applied, .ahead])
        let plan = try Planner.plan(files: older, records: records)
        #expect(plan.steps.isEmpty, "nothing runs and nothing is refused")
    }

    @Test func aMissingFileOlderThanTheNewestIsADeletionAndStillRefuses() {
        let records = files.map { applied($0) }
        let withoutMiddle = [files[0], files[2]]
        #expect(Planner.states(files: withoutMiddle, records: records).map(\.status) == [.applied, .missing, .applied])
        #expect(throws: Planner.Refusal.self) { try Planner.plan(files: withoutMiddle, records: records) }
    }

    @Test func strictRefusesAhead() {
        let records = files.map { applied($0) }
        #expect(throws: Planner.Refusal.self) { try Planner.plan(files: Array(files.prefix(2)), records: records, options: .init(strict: true)) }
    }

    @Test func nothingOlderRunsAroundAnAheadDatabaseUnlessAllowed() throws {
        let records = [applied(files[0]), applied(files[2])]
        let older = Array(files.prefix(2))  // 2_b.sql is pending, 3_c.sql is ahead
        #expect(throws: Planner.Refusal.self) { try Planner.plan(files: older, records: records) }
        let allowed = try Planner.plan(files: older, records: records, options: .init(allowChanged: true))
        #expect(allowed.steps.map(\.file.filename) == ["2_b.sql"])
    }
}
