import ArgumentParser
import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif
import RailyardAPI
import RailyardCore
import RailyardHTTP

struct MigrateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Start a run on the server and follow it live until it ends.",
        discussion: "Ctrl-C cancels the run (the migration in progress rolls back); --detach leaves it running.")

    @OptionGroup var options: GlobalOptions

    @Option(help: "Apply up to and including this version (or file name without .sql).")
    var target: String?

    @Flag(help: "Run pending migrations in a transaction that is rolled back.")
    var dryRun = false

    @Flag(help: "Start the run and return; follow it with: railyard runs ID --follow.")
    var detach = false

    @Flag(help: "Migrate even if applied migrations were changed or are missing.")
    var allowChanged = false

    @Flag(help: "Resume migrations that failed partway (transaction:false ones).")
    var retryFailed = false

    @Flag(help: "Refuse pending migrations older than the newest applied one.")
    var strictOrder = false

    @Flag(help: "Refuse a database ahead of the folder too.")
    var strict = false

    func validate() throws {
        if let target, let problem = VersionOrder.referenceProblem(target) { throw ValidationError("--target must be \(problem)") }
    }

    func run() throws {
        try reporting {
            let client = options.client()
            let body = try JSONEncoder().encode(RunRequest(dryRun: dryRun, target: target, allowChanged: allowChanged,
                                                           retryFailed: retryFailed, strictOrder: strictOrder, strict: strict))
            let started = try client.send("POST", "/api/runs", body: body)
            if started.status == 404, let target {
                throw CLIError(.failed, "the server has no migration with version \(target)")
            }
            let id: String
            if started.status == 409 {
                let active = (try? APIJSON.decoder().decode(ProblemDetails.self, from: started.body))?.activeRun
                guard !dryRun, target == nil, let active else {
                    throw CLIError(.failed, "a run is already in progress" + (active.map { " (\($0)); follow it with: railyard runs \($0) --follow" } ?? ": \(APIClient.problem(started) ?? "another migrator holds the lock")"))
                }
                // A full run already does this command's work: its result is this command's.
                if !options.json { Terminal.line("A run is already in progress (\(active)): following it") }
                id = active
            } else {
                id = try client.decode(Run.self, try client.expectSuccess(started, "starting a run")).id
            }
            if detach {
                Terminal.line(options.json ? started.text : "Run \(id) started; follow it with: railyard runs \(id) --follow")
                return
            }
            try RunFollower(client: client, json: options.json, dryRun: dryRun).followToTheEnd(id)
        }
    }
}

/// Ctrl-C while following a run: counted, so the follower can cancel the
/// run on the first and leave at once on the second.
enum Interrupt {
    nonisolated(unsafe) static var count: Int32 = 0  // written only by the signal handler

    static func install() {
        signal(SIGINT) { _ in
            Interrupt.count += 1
            if Interrupt.count > 1 { _exit(130) }
        }
    }
}

/// A one-line progress bar on a terminal, redrawn in place.
final class ProgressLine {
    let enabled: Bool
    private var drawn = false

    init(enabled: Bool) {
        self.enabled = enabled
    }

    func draw(done: Int, total: Int, current: String?) {
        guard enabled, total > 0 else { return }
        let width = 24
        let filled = width * done / total
        let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
        Terminal.write("\r\u{1B}[K[\(bar)] \(done)/\(total)" + (current.map { "  \($0)" } ?? ""))
        drawn = true
    }

    func clear() {
        guard enabled, drawn else { return }
        Terminal.write("\r\u{1B}[K")
        drawn = false
    }
}

/// `POST /api/runs`' body.
private struct RunRequest: Encodable {
    var dryRun: Bool
    var target: String?
    var allowChanged: Bool
    var retryFailed: Bool
    var strictOrder: Bool
    var strict: Bool

    enum CodingKeys: String, CodingKey {
        case dryRun = "dry_run", target, allowChanged = "allow_changed", retryFailed = "retry_failed"
        case strictOrder = "strict_order", strict
    }
}
