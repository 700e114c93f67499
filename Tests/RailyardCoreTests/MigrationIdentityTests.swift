import Testing
@testable import RailyardCore

/// A 14-digit timestamp identifies a migration; any other name (legacy
/// `001_`, the Node scripts' `YYYYMMDD_`) is identified by its whole stem.
@Suite("Migration identity")
struct MigrationIdentityTests {
    let sameDay = catalog([("20250612_add_users.sql", "CREATE TABLE users ();"),
                           ("20250612_add_invoices.sql", "CREATE TABLE invoices ();"),
                           ("20250613_add_email.sql", "ALTER TABLE users ADD COLUMN email text;")])

    @Test func idIsTheVersionForTimestampsAndTheStemOtherwise() throws {
        #expect(try MigrationFileName("20250612152230_add_users.sql").id == "20250612152230")
        #expect(try MigrationFileName("20250612_add_users.sql").id == "20250612_add_users")
        #expect(try MigrationFileName("001_initial.sql").id == "001_initial")
    }

    @Test func twoFilesOfOneDayAreTwoMigrationsOrderedByName() {
        #expect(sameDay.diagnostics.isEmpty)
        #expect(sameDay.files.map(\.filename) == ["20250612_add_invoices.sql", "20250612_add_users.sql", "20250613_add_email.sql"])
        let plan = try? Planner.plan(files: sameDay.files, records: [])
        #expect(plan?.steps.count == 3)
    }

    @Test func ordersByDigitsAsNumbersThenByName() {
        let ids = ["20250612120000", "9_z", "10_a", "20250612_b", "20250612_a", "0010_b"]
        #expect(ids.sorted(by: VersionOrder.less) == ["9_z", "10_a", "0010_b", "20250612_a", "20250612_b", "20250612120000"])
        #expect(VersionOrder.same("001_a", "1_a"))
        #expect(!VersionOrder.same("1_a", "1_b"))
    }

    @Test func rowsKeyedByDigitsAloneMatchTheirFileByName() {
        // An earlier Railyard (or the Node scripts' table) keyed both by "20250612".
        let records = sameDay.files.prefix(2).map { file in
            AppliedMigration(version: file.version, name: file.name, filename: file.filename, checksum: file.checksum)
        }
        let states = Planner.states(files: sameDay.files, records: Array(records))
        #expect(states.map(\.status) == [.applied, .applied, .pending])
        #expect(states.map(\.id) == ["20250612_add_invoices", "20250612_add_users", "20250613_add_email"])
    }

    @Test func aRenamedFileWithTheAppliedChecksumIsNeverRunAgain() throws {
        let before = catalog([("20250612_add_users.sql", "CREATE TABLE users ();"), ("20250612_add_invoices.sql", "CREATE TABLE invoices ();")])
        let records = before.files.map { applied($0) }
        let after = catalog([("20250612_add_users.sql", "CREATE TABLE users ();"), ("20250614_add_invoices.sql", "CREATE TABLE invoices ();")])
        let plan = try Planner.plan(files: after.files, records: records)
        #expect(plan.steps.isEmpty)
        #expect(plan.states.map(\.status) == [.applied, .renamed])
        #expect(plan.states[1].record?.filename == "20250612_add_invoices.sql")
    }

    @Test func aRenamedFileWithOtherContentsIsPendingAndTheOldOneMissing() {
        let records = [applied(catalog([("20250612_add_invoices.sql", "CREATE TABLE invoices ();")]).files[0])]
        let after = catalog([("20250614_add_invoices.sql", "CREATE TABLE invoices (id int);"), ("20250615_later.sql", "SELECT 1;")])
        let states = Planner.states(files: after.files, records: records)
        #expect(states.map(\.status) == [.missing, .pending, .pending])
        #expect(throws: Planner.Refusal.self) { try Planner.plan(files: after.files, records: records) }
    }

