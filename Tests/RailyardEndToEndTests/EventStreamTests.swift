import Foundation
import Testing
import RailyardTestSupport

/// `GET /api/runs/{id}/events` and `GET /api/events`, read with curl as a
/// dashboard or `curl -N` reads them.
@Suite("Event stream")
struct EventStreamTests {
    struct Event: Equatable, CustomStringConvertible {
        var id: String
        var type: String
        var json: [String: Any]

        static func == (a: Event, b: Event) -> Bool { a.id == b.id && a.type == b.type }
        var description: String { "\(id) \(type)" }
        var sequence: Int { Int(id.split(separator: ":").last ?? "") ?? -1 }
        var stepStatus: String? { (json["step"] as? [String: Any])?["status"] as? String }
    }

    /// The messages of an event stream's text.
    static func events(in text: String) -> [Event] {
        text.components(separatedBy: "\n\n").compactMap { block in
            var id: String?
            var type: String?
            var data: [String] = []
            for line in block.split(separator: "\n") {
                if line.hasPrefix("id: ") { id = String(line.dropFirst(4)) }
                if line.hasPrefix("event: ") { type = String(line.dropFirst(7)) }
                if line.hasPrefix("data: ") { data.append(String(line.dropFirst(6))) }
            }
            guard let id, let type, !data.isEmpty else { return nil }
            let json = (try? JSONSerialization.jsonObject(with: Data(data.joined(separator: "\n").utf8))) as? [String: Any] ?? [:]
            return Event(id: id, type: type, json: json)
        }
    }

    /// `curl -N` on a stream, in the background.
    static func follow(_ api: APIServer, _ path: String, lastEventID: String? = nil, token: String = APIServer.readToken) throws -> Subprocess {
        var arguments = ["-sN", "--max-time", "90", "-H", "Authorization: Bearer \(token)", api.baseURL + path]
        if let lastEventID { arguments += ["-H", "Last-Event-ID: \(lastEventID)"] }
        return try Subprocess("/usr/bin/curl", arguments)
    }

    static let slowFolder = [
        "1_first.sql": "CREATE TABLE first ();",
        "2_slow.sql": "CREATE TABLE slow ();\nSELECT pg_sleep(1.5);",
        "3_slower.sql": "CREATE TABLE slower ();\nSELECT pg_sleep(1.5);",
        "4_last.sql": "CREATE TABLE last ();",
    ]

