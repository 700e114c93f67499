import Foundation
import Testing

/// A server that answers with one scripted response and records what it
/// was sent (scripts/scripted-http-server.py); also usable as a proxy.
public final class ScriptedServer: @unchecked Sendable {
    public let process: Subprocess
    public let port: Int
    public let log: String

    public init(status: Int, body: String) throws {
        let base = NSTemporaryDirectory() + "railyard-scripted-\(UUID().uuidString)"
        log = base + ".log"
        try Data(body.utf8).write(to: URL(fileURLWithPath: base + ".body"))
        FileManager.default.createFile(atPath: log, contents: nil)
        let started = try Subprocess("/usr/bin/env", ["python3", RepositoryPaths.root.appendingPathComponent("scripts/scripted-http-server.py").path,
                                                      log, String(status), base + ".body", "120"])
        _ = eventually(timeout: 10) { Int(started.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) != nil }
        process = started
        port = try #require(Int(started.stdout.trimmingCharacters(in: .whitespacesAndNewlines)), "scripted server did not start: \(started.stderr)")
    }

    /// What it was sent: method, target and headers of each request.
    public var requests: [[String: Any]] {
        ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
    }

    public var sawAuthorization: Bool {
        requests.contains { ($0["headers"] as? [String: String])?.keys.contains { $0.lowercased() == "authorization" } == true }
    }

    deinit {
        process.kill(SIGKILL)
        process.wait(timeout: 5)
    }
}
