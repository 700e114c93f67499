import Foundation
import Testing
import RailyardTestSupport

/// A dashboard on another origin calls the API from a browser: only the
/// origins in RAILYARD_CORS_ORIGINS are let in, by exact match, never `*`.
@Suite("CORS")
struct CORSTests {
    static let dashboard = "https://dash.example.com"

    /// The response's headers (lower-cased names) and status, as curl sees them.
    func request(_ api: APIServer, _ method: String, _ path: String, headers: [String]) throws -> (status: Int, headers: [String: String]) {
        var arguments = ["-s", "-o", "/dev/null", "-D", "-", "-X", method, api.baseURL + path]
        for header in headers { arguments += ["-H", header] }
        let result = try Subprocess.run("/usr/bin/curl", arguments)
        var fields: [String: String] = [:]
        var status = 0
        for line in result.stdout.split(whereSeparator: \.isNewline) {
            if line.hasPrefix("HTTP/") { status = Int(line.split(separator: " ")[1]) ?? 0; continue }
            guard let colon = line.firstIndex(of: ":") else { continue }
            fields[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return (status, fields)
    }

    @Test func anAllowedOriginGetsTheHeadersAndItsPreflightAnswered() throws {
        let database = try TestDatabase.create()
        let folder = try MigrationFolder(["1_a.sql": "CREATE TABLE a (id int);"])
        let api = try APIServer(conninfo: database.conninfo, folder: folder,
                                environment: ["RAILYARD_CORS_ORIGINS": "\(Self.dashboard), http://localhost:3000"])
        let token = "Authorization: Bearer \(APIServer.readToken)"

        let preflight = try request(api, "OPTIONS", "/api/migrations",
                                    headers: ["Origin: \(Self.dashboard)", "Access-Control-Request-Method: GET",
                                              "Access-Control-Request-Headers: authorization"])
        #expect(preflight.status == 204)
        #expect(preflight.headers["access-control-allow-origin"] == Self.dashboard)
        #expect(preflight.headers["access-control-allow-headers"]?.contains("Authorization") == true)
        #expect(preflight.headers["access-control-allow-methods"] == "GET, POST")
        #expect(preflight.headers["access-control-allow-credentials"] == nil)

        let allowed = try request(api, "GET", "/api/migrations", headers: ["Origin: \(Self.dashboard)", token])
        #expect(allowed.status == 200)
        #expect(allowed.headers["access-control-allow-origin"] == Self.dashboard)
        #expect(allowed.headers["vary"] == "Origin")
        // Errors carry the headers too, so the page can read why.
        let unauthorized = try request(api, "GET", "/api/migrations", headers: ["Origin: \(Self.dashboard)"])
        #expect(unauthorized.status == 401)
        #expect(unauthorized.headers["access-control-allow-origin"] == Self.dashboard)
        #expect(try request(api, "GET", "/api/health", headers: ["Origin: http://localhost:3000"]).headers["access-control-allow-origin"]
                == "http://localhost:3000")

        for other in ["https://evil.example.com", "https://dash.example.com.evil.example", "null"] {
            let refused = try request(api, "GET", "/api/migrations", headers: ["Origin: \(other)", token])
            #expect(refused.headers["access-control-allow-origin"] == nil, "\(other)")
            let refusedPreflight = try request(api, "OPTIONS", "/api/migrations",
                                               headers: ["Origin: \(other)", "Access-Control-Request-Method: GET"])
            #expect(refusedPreflight.headers["access-control-allow-origin"] == nil, "\(other)")
            #expect(refusedPreflight.status != 204)
        }
    }

    @Test func noOriginIsAllowedByDefault() throws {
        let database = try TestDatabase.create()
        let api = try APIServer(conninfo: database.conninfo, folder: try MigrationFolder())
        let reply = try request(api, "GET", "/api/health", headers: ["Origin: \(Self.dashboard)"])
        #expect(reply.status == 200)
        #expect(reply.headers["access-control-allow-origin"] == nil)
    }

    @Test(arguments: ["*", "dash.example.com", "https://dash.example.com/app", "https://"])
    func aValueThatIsNotAnOriginStopsTheServer(value: String) throws {
        let database = try TestDatabase.create()
        let result = try Subprocess.run(RepositoryPaths.serverBinary, ["serve"], environment: [
            "DATABASE_URL": database.conninfo, "PORT": "0", "HOST": "127.0.0.1", "RAILYARD_ADMIN_TOKEN": APIServer.adminToken,
            "RAILYARD_CORS_ORIGINS": value,
        ], timeout: 30)
        #expect(result.status != 0)
        #expect(result.stderr.contains("RAILYARD_CORS_ORIGINS: '\(value)' is not an origin"), "\(result.stderr)")
    }
}
