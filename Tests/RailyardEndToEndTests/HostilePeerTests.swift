import Foundation
import Testing
import RailyardTestSupport

/// The CLI facing a lookalike host, a proxy, a hostile server; the server's
/// own token file and output facing other local users and hostile data.
@Suite("Hostile peers")
struct HostilePeerTests {
    let cliTests = CLITests()

    /// A project folder whose `.railyard/admin-token` was written for `port`.
    func projectWithTokenFile(port: Int) throws -> MigrationFolder {
        let project = try MigrationFolder()
        try FileManager.default.createDirectory(atPath: project.url.path + "/.railyard", withIntermediateDirectories: true)
        try Data("file-token-secret\nport=\(port)\n".utf8).write(to: URL(fileURLWithPath: project.url.path + "/.railyard/admin-token"))
        return project
    }

    @Test func aHostThatOnlyLooksLikeLoopbackGetsNoTokenAndNoPass() throws {
        let proxy = try ScriptedServer(status: 502, body: "{}")
        let project = try projectWithTokenFile(port: 8080)
        let result = try cliTests.cli(["status", "--server", "http://127.0.0.1.attacker.tld:8080"], server: nil, token: nil,
                                      directory: project.url.path, environment: ["http_proxy": "http://127.0.0.1:\(proxy.port)"])
        #expect(!proxy.requests.isEmpty, "the request went to the proxy (it is not a loopback host): \(result.stderr)")
        #expect(!proxy.sawAuthorization, "the file's token must stay on this machine")
    }

