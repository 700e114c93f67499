import Foundation
import Testing
import RailyardTestSupport

/// A live database compared with the committed schema.sql: through the
/// direct command, the API, the CLI, the status summary and the metrics.
@Suite("Schema drift")
struct DriftTests {
    @Test func handMadeChangesAreNamedExactlyEverywhere() throws {
        let database = try TestDatabase.create()
        let project = try MigrationFolder()
        let shipped = try MigrationFolder.repository()
        let migrations = try project.subfolder("migrations")
        for name in try shipped.names() { try migrations.write(name, try shipped.read(name)) }
        func server(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
            try Subprocess.run(RepositoryPaths.serverBinary, [arguments[0], "--dir", migrations.url.path] + arguments.dropFirst(),
                               environment: ["DATABASE_URL": database.conninfo])
        }
        func cli(_ arguments: [String], _ api: APIServer) throws -> (status: Int32, stdout: String, stderr: String) {
            try Subprocess.run(RepositoryPaths.cliBinary, arguments + ["--server", api.baseURL, "--token", APIServer.readToken])
        }
        let migrated = try server(["migrate", "--dump-schema"])
        #expect(migrated.status == 0, "\(migrated.stderr)")
        #expect(migrated.stdout.contains("✓ Wrote \(project.url.appendingPathComponent("schema.sql").standardizedFileURL.path)"))
        // The committed schema.sql is what migrate writes.
        #expect(try project.read("schema.sql") == String(contentsOf: RepositoryPaths.root.appendingPathComponent("schema.sql"), encoding: .utf8))

        let api = try APIServer(conninfo: database.conninfo, folder: migrations)
        let clean = try api.requestSync("GET", "/api/schema/drift", token: .read)
        #expect(clean.status == 200)
        #expect(clean.json["drift"] as? Bool == false)
        #expect(try cli(["drift"], api).status == 0)
        #expect(try server(["drift"]).stdout.contains("✓ No drift"))

        try database.execute("""
            ALTER TABLE clients DROP COLUMN notes;
            CREATE INDEX clients_name_idx ON clients (name);
            CREATE OR REPLACE FUNCTION set_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN NEW.updated_at := clock_timestamp(); RETURN NEW; END $$;
            """)
        let drift = try api.requestSync("GET", "/api/schema/drift", token: .read)
        #expect(drift.status == 200)
        #expect(drift.json["drift"] as? Bool == true)
        let objects = (drift.json["objects"] as? [[String: Any]] ?? []).map { "\($0["change"]!) \($0["kind"]!) \($0["name"]!)" }
        #expect(Set(objects) == ["changed function public.set_updated_at()", "changed table public.clients", "added index public.clients_name_idx"],
                "\(objects)")
        #expect((drift.json["diff"] as? String)?.contains("-    notes text,") == true)

        let driftCLI = try cli(["drift"], api)
        #expect(driftCLI.status == 1)
        #expect(driftCLI.stdout.contains("the database differs from") && driftCLI.stdout.contains("index public.clients_name_idx (added)"), "\(driftCLI.stdout)")
        let direct = try server(["drift"])
        #expect(direct.status == 1)
        #expect(direct.stdout.contains("in 3 objects"))

        let live = try api.requestSync("GET", "/api/schema", token: .read)
        #expect(live.status == 200 && live.headers["content-type"]?.hasPrefix("text/plain") == true)
        #expect(live.text.contains("CREATE INDEX clients_name_idx ON public.clients USING btree (name);"))
        let listing = try api.requestSync("GET", "/api/migrations", token: .read)
        #expect((listing.json["summary"] as? [String: Any])?["drift"] as? Int == 3)
        #expect(try api.requestSync("GET", "/metrics", token: .read).text.contains("railyard_schema_drift_objects 3"))
        #expect(try server(["status"]).stdout.contains("schema drift in 3 objects"))
        // Drift is information: a deploy still migrates, unless strict.
        #expect(try server(["migrate"]).status == 0)
        let strict = try server(["migrate", "--strict"])
        #expect(strict.status == 1)
        #expect(strict.stderr.contains("strict: after migrating, the database differs from schema.sql"))
    }

    /// `status` counts drift without dumping the schema again while neither
    /// the live catalogs nor schema.sql changed: a count planted in its memo
    /// shows until a DDL, or a schema.sql brought up to date, makes it count afresh.
    @Test func statusReusesItsDriftCountUntilTheSchemaOrTheFileChanges() throws {
        let database = try TestDatabase.create()
        let project = try MigrationFolder()
        let migrations = try project.subfolder("migrations")
        try migrations.write("20250101000000_clients.sql", "CREATE TABLE clients (id int PRIMARY KEY, name text);")
        let cache = try MigrationFolder()
        func server(_ command: String, _ extra: [String] = []) throws -> String {
            let result = try Subprocess.run(RepositoryPaths.serverBinary, [command, "--dir", migrations.url.path] + extra,
                                            environment: ["DATABASE_URL": database.conninfo, "XDG_CACHE_HOME": cache.url.path])
            #expect(result.status == 0, "\(command): \(result.stderr)")
            return result.stdout
        }
        let memo = cache.url.appendingPathComponent("railyard/status-drift.json")
        func plant(_ count: Int) throws {
            let text = try String(contentsOf: memo, encoding: .utf8)
            #expect(text.contains("\"count\":"), "\(text)")
            try text.replacingOccurrences(of: #""count":[0-9]+"#, with: "\"count\":\(count)", options: .regularExpression)
                .write(to: memo, atomically: true, encoding: .utf8)
        }
        _ = try server("migrate", ["--dump-schema"])
        #expect(try !server("status").contains("schema drift"))
        try plant(7)
        #expect(try server("status").contains("schema drift in 7 objects"))
        try database.execute("INSERT INTO clients VALUES (1, 'a'); ANALYZE clients")
        #expect(try server("status").contains("schema drift in 7 objects"))
        try database.execute("ALTER TABLE clients ADD COLUMN note text")
        let afterDDL = try server("status")
        #expect(afterDDL.contains("schema drift in 1 object (see drift)"), "\(afterDDL)")
        try plant(7)
        _ = try server("dump")
        #expect(try !server("status").contains("schema drift"))
    }

    @Test func withoutASchemaFileDriftSaysHowToMakeOne() throws {
        let database = try TestDatabase.create()
        let project = try MigrationFolder()
        let migrations = try project.subfolder("migrations")
        try migrations.write("1_users.sql", "CREATE TABLE users (id int);")
        let api = try APIServer(conninfo: database.conninfo, folder: migrations)
        let answer = try api.requestSync("GET", "/api/schema/drift", token: .read)
        #expect(answer.status == 404)
        #expect(answer.text.contains("railyard-server dump"))
        #expect(try api.requestSync("GET", "/api/schema/drift", token: .none).status == 401)
    }
}
