import ArgumentParser
import FoundationEssentials

/// Where the server is and how to talk to it; shared by the remote commands.
struct GlobalOptions: ParsableArguments {
    @Option(help: "The railyard-server URL (env RAILYARD_URL; default http://127.0.0.1:8080).")
    var server: String?

    @Option(help: "Bearer token (env RAILYARD_TOKEN; for a loopback server, .railyard/admin-token is used when unset).")
    var token: String?

    @Flag(help: "Print the API's JSON unchanged.")
    var json = false

    @Option(parsing: .unconditional, help: "Seconds to wait for each request (env RAILYARD_TIMEOUT; default 30).")
    var timeout: Double?

    @Option(help: "CA certificate file to verify the server's TLS certificate with.")
    var cacert: String?

    @Flag(help: "Allow sending the token over plain http:// to a host that is not this machine.")
    var allowInsecureHttp = false

    var settings: ClientSettings {
        ClientSettings(server: server, token: token, json: json, timeout: timeout, cacert: cacert,
                       allowInsecureHttp: allowInsecureHttp)
    }

    func validate() throws {
        if let problem = settings.problem { throw ValidationError(problem) }
    }

    func client() -> APIClient {
        APIClient(settings: settings)
    }
}

/// The remote commands' settings once parsed: flags, then the environment.
struct ClientSettings {
    var server: String?
    var token: String?
    var json = false
    var timeout: Double?
    var cacert: String?
    var allowInsecureHttp = false

    /// What is wrong with these settings, as the usage error to print.
    var problem: String? {
        if let timeout, timeout <= 0 { return "--timeout must be a positive number of seconds" }
        if let text = environment("RAILYARD_TIMEOUT"), timeout == nil, (Double(text) ?? 0) <= 0 {
            return "RAILYARD_TIMEOUT must be a positive number of seconds, not '\(text)'"
        }
        if let cacert, !FileManager.default.isReadableFile(atPath: cacert) {
            return "--cacert: cannot read \(cacert)"
        }
        guard let url = URLComponents(string: serverURL), let scheme = url.scheme?.lowercased(),
              ["http", "https"].contains(scheme), let host = url.host, !host.isEmpty else {
            return "--server must be an http:// or https:// URL, not '\(serverURL)'"
        }
        return nil
    }

    var serverURL: String {
        var url = server ?? environment("RAILYARD_URL") ?? "http://127.0.0.1:8080"
        while url.hasSuffix("/") { url.removeLast() }
        return url
    }

    var requestTimeout: Double { timeout ?? environment("RAILYARD_TIMEOUT").flatMap(Double.init) ?? 30 }

    func environment(_ name: String) -> String? {
        guard let value = ProcessInfo.processInfo.environment[name], !value.isEmpty else { return nil }
        return value
    }

    /// `health`'s arguments when they are only these settings in plain form
    /// (`--server URL`, `--json`, …): then the probe skips the argument
    /// parser's start-up cost. Anything else (help, unknown or repeated
    /// options) is nil and goes through the full parser.
    static func plainHealthArguments(_ arguments: [String]) -> ClientSettings? {
        guard arguments.first == "health" else { return nil }
        var settings = ClientSettings()
        var seen = Set<String>()
        var rest = arguments.dropFirst()
        while let name = rest.popFirst() {
            guard seen.insert(name).inserted else { return nil }
            switch name {
            case "--json": settings.json = true
            case "--allow-insecure-http": settings.allowInsecureHttp = true
            case "--server", "--token", "--timeout", "--cacert":
                guard let value = rest.popFirst(), !value.hasPrefix("-") else { return nil }
                switch name {
                case "--server": settings.server = value
                case "--token": settings.token = value
                case "--cacert": settings.cacert = value
                default:
                    guard let seconds = Double(value) else { return nil }
                    settings.timeout = seconds
                }
            default:
                return nil
            }
        }
        return settings.problem == nil ? settings : nil
    }
}
