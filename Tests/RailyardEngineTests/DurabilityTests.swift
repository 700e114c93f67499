import Foundation
import Testing
import RailyardTestSupport
import PostgresClient
@testable import RailyardEngine

/// Migrations commit asynchronously inside a run; the run reports success
/// only after a synchronous commit. A server crash right after success must
/// lose nothing, and the tracking table must match the schema.
@Suite("Durability of a reported success")
struct DurabilityTests {
    @Test func aServerCrashRightAfterSuccessLosesNothing() throws {
        let state = try MigrationFolder()
        var files: [String: String] = [:]
        for number in 1...30 {
            files["\(number)_step.sql"] = "CREATE TABLE step_\(number) (id int);\nINSERT INTO step_\(number) VALUES (\(number));"
        }
        let folder = try MigrationFolder(files)
        let first = EmbeddedDatabase(stateDirectory: state.url.appendingPathComponent("state"))
        let conninfo = try first.start()
        var configuration = MigratorConfiguration(conninfo: conninfo, directory: folder.url)
        configuration.asynchronousCommits = true
        let report = try Migrator(configuration: configuration).migrate()
        #expect(report.status == .succeeded)
        #expect(report.appliedCount == 30)

        // Crash the server the moment success is known: no shutdown checkpoint.
        let binaries = try EmbeddedDatabase.serverBinaries().path
        let link = state.url.appendingPathComponent("state/postgres").path
        let data = (try? FileManager.default.destinationOfSymbolicLink(atPath: link)) ?? link
        let crash = geteuid() == 0
            ? try Subprocess.run("/usr/sbin/runuser", ["-u", "postgres", "--", binaries + "/pg_ctl", "stop", "-m", "immediate", "-D", data])
            : try Subprocess.run(binaries + "/pg_ctl", ["stop", "-m", "immediate", "-D", data])
        #expect(crash.status == 0, "\(crash.stderr)")
        first.stop()

        let second = EmbeddedDatabase(stateDirectory: state.url.appendingPathComponent("state"))
        defer { second.stop() }
        let recovered = try second.start()
        let connection = try PostgresConnection(conninfo: recovered)
        #expect(try connection.execute("SELECT count(*) FROM railyard_migrations WHERE status = 'applied'").scalar == "30")
        let tables = try connection.execute("SELECT count(*) FROM pg_tables WHERE tablename LIKE 'step%'").scalar
        #expect(tables == "30")
        #expect(try connection.execute("SELECT sum(id) FROM (\((1...30).map { "SELECT id FROM step_\($0)" }.joined(separator: " UNION ALL "))) s").scalar == "465")
        connection.close()
    }
}
