import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif
import RailyardAPI
import RailyardCore
import RailyardHTTP

/// The admin API, over libcurl, with the CLI's rules for tokens and errors.
struct APIClient {
    let baseURL: String
    let token: String?
    let http: HTTPClient
    /// Why the token must not be sent, when the URL is plain http:// to another host.
    let insecureRefusal: String?

    /// Where the token came from, for the 401 hint.
    enum TokenSource { case flag, environment, localFile, none }
    let tokenSource: TokenSource

    init(settings options: ClientSettings) {
        baseURL = options.serverURL
        let components = URLComponents(string: baseURL)
        let host = components?.host ?? ""
        let loopback = Self.isLoopback(host)
        // A loopback server is reached directly, never through a proxy.
        http = HTTPClient(connectTimeout: min(options.requestTimeout, 10), totalTimeout: options.requestTimeout,
                          caFile: options.cacert, direct: loopback)
        let port = components?.port ?? (components?.scheme?.lowercased() == "https" ? 443 : 80)
        if let token = options.token {
            (self.token, tokenSource) = (token, .flag)
        } else if let token = options.environment("RAILYARD_TOKEN") {
            (self.token, tokenSource) = (token, .environment)
        } else if loopback, let token = Self.localAdminToken(options, port: port) {
            (self.token, tokenSource) = (token, .localFile)
        } else {
            (self.token, tokenSource) = (nil, .none)
        }
        insecureRefusal = components?.scheme?.lowercased() == "http" && !loopback && !options.allowInsecureHttp
            ? "refusing to send the token over plain http:// to \(host): use https://, or pass --allow-insecure-http if this network is trusted"
            : nil
    }

    /// The token a local `railyard-server serve` generated, when that
    /// server listens on `port`: the file names the port it was written for.
    static func localAdminToken(_ options: ClientSettings, port: Int) -> String? {
        guard let path = tokenFile(options), let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        let lines = text.split(whereSeparator: \.isNewline).map { String($0).trimmed(newlines: true) }
        guard let token = lines.first, !token.isEmpty, lines.contains("port=\(port)") else { return nil }
        return token
    }

    /// `RAILYARD_STATE_DIR/admin-token`, else the nearest `.railyard/admin-token`
    /// in this folder or one above it, as git finds its repository.
    static func tokenFile(_ options: ClientSettings) -> String? {
        if let state = options.environment("RAILYARD_STATE_DIR") { return state + "/admin-token" }
        var folder = FileManager.default.currentDirectoryPath
        while true {
            let candidate = folder + "/.railyard/admin-token"
            if FileManager.default.fileExists(atPath: candidate) { return candidate }
            guard let slash = folder.lastIndex(of: "/"), folder != "/" else { return nil }
            folder = slash == folder.startIndex ? "/" : String(folder[..<slash])
        }
    }

    /// Only what surely is this machine: `localhost`, an IPv4 literal in
    /// 127.0.0.0/8 or `::1` (never a name that merely starts like one).
    static func isLoopback(_ host: String) -> Bool {
        var bare = host.lowercased()
        if bare.hasPrefix("["), bare.hasSuffix("]") { bare = String(bare.dropFirst().dropLast()) }
        if bare == "localhost" { return true }
        var v4 = in_addr()
        if inet_pton(AF_INET, bare, &v4) == 1 { return UInt32(bigEndian: v4.s_addr) >> 24 == 127 }
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, bare, &v6) == 1 else { return false }
        return withUnsafeBytes(of: &v6) { Array($0) } == Array(repeating: 0, count: 15) + [1]
    }

    /// Sends a request; transport failures are exit 3, 401/403 exit 4.
    /// Other statuses are returned for the caller to judge.
    func send(_ method: String, _ path: String, body: Data? = nil, authenticated: Bool = true) throws -> HTTPResponse {
        var headers = [("Accept", "application/json")]
        if authenticated, let token {
            if let insecureRefusal { throw CLIError(.usage, insecureRefusal) }
            headers.append(("Authorization", "Bearer \(token)"))
        }
        if body != nil { headers.append(("Content-Type", "application/json")) }
        var response: HTTPResponse
        do {
            response = try http.send(HTTPRequest(method: method, url: baseURL + path, headers: headers, body: body))
            // What the server says reaches the terminal shown, never obeyed.
            response.body = Data(ControlCharacters.neutralizedJSON(Array(response.body)))
        } catch {
            throw CLIError(.unreachable, "\(baseURL): \(error)")
        }
        try checkAllowed(response)
        return response
    }

    /// 401 and 403 as the CLI's errors, with where the token came from.
    private func checkAllowed(_ response: HTTPResponse) throws {
        switch response.status {
        case 401:
            let hint: String
            switch tokenSource {
            case .none: hint = "pass --token or set RAILYARD_TOKEN (a local server's token is in .railyard/admin-token)"
            case .flag: hint = "the token given with --token was not accepted"
            case .environment: hint = "the token in RAILYARD_TOKEN was not accepted"
            case .localFile: hint = "the token in .railyard/admin-token was not accepted: restart that server, or pass --token"
            }
            throw CLIError(.notAllowed, "not authenticated: \(hint)")
        case 403:
            throw CLIError(.notAllowed, "not allowed: \(Self.problem(response) ?? "this needs the admin token")")
        default:
            return
        }
    }

    /// Reads an event stream, handing its bytes to `onData`; see `HTTPClient.stream`.
    /// Returns the status (the stream's 200, or the refusal's), whether the
    /// answer is an event stream at all, and whether it was stopped.
    func stream(_ path: String, lastEventID: String?, onData: @escaping ([UInt8]) -> Bool,
                shouldStop: @escaping () -> Bool) throws -> (status: Int, isStream: Bool, stopped: Bool) {
        var headers = [("Accept", "text/event-stream")]
        if let token {
            if let insecureRefusal { throw CLIError(.usage, insecureRefusal) }
            headers.append(("Authorization", "Bearer \(token)"))
        }
        if let lastEventID { headers.append(("Last-Event-ID", lastEventID)) }
        let result: (response: HTTPResponse, stopped: Bool)
        do {
            // Heartbeats come every 15 s: three missed, and the connection is taken for dead.
            result = try http.stream(HTTPRequest(method: "GET", url: baseURL + path, headers: headers), silence: 45,
                                     onData: onData, shouldStop: shouldStop)
        } catch {
            throw CLIError(.unreachable, "\(baseURL): \(error)")
        }
        try checkAllowed(result.response)
        let isStream = result.response.headers["content-type"]?.hasPrefix("text/event-stream") == true
        return (result.response.status, isStream, result.stopped)
    }

    /// The response when it is a success, else a failure naming the server's reason.
    func expectSuccess(_ response: HTTPResponse, _ what: String) throws -> HTTPResponse {
        guard (200..<300).contains(response.status) else {
            throw CLIError(.failed, "\(what) failed (HTTP \(response.status)): \(Self.problem(response) ?? "no detail")")
        }
        return response
    }

    func decode<T: Decodable>(_ type: T.Type, _ response: HTTPResponse) throws -> T {
        do {
            return try APIJSON.decoder().decode(type, from: response.body)
        } catch {
            throw CLIError(.failed, "the server's answer is not what this CLI understands (\(error)); is \(baseURL) a railyard-server?")
        }
    }

    static func problem(_ response: HTTPResponse) -> String? {
        guard let problem = try? APIJSON.decoder().decode(ProblemDetails.self, from: response.body) else { return nil }
        return problem.detail ?? problem.title
    }
}

extension HTTPResponse {
    var text: String { String(decoding: body, as: UTF8.self) }
}
