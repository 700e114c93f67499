import Foundation
import Testing
import RailyardTestSupport
@testable import RailyardEngine

@Suite("Connection poolers", .serialized)
struct ConnectionPoolerTests {
    func migrate(_ folder: MigrationFolder, conninfo: String, environment: [String: String] = [:]) throws -> (status: Int32, stdout: String, stderr: String) {
        try Subprocess.run(RepositoryPaths.serverBinary, ["migrate", "--dir", folder.url.path],
                           environment: ["DATABASE_URL": conninfo].merging(environment) { $1 }, timeout: 60)
    }

    @Test func transactionPoolingIsRefusedBeforeAnythingRuns() throws {
        let bouncer = try PgBouncer(poolMode: "transaction")
        let database = try TestDatabase.create()
        let folder = try MigrationFolder(["20250101000000_a.sql": "CREATE TABLE a ();"])
        let result = try migrate(folder, conninfo: bouncer.conninfo(database: database.name))
        #expect(result.status == 1)
        #expect(result.stderr.contains("connection pooler"), "\(result.stderr)")
        #expect(result.stderr.contains("direct URL"))
        #expect(try !database.tableExists("a"))
        #expect(try !database.tableExists("public.railyard_migrations"))
        // The database's direct URL works.
        let direct = try migrate(folder, conninfo: database.conninfo)
        #expect(direct.status == 0, "\(direct.stderr)")
    }

    @Test func sessionPoolingWorksWhenDeclaredAndTheLockHolds() throws {
        let bouncer = try PgBouncer(poolMode: "session")
        let database = try TestDatabase.create()
        let folder = try MigrationFolder([
            "20250101000000_a.sql": "CREATE TABLE a ();",
            "20250102000000_slow.sql": "SELECT pg_sleep(1); CREATE TABLE b ();",
        ])
        let refused = try migrate(folder, conninfo: bouncer.conninfo(database: database.name))
        #expect(refused.status == 1, "an undeclared pooler is refused")
        // Two migrators through the session pooler at once: each migration once.
        let environment = ["RAILYARD_POOLER": "session"]
        let conninfo = bouncer.conninfo(database: database.name)
        let first = try Subprocess(RepositoryPaths.serverBinary, ["migrate", "--dir", folder.url.path],
                                   environment: ["DATABASE_URL": conninfo].merging(environment) { $1 })
        let second = try migrate(folder, conninfo: conninfo, environment: environment)
        #expect(first.wait(timeout: 60) == 0, "\(first.stderr)")
        #expect(second.status == 0, "\(second.stderr)")
        #expect(try database.trackedVersions() == ["20250101000000", "20250102000000"])
        #expect((first.stdout + second.stdout).components(separatedBy: "✓ Completed migration: 20250102000000_slow.sql").count == 2)
    }
}
