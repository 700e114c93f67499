import ArgumentParser
import Foundation

/// Where the server is and how to talk to it; shared by the remote commands.
struct GlobalOptions: ParsableArguments {
    @Option(help: "The railyard-server URL (env RAILYARD_URL; default http://127.0.0.1:8080).")
    var server: String?

    @Option(help: "Bearer token (env RAILYARD_TOKEN; for a loopback server, .railyard/admin-token is used when unset).")
    var token: String?

    @Flag(help: "Print the API's JSON unchanged.")
    var json = false

    @Option(help: "Seconds to wait for each request (env RAILYARD_TIMEOUT; default 30).")
    var timeout: Double?

    @Option(help: "CA certificate file to verify the server's TLS certificate with.")
    var cacert: String?

    @Flag(help: "Allow sending the token over plain http:// to a host that is not this machine.")
    var allowInsecureHttp = false

    func validate() throws {
        if let timeout, timeout <= 0 { throw ValidationError("--timeout must be a positive number of seconds") }
        if let text = environment("RAILYARD_TIMEOUT"), timeout == nil, (Double(text) ?? 0) <= 0 {
            throw ValidationError("RAILYARD_TIMEOUT must be a positive number of seconds, not '\(text)'")
        }
        if let cacert, !FileManager.default.isReadableFile(atPath: cacert) {
            throw ValidationError("--cacert: cannot read \(cacert)")
        }
        guard let url = URLComponents(string: serverURL), let scheme = url.scheme?.lowercased(),
              ["http", "https"].contains(scheme), let host = url.host, !host.isEmpty else {
            throw ValidationError("--server must be an http:// or https:// URL, not '\(serverURL)'")
        }
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

    func client() -> APIClient {
        APIClient(options: self)
    }
}