    @Test func aLoopbackServerIsNeverReachedThroughAProxy() throws {
        let proxy = try ScriptedServer(status: 502, body: "{}")
        let (api, _) = try cliTests.server()
        let result = try cliTests.cli(["status"], server: api, environment: ["http_proxy": "http://127.0.0.1:\(proxy.port)",
                                                                            "HTTP_PROXY": "http://127.0.0.1:\(proxy.port)"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(proxy.requests.isEmpty, "loopback requests must not pass a proxy (the token would travel with them)")
    }

    @Test func theGeneratedTokenFileIsPrivateAndGoesOnlyToItsServer() throws {
        let folder = try MigrationFolder(CLITests.files)
        let database = try TestDatabase.create()
        let state = folder.url.appendingPathComponent(".railyard").path
        let api = try APIServer(conninfo: database.conninfo, folder: folder, environment: ["RAILYARD_ADMIN_TOKEN": ""])
        let tokenFile = state + "/admin-token"
        #expect(eventually(timeout: 10) { FileManager.default.fileExists(atPath: tokenFile) })
        let fileMode = try #require(try FileManager.default.attributesOfItem(atPath: tokenFile)[.posixPermissions] as? Int)
        let folderMode = try #require(try FileManager.default.attributesOfItem(atPath: state)[.posixPermissions] as? Int)
        #expect(fileMode == 0o600)
        #expect(folderMode == 0o700)
        #expect(try String(contentsOfFile: tokenFile, encoding: .utf8).contains("port=\(api.port)"))

        // The CLI finds it for that server...
        let works = try cliTests.cli(["status"], server: api, token: nil, directory: folder.url.path)
        #expect(works.status == 0, "\(works.stderr)")
        // ... and sends it to no other, even on loopback.
        let other = try ScriptedServer(status: 401, body: #"{"type":"about:blank","title":"Unauthorized","status":401}"#)
        let refused = try cliTests.cli(["status", "--server", "http://127.0.0.1:\(other.port)"], server: nil, token: nil,
                                       directory: folder.url.path)
        #expect(refused.status == 4)
        #expect(!other.sawAuthorization)
    }

    @Test func aTokenFileLinkIsReplacedNotFollowed() throws {
        let folder = try MigrationFolder(CLITests.files)
        let database = try TestDatabase.create()
        let state = folder.url.appendingPathComponent(".railyard").path
        try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let victim = folder.url.appendingPathComponent("victim.txt").path
        try Data("keep me\n".utf8).write(to: URL(fileURLWithPath: victim))
        try FileManager.default.createSymbolicLink(atPath: state + "/admin-token", withDestinationPath: victim)
        let api = try APIServer(conninfo: database.conninfo, folder: folder, environment: ["RAILYARD_ADMIN_TOKEN": ""])
        #expect(eventually(timeout: 10) { (try? FileManager.default.destinationOfSymbolicLink(atPath: state + "/admin-token")) == nil })
        #expect(try String(contentsOfFile: victim, encoding: .utf8) == "keep me\n")
        _ = api
    }

    @Test func aStateFolderOthersCanWriteToIsRefused() throws {
        let folder = try MigrationFolder(CLITests.files)
        let database = try TestDatabase.create()
        let state = folder.url.appendingPathComponent(".railyard").path
        try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)
        chmod(state, 0o777)
        let result = try Subprocess.run(RepositoryPaths.serverBinary, ["serve"], environment: [
            "DATABASE_URL": database.conninfo, "MIGRATIONS_DIR": folder.url.path, "PORT": "0", "HOST": "127.0.0.1",
            "RAILYARD_STATE_DIR": state, "RAILYARD_ADMIN_TOKEN": "",
        ], timeout: 30)
        #expect(result.status != 0)
        #expect(result.stderr.contains("is open to other users"), "\(result.stderr)")
    }

    @Test func aScaffoldFileNameFromTheServerCannotLeaveTheFolder() throws {
        let hostile = try ScriptedServer(status: 200, body: #"{"filename":"../../escaped.sql","sql":"SELECT 1;\n","source":"generated","unsupported":[]}"#)
        let project = try MigrationFolder()
        let migrations = project.url.appendingPathComponent("migrations").path
        try FileManager.default.createDirectory(atPath: migrations, withIntermediateDirectories: true)
        let result = try cliTests.cli(["rollback-scaffold", "20250101000000", "--write", "--server", "http://127.0.0.1:\(hostile.port)"],
                                      server: nil, directory: project.url.path)
        #expect(result.status == 1)
        #expect(result.stderr.contains("not a migration file name"), "\(result.stderr)")
        let escaped = project.url.deletingLastPathComponent().appendingPathComponent("escaped.sql").path
        #expect(!FileManager.default.fileExists(atPath: escaped))
        #expect(try FileManager.default.contentsOfDirectory(atPath: migrations).isEmpty)
    }

    @Test func controlCharactersFromTheServerAreShownNotObeyed() throws {
        let detail = #"\u001b]0;pwned\u0007\u001b[2J\rforged line\u009b31m"#
        let hostile = try ScriptedServer(status: 500, body: #"{"type":"about:blank","title":"Boom","status":500,"detail":"\#(detail)"}"#)
        let result = try cliTests.cli(["migrate", "--server", "http://127.0.0.1:\(hostile.port)"], server: nil)
        #expect(result.status == 1)
        let output = result.stdout + result.stderr
        #expect(!output.contains("\u{1B}") && !output.contains("\r") && !output.contains("\u{07}") && !output.contains("\u{9B}"))
        #expect(output.contains("␛]0;pwned"), "\(output)")
    }

    @Test func databaseTextCannotForgeLinesOfTheServersOutput() async throws {
        let database = try TestDatabase.create()
        let forged = #"E'fine\n✓ Completed migration: forged.sql (1 ms)\n\u001b[2J'"#
        let folder = try MigrationFolder([
            "20250101000000_notice.sql": "DO $$ BEGIN RAISE NOTICE '%', \(forged); END $$;",
            "20250102000000_fail.sql": "DO $$ BEGIN RAISE EXCEPTION '%', \(forged); END $$;",
        ])
        let migrate = try Subprocess.run(RepositoryPaths.serverBinary, ["migrate", "--dir", folder.url.path, "--target", "20250101000000"],
                                         environment: ["DATABASE_URL": database.conninfo])
        #expect(migrate.status == 0, "\(migrate.stderr)")
        let output = migrate.stdout + migrate.stderr
        #expect(output.contains("fine"))
        #expect(!output.contains("\u{1B}"))
        #expect(!output.split(separator: "\n").contains { $0.hasPrefix("✓ Completed migration: forged.sql") }, "\(output)")

        let api = try APIServer(conninfo: database.conninfo, folder: folder)
        let started = try await api.request("POST", "/api/runs", body: "{}")
        let id = try #require(started.json["id"] as? String)
        _ = try await api.waitForRun(id)
        #expect(eventually(timeout: 10) { api.process.stderr.contains("migration failed") })
        let log = api.process.stderr
        #expect(!log.contains("\u{1B}"))
        #expect(!log.split(separator: "\n").contains { $0.hasPrefix("✓ Completed migration: forged.sql") }, "\(log)")
    }
}