    static func expectEveryStepInOrder(_ events: [Event], files: [String], _ context: String) {
        #expect(events.map(\.sequence) == events.map(\.sequence).sorted(), "in order: \(context) \(events)")
        #expect(Set(events.map(\.id)).count == events.count, "no event twice: \(context)")
        #expect(events.prefix(3).map(\.type) == ["run", "plan", "log"], "\(context) \(events)")
        let steps = events.filter { $0.type == "step" }
        var expected: [String] = []
        for file in files { expected += ["\(file) running", "\(file) applied"] }
        #expect(steps.map { "\(($0.json["step"] as? [String: Any])?["filename"] as? String ?? "?") \($0.stepStatus ?? "?")" } == expected,
                "\(context)")
        #expect(events.suffix(2).map(\.type) == ["log", "end"], "\(context) \(events)")
        #expect((events.last?.json["run"] as? [String: Any])?["status"] as? String == "succeeded", "\(context)")
    }

    @Test func aClientConnectedDuringARunReceivesEveryStepInOrder() throws {
        let database = try TestDatabase.create()
        let folder = try MigrationFolder(Self.slowFolder)
        let api = try APIServer(conninfo: database.conninfo, folder: folder)
        let everything = try Self.follow(api, "/api/events")
        Thread.sleep(forTimeInterval: 0.5)
        let id = try #require(try api.requestSync("POST", "/api/runs", body: "{}").json["id"] as? String)
        let own = try Self.follow(api, "/api/runs/\(id)/events")
        #expect(own.wait(timeout: 60) == 0, "the run's own stream ends with the run: \(own.stderr)")
        let files = ["1_first.sql", "2_slow.sql", "3_slower.sql", "4_last.sql"]
        let received = Self.events(in: own.stdout)
        Self.expectEveryStepInOrder(received, files: files, "run stream")
        #expect(received.allSatisfy { $0.id.hasPrefix(id + ":") })
        let end = try #require(received.last)
        #expect(((end.json["run"] as? [String: Any])?["steps"] as? [[String: Any]])?.count == 4)

        _ = eventually(timeout: 10) { Self.events(in: everything.stdout).last?.type == "end" }
        everything.kill(SIGTERM)
        let global = Self.events(in: everything.stdout)
        Self.expectEveryStepInOrder(global, files: files, "stream of every run")
        #expect(global == received, "the same events, with the same ids, on both streams")
    }

    @Test func aClientThatReconnectsToAnyReplicaGetsExactlyWhatItMissed() throws {
        let database = try TestDatabase.create()
        let folder = try MigrationFolder(Self.slowFolder)
        let a = try APIServer(conninfo: database.conninfo, folder: folder)
        let b = try APIServer(conninfo: database.conninfo, folder: folder)
        let id = try #require(try a.requestSync("POST", "/api/runs", body: "{}").json["id"] as? String)
        let first = try Self.follow(a, "/api/runs/\(id)/events")
        // Leaves once the first migration is applied, the slow one still running.
        _ = eventually(timeout: 20) { Self.events(in: first.stdout).contains { $0.stepStatus == "applied" } }
        first.kill(SIGTERM)
        _ = first.wait()
        let before = Self.events(in: first.stdout)
        let last = try #require(before.last, "events before leaving")
        #expect(!before.contains { $0.type == "end" })

        // B is another replica: it only has the database to go by.
        let resumed = try Self.follow(b, "/api/runs/\(id)/events", lastEventID: last.id)
        #expect(resumed.wait(timeout: 60) == 0, "\(resumed.stderr)")
        let after = Self.events(in: resumed.stdout)
        #expect(!after.isEmpty)
        #expect(after.allSatisfy { $0.sequence > last.sequence }, "nothing seen twice: \(before) then \(after)")
        let files = ["1_first.sql", "2_slow.sql", "3_slower.sql", "4_last.sql"]
        Self.expectEveryStepInOrder(before + after, files: files, "before and after reconnecting")

        // Both replicas tell the finished run the same way, event for event.
        let fromA = Self.events(in: try Subprocess.run("/usr/bin/curl", ["-sN", "--max-time", "20", "-H", "Authorization: Bearer \(APIServer.readToken)",
                                                                          a.baseURL + "/api/runs/\(id)/events"]).stdout)
        let fromB = Self.events(in: try Subprocess.run("/usr/bin/curl", ["-sN", "--max-time", "20", "-H", "Authorization: Bearer \(APIServer.readToken)",
                                                                          b.baseURL + "/api/runs/\(id)/events"]).stdout)
        #expect(fromA.map(\.id) == (before + after).map(\.id))
        #expect(fromB.map(\.id) == fromA.map(\.id))

        // The stream of every run resumes the same way, from the same id.
        let global = try Self.follow(b, "/api/events", lastEventID: last.id)
        _ = eventually(timeout: 10) { Self.events(in: global.stdout).last?.type == "end" }
        global.kill(SIGTERM)
        #expect(Self.events(in: global.stdout) == after)
    }

    @Test func aFailedRunEndsWithWhereItFailed() throws {
        let database = try TestDatabase.create()
        let folder = try MigrationFolder(["1_ok.sql": "CREATE TABLE ok ();", "2_bad.sql": "CREATE TABLE bad ();\nSELECT pg_sleep(0.5);\nSELECT nonsense FROM ok;"])
        let api = try APIServer(conninfo: database.conninfo, folder: folder)
        let id = try #require(try api.requestSync("POST", "/api/runs", body: "{}").json["id"] as? String)
        let stream = try Self.follow(api, "/api/runs/\(id)/events")
        #expect(stream.wait(timeout: 60) == 0)
        let events = Self.events(in: stream.stdout)
        #expect(events.filter { $0.type == "step" }.map { $0.stepStatus ?? "?" } == ["running", "applied", "running", "failed"])
        let run = try #require(events.last?.json["run"] as? [String: Any])
        #expect(run["status"] as? String == "failed")
        let error = try #require(run["error"] as? [String: Any])
        #expect(error["filename"] as? String == "2_bad.sql")
        #expect(error["line"] as? Int == 3)
        #expect(error["column"] as? Int == 8)
        #expect(error["sqlstate"] as? String == "42703")
        #expect(events.contains { $0.type == "log" && ($0.json["message"] as? String)?.contains("2_bad.sql:3:8") == true },
                "the log says where: \(stream.stdout)")
    }

    @Test func waitsForALockAreEventsAndEndWithTheWait() throws {
        let database = try TestDatabase.create()
        _ = try database.execute("CREATE TABLE busy (id int)")
        let folder = try MigrationFolder(["1_alter.sql": "ALTER TABLE busy ADD COLUMN note text;"])
        let api = try APIServer(conninfo: database.conninfo, folder: folder)
        let holder = try database.connect()
        try holder.execute("BEGIN")
        try holder.execute("LOCK TABLE busy IN ACCESS EXCLUSIVE MODE")
        let id = try #require(try api.requestSync("POST", "/api/runs", body: "{}").json["id"] as? String)
        let stream = try Self.follow(api, "/api/runs/\(id)/events")
        _ = eventually(timeout: 20) { Self.events(in: stream.stdout).contains { $0.type == "wait" } }
        try holder.execute("COMMIT")
        #expect(stream.wait(timeout: 60) == 0)
        let events = Self.events(in: stream.stdout)
        let waits = events.filter { $0.type == "wait" }
        #expect(waits.count >= 2 && waits.count % 2 == 0, "each wait and its end: \(events)")
        #expect((waits.first?.json["wait"] as? [String: Any])?["kind"] as? String == "table_lock")
        #expect(waits.last?.json["wait"] is NSNull, "its end says it no longer waits")
        #expect(events.last?.type == "end")
        #expect(events.map(\.sequence) == events.map(\.sequence).sorted())
    }

    @Test func heartbeatsKeepAQuietStreamOpen() throws {
        let database = try TestDatabase.create()
        let folder = try MigrationFolder([:])
        let api = try APIServer(conninfo: database.conninfo, folder: folder,
                                environment: ["RAILYARD_SSE_HEARTBEAT": "0.5", "RAILYARD_IDLE_TIMEOUT": "1"])
        let stream = try Self.follow(api, "/api/events")
        // Longer than the idle timeout: a stream is a request in progress, not an idle connection.
        Thread.sleep(forTimeInterval: 2.5)
        #expect(!stream.hasExited, "\(stream.stderr)")
        stream.kill(SIGTERM)
        #expect(stream.stdout.hasPrefix("retry: "))
        #expect(stream.stdout.components(separatedBy: ": heartbeat\n\n").count - 1 >= 3, "\(stream.stdout)")
    }

    @Test func sigtermEndsOpenStreamsAndTheServerStops() throws {
        let database = try TestDatabase.create()
        let folder = try MigrationFolder(["1_a.sql": "CREATE TABLE a ();"])
        let api = try APIServer(conninfo: database.conninfo, folder: folder)
        let everything = try Self.follow(api, "/api/events")
        let id = try #require(try api.requestSync("POST", "/api/runs", body: "{}").json["id"] as? String)
        _ = try api.waitForRunSync(id)
        #expect(eventually(timeout: 10) { Self.events(in: everything.stdout).last?.type == "end" })
        // A dashboard left open must not hold a redeploy: Railway sends SIGTERM, then waits.
        api.process.kill(SIGTERM)
        #expect(api.process.wait(timeout: 10) == 0, "\(api.process.stderr)")
        #expect(everything.wait(timeout: 10) == 0, "the stream ends cleanly, for the client to reconnect elsewhere")
    }

    @Test func badRequestsAreAnsweredPlainly() throws {
        let database = try TestDatabase.create()
        let folder = try MigrationFolder(["1_a.sql": "CREATE TABLE a ();"])
        let api = try APIServer(conninfo: database.conninfo, folder: folder)
        let unknown = try api.requestSync("GET", "/api/runs/\(UUID().uuidString.lowercased())/events", token: .read)
        #expect(unknown.status == 404)
        #expect(try api.requestSync("GET", "/api/events", token: .none).status == 401)
        #expect(try api.requestSync("GET", "/api/runs/not-a-uuid/events", token: .read).status == 400)
        let headers = ["-s", "-o", "/dev/null", "-w", "%{http_code}", "-H", "Authorization: Bearer \(APIServer.readToken)",
                       "-H", "Last-Event-ID: yesterday", api.baseURL + "/api/events"]
        #expect(try Subprocess.run("/usr/bin/curl", headers).stdout == "400")
        let types = try Subprocess.run("/usr/bin/curl", ["-s", "-o", "/dev/null", "-w", "%{content_type}", "--max-time", "1",
                                                         "-H", "Authorization: Bearer \(APIServer.readToken)", api.baseURL + "/api/events"])
        #expect(types.stdout == "text/event-stream")
    }

    /// `railyard_http_requests_total` for a route and method, from /metrics.
    static func requests(_ api: APIServer, route: String, method: String = "GET") throws -> Int {
        let text = try api.requestSync("GET", "/metrics", token: .read).text
        return text.split(separator: "\n").filter { $0.hasPrefix("railyard_http_requests_total{route=\"\(route)\",method=\"\(method)\"") }
            .compactMap { $0.split(separator: " ").last.flatMap { Int($0) } }.reduce(0, +)
    }

    @Test func theCLIFollowsARunThroughItsStream() throws {
        let database = try TestDatabase.create()
        let folder = try MigrationFolder(Self.slowFolder)
        let api = try APIServer(conninfo: database.conninfo, folder: folder)
        let environment = ["RAILYARD_URL": api.baseURL, "RAILYARD_TOKEN": APIServer.adminToken]
        let migrate = try Subprocess.run(RepositoryPaths.cliBinary, ["migrate"], environment: environment, timeout: 60)
        #expect(migrate.status == 0, "\(migrate.stderr)")
        for file in ["1_first.sql", "2_slow.sql", "3_slower.sql", "4_last.sql"] {
            #expect(migrate.stdout.contains("✓ Completed migration: \(file)"), "\(migrate.stdout)")
        }
        #expect(migrate.stdout.contains("4 migrations applied"))
        // One stream for the whole run, and one look at its end, where polling would have asked fifteen times and more.
        #expect(try Self.requests(api, route: "/api/runs/{id}/events") == 1)
        #expect(try Self.requests(api, route: "/api/runs/{id}") == 1)

        let id = try #require(try api.requestSync("GET", "/api/runs", token: .read).json["runs"].flatMap { ($0 as? [[String: Any]])?.first?["id"] as? String })
        let followed = try Subprocess.run(RepositoryPaths.cliBinary, ["runs", id, "--follow"], environment: environment, timeout: 30)
        #expect(followed.status == 0, "\(followed.stderr)")
        #expect(followed.stdout.contains("✓ Completed migration: 3_slower.sql"), "\(followed.stdout)")
        #expect(try Self.requests(api, route: "/api/runs/{id}/events") == 2)
    }

    @Test func theCLIPollsAServerWithoutAStream() throws {
        let finished = #"{"id":"0c5e1f0e-0000-4000-8000-000000000009","status":"succeeded","trigger":"api","started_at":"2026-12-01T10:00:00.000Z","finished_at":"2026-12-01T10:00:01.000Z","dry_run":false,"steps":[{"version":"1","filename":"1_a.sql","status":"applied","duration_ms":4}]}"#
        let old = try ScriptedServer(status: 200, body: finished)
        let followed = try Subprocess.run(RepositoryPaths.cliBinary, ["runs", "0c5e1f0e-0000-4000-8000-000000000009", "--follow"],
                                          environment: ["RAILYARD_URL": "http://127.0.0.1:\(old.port)", "RAILYARD_TOKEN": "t"], timeout: 30)
        #expect(followed.status == 0, "\(followed.stderr)")
        #expect(followed.stdout.contains("✓ Completed migration: 1_a.sql"), "\(followed.stdout)")
        let targets = old.requests.compactMap { $0["target"] as? String }
        #expect(targets.contains("/api/runs/0c5e1f0e-0000-4000-8000-000000000009/events"), "\(old.requests)")
        #expect(targets.last == "/api/runs/0c5e1f0e-0000-4000-8000-000000000009", "\(old.requests)")
    }

    @Test func twoHundredSubscribersGetEveryEventWithinTheMemoryBudget() throws {
        let database = try TestDatabase.create()
        var files: [String: String] = [:]
        for index in 1...20 {
            files[String(format: "%02d_table.sql", index)] = "CREATE TABLE t\(index) (id int);\nSELECT pg_sleep(0.05);"
        }
        let folder = try MigrationFolder(files)
        let api = try APIServer(conninfo: database.conninfo, folder: folder)
        let script = RepositoryPaths.root.appendingPathComponent("scripts/sse-subscribers.py").path
        let result = try Subprocess.run("/usr/bin/env", ["python3", script, String(api.port), APIServer.readToken, APIServer.adminToken,
                                                         String(api.process.pid), "200"], timeout: 180)
        #expect(result.status == 0, "\(result.stderr)")
        let figures = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], "\(result.stdout)")
        #expect(figures["finished"] as? Int == 200, "every subscriber saw the run end: \(figures)")
        #expect(figures["identical"] as? Bool == true, "all got the same events: \(figures)")
        #expect(figures["in_order"] as? Bool == true)
        let steps = figures["steps"] as? [String] ?? []
        #expect(steps == files.keys.sorted().flatMap { ["\($0) running", "\($0) applied"] }, "every step: \(steps)")
        #expect(figures["run_status"] as? String == "succeeded")
        // The budget is the release build's (make bench measures it); this debug build must keep within it too.
        let peak = try #require(figures["peak_rss_mib"] as? Double)
        #expect(peak <= 80, "peak RSS \(peak) MiB with 200 subscribers")
    }
}
