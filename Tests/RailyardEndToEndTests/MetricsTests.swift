import Foundation
import Testing
import RailyardTestSupport

/// `/metrics` as Prometheus scrapes it, and `docs/grafana/railyard.json`,
/// the board over it: every series the board queries must be exported.
@Suite("Prometheus metrics and the Grafana board")
struct MetricsTests {
    /// Each exported metric's type, and every sample line.
    static func parse(_ text: String) -> (types: [String: String], samples: [String]) {
        var types: [String: String] = [:]
        var samples: [String] = []
        for line in text.split(separator: "\n").map(String.init) {
            if line.hasPrefix("# TYPE ") {
                let parts = line.split(separator: " ")
                if parts.count == 4 { types[String(parts[2])] = String(parts[3]) }
            } else if !line.hasPrefix("#") && !line.isEmpty {
                samples.append(line)
            }
        }
        return (types, samples)
    }

    /// The value of the sample whose line starts with `prefix`.
    static func value(_ samples: [String], _ prefix: String) -> Double? {
        samples.first { $0.hasPrefix(prefix) }.flatMap { $0.split(separator: " ").last }.flatMap { Double($0) }
    }

    /// The `railyard_…` series an expression queries, histograms by their base name.
    static func queried(_ expression: String) -> Set<String> {
        let pattern = try! NSRegularExpression(pattern: "railyard_[a-z_]+")
        let range = NSRange(expression.startIndex..., in: expression)
        return Set(pattern.matches(in: expression, range: range).map { match in
            var name = String(expression[Range(match.range, in: expression)!])
            for suffix in ["_bucket", "_sum", "_count"] where name.hasSuffix(suffix) { name.removeLast(suffix.count) }
            return name
        })
    }

    @Test func seriesAreNamedAsPrometheusNamesThemAndTheBoardQueriesOnlyExportedOnes() throws {
        let database = try TestDatabase.create()
        try database.execute("CREATE TABLE busy (id int)")
        let folder = try MigrationFolder([
            "1_busy.sql": "ALTER TABLE busy ADD COLUMN note text;",
            "2_b.sql": "CREATE TABLE b (id int);",
            "3_c.sql": "CREATE TABLE c (id int);",
        ])
        let api = try APIServer(conninfo: database.conninfo, folder: folder)

        // Before any run, every series the board needs is there already (the HTTP ones once a request was answered).
        _ = try api.requestSync("GET", "/api/health", token: .none)
        let board = try #require(try JSONSerialization.jsonObject(
            with: Data(contentsOf: RepositoryPaths.root.appendingPathComponent("docs/grafana/railyard.json"))) as? [String: Any])
        let panels = try #require(board["panels"] as? [[String: Any]])
        let expressions = panels.flatMap { ($0["targets"] as? [[String: Any]] ?? []).compactMap { $0["expr"] as? String } }
        let queried = expressions.reduce(into: Set<String>()) { $0.formUnion(Self.queried($1)) }
        let before = Self.parse(try api.requestSync("GET", "/metrics", token: .read).text)
        #expect(queried.subtracting(before.types.keys).isEmpty, "queried but not exported: \(queried.subtracting(before.types.keys))")

        // A run that waits for a table lock, then applies the first file.
        let blocker = try database.connect()
        try blocker.execute("BEGIN; LOCK TABLE busy IN ACCESS SHARE MODE;")
        let started = try api.requestSync("POST", "/api/runs", body: #"{"target": "1"}"#)
        #expect(started.status == 202)
        let id = try #require(started.json["id"] as? String)
        let waited = eventually(timeout: 30) {
            ((try? api.requestSync("GET", "/api/runs/\(id)", token: .read).json["wait"]) as? [String: Any])?["kind"] as? String == "table_lock"
        }
        #expect(waited)
        let waiting = Self.parse(try api.requestSync("GET", "/metrics", token: .read).text)
        #expect(Self.value(waiting.samples, "railyard_lock_waiting") == 1)
        try blocker.execute("ROLLBACK")
        #expect(try api.waitForRunSync(id)["status"] as? String == "succeeded")
        _ = try api.requestSync("GET", "/api/no-such-route", token: .read)

        // The counts are recomputed once the tracking table changed (a scrape may get the answer of a quarter of a second ago).
        var after = Self.parse("")
        let counted = eventually(timeout: 10) {
            after = Self.parse((try? api.requestSync("GET", "/metrics", token: .read).text) ?? "")
            return Self.value(after.samples, "railyard_migrations_pending") == 2
        }
        #expect(counted, "pending: \(Self.value(after.samples, "railyard_migrations_pending") ?? -1)")
        #expect(queried.subtracting(after.types.keys).isEmpty)
        for (name, type) in after.types {
            #expect(name.hasPrefix("railyard_"), "\(name)")
            if type == "counter" { #expect(name.hasSuffix("_total"), "\(name)") }
            if type == "histogram" { #expect(name.hasSuffix("_seconds"), "\(name)") }
        }
        #expect(Self.value(after.samples, #"railyard_runs_total{status="succeeded"}"#) == 1)
        #expect(Self.value(after.samples, #"railyard_runs_total{status="failed"}"#) == 0)
        #expect(Self.value(after.samples, "railyard_migrations_pending") == 2)
        #expect(Self.value(after.samples, "railyard_migrations_failed") == 0)
        #expect(Self.value(after.samples, "railyard_database_up") == 1)
        #expect(Self.value(after.samples, "railyard_lock_waiting") == 0)
        #expect((Self.value(after.samples, #"railyard_lock_waits_total{kind="table_lock"}"#) ?? 0) >= 1)
        #expect(Self.value(after.samples, "railyard_migration_duration_seconds_count") == 1)
        #expect(Self.value(after.samples, "railyard_schema_drift_objects") == -1)
        let requests = after.samples.filter { $0.hasPrefix("railyard_http_requests_total{") }
        #expect(requests.contains { $0.contains(#"method="POST""#) && $0.contains(#"status="202""#) && $0.contains("runs") }, "\(requests)")
        #expect(requests.contains { $0.contains(#"route="unmatched""#) && $0.contains(#"status="404""#) }, "\(requests)")
        #expect(!requests.contains { $0.contains("no-such-route") })

        let titles = panels.compactMap { $0["title"] as? String }.joined(separator: " | ").lowercased()
        for needed in ["runs by result", "migration durations", "pending", "lock waits", "http requests by route and status"] {
            #expect(titles.contains(needed), "the board shows \(needed)")
        }
    }
}