    @Test func aTargetOfDigitsCoversEveryFileWithThem() throws {
        let byDigits = try Planner.plan(files: sameDay.files, records: [], options: .init(target: "20250612"))
        #expect(byDigits.steps.map(\.file.filename) == ["20250612_add_invoices.sql", "20250612_add_users.sql"])
        let byID = try Planner.plan(files: sameDay.files, records: [], options: .init(target: "20250612_add_invoices"))
        #expect(byID.steps.map(\.file.filename) == ["20250612_add_invoices.sql"])
        #expect(throws: Planner.Refusal.self) { try Planner.plan(files: sameDay.files, records: [], options: .init(target: "20250611")) }
    }

    @Test func referencesResolveByIDThenByUniqueDigits() {
        #expect(sameDay.file("20250613").found?.filename == "20250613_add_email.sql")
        #expect(sameDay.file("20250612_add_users").found?.filename == "20250612_add_users.sql")
        guard case .ambiguous(let files) = sameDay.file("20250612") else { Issue.record("20250612 names two files"); return }
        #expect(files.map(\.id) == ["20250612_add_invoices", "20250612_add_users"])
        guard case .none = sameDay.file("20250614") else { Issue.record("20250614 names no file"); return }
        #expect(MigrationReference.ambiguity("20250612", ids: files.map(\.id)).contains("name one by its file name without .sql"))
    }

    @Test func referencesAreDigitsOrStems() {
        #expect(VersionOrder.referenceProblem("20250612") == nil)
        #expect(VersionOrder.referenceProblem("20250612_add_users") == nil)
        for bad in ["", "20250612_Add", "../etc/passwd", "add_users", "1.sql", "20250612_a.sql"] {
            #expect(VersionOrder.referenceProblem(bad) != nil, "\(bad)")
        }
    }

    /// A folder of 14-digit timestamps only (sorted by number, the fast way)
    /// sorts as the general rule has it, leading zeros and repeats included.
    @Test func timestampIdsSortByTheSameRule() {
        var generator = SystemRandomNumberGenerator()
        let ids = (0..<500).map { index -> String in
            let number = UInt64.random(in: 0..<100_000_000_000_000, using: &generator) / (index % 3 == 0 ? 1_000_000 : 1)
            let digits = String(number)
            return String(repeating: "0", count: 14 - digits.count) + digits
        } + ["20250101000000", "20250101000000", "00000000000001"]
        #expect(ids.allSatisfy { $0.utf8.count == 14 })
        #expect(VersionOrder.sorted(ids) { $0 } == ids.sorted(by: VersionOrder.less))
        #expect(VersionOrder.sorted(ids + ["20250612_a"]) { $0 } == (ids + ["20250612_a"]).sorted(by: VersionOrder.less))
    }

    /// Ids order by their digits as a number, then by name, then by how
    /// they are written; checked against that rule spelled out plainly.
    @Test func orderMatchesTheRuleOnManyIds() {
        func reference(_ a: String, _ b: String) -> Bool {
            func split(_ id: String) -> (number: String, name: String) {
                let digits = String(id.prefix { $0.isASCII && $0.isNumber })
                let number = String(digits.drop { $0 == "0" })
                return (number, String(id.dropFirst(digits.count)))
            }
            let (x, y) = (split(a), split(b))
            if x.number.count != y.number.count { return x.number.count < y.number.count }
            if x.number != y.number { return Array(x.number.utf8).lexicographicallyPrecedes(Array(y.number.utf8)) }
            if x.name != y.name { return Array(x.name.utf8).lexicographicallyPrecedes(Array(y.name.utf8)) }
            return Array(a.utf8).lexicographicallyPrecedes(Array(b.utf8))
        }
        var generator = SystemRandomNumberGenerator()
        let pieces = ["", "0", "00", "1", "9", "10", "007", "20250612", "20250612120000", "99999999999999999999"]
        let names = ["", "_a", "_b", "_a_b", "_ab", "_z9", "_é"]
        let ids = (0..<400).map { _ in pieces.randomElement(using: &generator)! + names.randomElement(using: &generator)! }
        #expect(VersionOrder.sorted(ids) { $0 } == ids.sorted(by: reference))
        for a in ids {
            #expect(!VersionOrder.less(a, a))
            for b in ids.prefix(60) {
                #expect(VersionOrder.less(a, b) == reference(a, b), "\(a) < \(b)")
            }
        }
    }
}
