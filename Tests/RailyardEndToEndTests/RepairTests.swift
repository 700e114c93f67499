import Foundation
import Testing
import RailyardTestSupport

/// Recovering without editing `railyard_migrations` by hand.
@Suite("Repair")
struct RepairTests {
    func repair(_ arguments: [String], _ database: TestDatabase, _ folder: MigrationFolder) throws -> (status: Int32, stdout: String, stderr: String) {
        try Subprocess.run(RepositoryPaths.serverBinary, ["repair", "--dir", folder.url.path] + arguments,
                           environment: ["DATABASE_URL": database.conninfo, "USER": "oncall"])
    }

    @Test func acceptResolveAndForgetEachSetTheRowRightAndAreRecorded() throws {
        let database = try TestDatabase.create()
        let folder = try MigrationFolder([
            "1_users.sql": "-- users\nCREATE TABLE users (id int);",
            "2_backfill.sql": "-- railyard:no-transaction\nCREATE TABLE log (n int);\nSELECT 1/0;",
            "3_gone.sql": "CREATE TABLE gone ();",
        ])
        #expect(try database.migrateCommand(folder, ["--target", "1"]).status == 0)

        // accept: an edited comment in an applied file.
        try folder.write("1_users.sql", "-- the users table\nCREATE TABLE users (id int);")
        #expect(try database.migrateCommand(folder).stderr.contains("applied migration changed"))
        let wrong = try repair(["resolve", "1", "--reason", "no"], database, folder)
        #expect(wrong.status == 1 && wrong.stderr.contains("1_users.sql is changed"), "\(wrong.stderr)")
        let accepted = try repair(["accept", "1", "--reason", "comment reworded"], database, folder)
        #expect(accepted.status == 0, "\(accepted.stderr)")
        #expect(accepted.stdout.contains("✓ Repaired 1_users.sql: accept"))

        // resolve: a failed non-transactional migration finished by hand.
        #expect(try database.migrateCommand(folder).status == 1)
        try database.execute("INSERT INTO log VALUES (1)")
        #expect(try database.migrateCommand(folder).stderr.contains("failed partway"))
        #expect(try repair(["resolve", "2", "--reason", "ran the rest by hand"], database, folder).status == 0)
        let after = try database.migrateCommand(folder)
        #expect(after.status == 0, "\(after.stderr)")
        #expect(try database.trackedVersions() == ["1", "2", "3"])

        // forget: a deleted migration in the middle.
        try FileManager.default.removeItem(at: folder.url.appendingPathComponent("2_backfill.sql"))
        #expect(try database.migrateCommand(folder).stderr.contains("has no file"))
        #expect(try repair(["forget", "2", "--reason", "dropped the backfill"], database, folder).status == 0)
        #expect(try database.migrateCommand(folder).status == 0)

        let runs = try database.execute("""
            SELECT r.requested_by, s.note FROM railyard_runs r JOIN railyard_run_steps s ON s.run_id = r.id
            WHERE r.trigger = 'repair' ORDER BY r.started_at
            """).rows
        #expect(runs.map { $0[0] } == ["oncall", "oncall", "oncall"])
        #expect(runs.map { $0[1] ?? "" }.allSatisfy { $0.contains("reason:") })
        #expect(runs.last?[1]?.contains("dropped the backfill") == true)
    }

    @Test func theAPIAndTheCLIRepairToo() throws {
        let database = try TestDatabase.create()
        let folder = try MigrationFolder(["1_users.sql": "-- users\nCREATE TABLE users (id int);"])
        #expect(try database.migrateCommand(folder).status == 0)
        try folder.write("1_users.sql", "-- the users\nCREATE TABLE users (id int);")
        let api = try APIServer(conninfo: database.conninfo, folder: folder)
        #expect(try api.requestSync("POST", "/api/migrations/1/repair", token: .read, body: #"{"action":"accept","reason":"x"}"#).status == 403)
        #expect(try api.requestSync("POST", "/api/migrations/1/repair", body: #"{"action":"forget","reason":"x"}"#).status == 409)
        #expect(try api.requestSync("POST", "/api/migrations/1/repair", body: #"{"action":"accept"}"#).status == 400)
        let cli = try Subprocess.run(RepositoryPaths.cliBinary, ["repair", "accept", "1", "--reason", "comment"],
                                     environment: ["RAILYARD_URL": api.baseURL, "RAILYARD_TOKEN": APIServer.adminToken])
        #expect(cli.status == 0, "\(cli.stderr)")
        #expect(cli.stdout.contains("✓ Repaired 1_users.sql"))
        Thread.sleep(forTimeInterval: 1.1)
        let listing = try api.requestSync("GET", "/api/migrations", token: .read)
        #expect((listing.json["summary"] as? [String: Any])?["changed"] as? Int == 0, "\(listing.text)")
    }
}
