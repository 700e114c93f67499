import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing

/// A real `railyard-server serve` on a free loopback port, with known tokens.
public final class APIServer: @unchecked Sendable {
    public static let adminToken = "admin-token-for-tests-0123456789"
    public static let readToken = "read-token-for-tests-9876543210"

    public let process: Subprocess
    public let port: Int
    /// Kept alive as long as the server uses it.
    public let folder: MigrationFolder
    public var baseURL: String { "http://127.0.0.1:\(port)" }

    public enum Token: Sendable { case none, wrong, read, admin }

    public init(conninfo: String, folder: MigrationFolder, arguments: [String] = [], environment: [String: String] = [:]) throws {
        var env = [
            "DATABASE_URL": conninfo, "MIGRATIONS_DIR": folder.url.path, "PORT": "0", "HOST": "127.0.0.1",
            "RAILYARD_ADMIN_TOKEN": Self.adminToken, "RAILYARD_READ_TOKEN": Self.readToken,
            "RAILYARD_STATE_DIR": folder.url.appendingPathComponent(".railyard").path,
            "RAILYARD_LOCK_RETRY_DELAY": "100ms",
        ]
        env.merge(environment) { _, new in new }
        let started = try Subprocess(RepositoryPaths.serverBinary, ["serve"] + arguments, environment: env)
        var found: Int?
        _ = eventually(timeout: 60) {
            found = Self.listeningPort(in: started.stderr)
            return found != nil || started.hasExited
        }
        process = started
        self.folder = folder
        port = try #require(found, "server did not start: \(started.stderr)")
    }

    /// The port from Hummingbird's "listening on 127.0.0.1:PORT" line.
    public static func listeningPort(in log: String) -> Int? {
        guard let range = log.range(of: "listening on ") else { return nil }
        let address = log[range.upperBound...].prefix { !$0.isWhitespace && $0 != "\"" }
        return address.split(separator: ":").last.flatMap { Int($0) }
    }

    public struct Reply {
        public var status: Int
        public var headers: [String: String]
        public var body: Data

        public var json: [String: Any] { (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:] }
        public var text: String { String(decoding: body, as: UTF8.self) }
    }

    public func request(_ method: String, _ path: String, token: Token = .admin, body: String? = nil,
                        contentType: String? = "application/json", timeout: TimeInterval = 30) async throws -> Reply {
        let (data, response) = try await URLSession.shared.data(for: urlRequest(method, path, token, body, contentType, timeout))
        return try Self.reply(data, response)
    }

    /// `request`, blocking the calling thread rather than suspending: for
    /// tests that also block (libpq, child processes), whose waits would
    /// otherwise hold the few threads that resume suspended requests.
    public func requestSync(_ method: String, _ path: String, token: Token = .admin, body: String? = nil,
                            timeout: TimeInterval = 30) throws -> Reply {
        final class Box: @unchecked Sendable {  // written by the completion handler before the semaphore is signalled
            var data: Data?
            var response: URLResponse?
            var error: (any Error)?
        }
        let box = Box()
        let done = DispatchSemaphore(value: 0)
        URLSession.shared.dataTask(with: urlRequest(method, path, token, body, "application/json", timeout)) { data, response, error in
            (box.data, box.response, box.error) = (data, response, error)
            done.signal()
        }.resume()
        done.wait()
        if let error = box.error { throw error }
        return try Self.reply(box.data ?? Data(), box.response)
    }

    private func urlRequest(_ method: String, _ path: String, _ token: Token, _ body: String?, _ contentType: String?,
                            _ timeout: TimeInterval) -> URLRequest {
        var request = URLRequest(url: URL(string: baseURL + path)!)
        request.httpMethod = method
        request.timeoutInterval = timeout
        switch token {
        case .none: break
        case .wrong: request.setValue("Bearer not-the-token", forHTTPHeaderField: "Authorization")
        case .read: request.setValue("Bearer \(Self.readToken)", forHTTPHeaderField: "Authorization")
        case .admin: request.setValue("Bearer \(Self.adminToken)", forHTTPHeaderField: "Authorization")
        }
        if let body {
            request.httpBody = Data(body.utf8)
            if let contentType { request.setValue(contentType, forHTTPHeaderField: "Content-Type") }
        }
        return request
    }

    private static func reply(_ data: Data, _ response: URLResponse?) throws -> Reply {
        let http = try #require(response as? HTTPURLResponse)
        var headers: [String: String] = [:]
        for (key, value) in http.allHeaderFields {
            if let key = key as? String, let value = value as? String { headers[key.lowercased()] = value }
        }
        return Reply(status: http.statusCode, headers: headers, body: data)
    }

    /// Polls a run until it is no longer running, blocking.
    public func waitForRunSync(_ id: String, timeout: TimeInterval = 60) throws -> [String: Any] {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let run = try requestSync("GET", "/api/runs/\(id)", token: .read).json
            if run["status"] as? String != "running" { return run }
            Thread.sleep(forTimeInterval: 0.05)
        }
        Issue.record("run \(id) still running after \(timeout) s")
        return [:]
    }

    /// Sends raw bytes and returns the status line, for requests URLSession will not make.
    public func raw(_ bytes: String) throws -> String {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        try #require(connected == 0)
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        _ = bytes.withCString { send(descriptor, $0, strlen($0), 0) }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = recv(descriptor, &buffer, buffer.count, 0)
        return count > 0 ? String(decoding: buffer[..<count], as: UTF8.self) : ""
    }

    /// Polls a run until it is no longer running.
    public func waitForRun(_ id: String, timeout: TimeInterval = 60) async throws -> [String: Any] {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let run = try await request("GET", "/api/runs/\(id)", token: .read).json
            if run["status"] as? String != "running" { return run }
            try await Task.sleep(nanoseconds: 50_000_000)
        }
        Issue.record("run \(id) still running after \(timeout) s")
        return [:]
    }

    deinit {
        process.kill(SIGKILL)
        process.wait(timeout: 5)
    }
}
