import FoundationEssentials
import RailyardAPI
import RailyardHTTP

/// The admin API, over libcurl, with the CLI's rules for tokens and errors.
struct APIClient {
    let baseURL: String
    let token: String?
    let http: HTTPClient
    /// Why the token must not be sent, when the URL is plain http:// to another host.
    let insecureRefusal: String?

    init(settings options: ClientSettings) {
        baseURL = options.serverURL
        http = HTTPClient(connectTimeout: min(options.requestTimeout, 10), totalTimeout: options.requestTimeout,
                          caFile: options.cacert)
        let components = URLComponents(string: baseURL)
        let host = components?.host ?? ""
        let loopback = Self.isLoopback(host)
        token = options.token ?? options.environment("RAILYARD_TOKEN") ?? (loopback ? Self.localAdminToken(options) : nil)
        insecureRefusal = components?.scheme?.lowercased() == "http" && !loopback && !options.allowInsecureHttp
            ? "refusing to send the token over plain http:// to \(host): use https://, or pass --allow-insecure-http if this network is trusted"
            : nil
    }

    /// The token a local `railyard-server serve` generated.
    static func localAdminToken(_ options: ClientSettings) -> String? {
        let state = options.environment("RAILYARD_STATE_DIR") ?? ".railyard"
        guard let text = try? String(contentsOfFile: state + "/admin-token", encoding: .utf8) else { return nil }
        let token = text.trimmed(newlines: true)
        return token.isEmpty ? nil : token
    }

    static func isLoopback(_ host: String) -> Bool {
        var bare = Substring(host.lowercased())
        if bare.hasPrefix("["), bare.hasSuffix("]") { bare = bare.dropFirst().dropLast() }
        return bare == "localhost" || bare == "::1" || bare.hasPrefix("127.")
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
        let response: HTTPResponse
        do {
            response = try http.send(HTTPRequest(method: method, url: baseURL + path, headers: headers, body: body))
        } catch {
            throw CLIError(.unreachable, "\(baseURL): \(error)")
        }
        switch response.status {
        case 401:
            let hint = token == nil
                ? "pass --token or set RAILYARD_TOKEN (a local server's token is in .railyard/admin-token)"
                : "the token was not accepted: check --token / RAILYARD_TOKEN"
            throw CLIError(.notAllowed, "not authenticated: \(hint)")
        case 403:
            throw CLIError(.notAllowed, "not allowed: \(Self.problem(response) ?? "this needs the admin token")")
        default:
            return response
        }
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
