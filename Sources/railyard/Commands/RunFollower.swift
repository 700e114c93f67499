import ArgumentParser
import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif
import RailyardAPI
import RailyardCore
import RailyardHTTP

/// Follows a run until it ends: a line per migration as it finishes, lock
/// waits as they happen, a progress bar on a terminal. It reads the run's
/// event stream, reconnecting with `Last-Event-ID` when the connection
/// drops, and polls the run when the server has no stream. The first
/// Ctrl-C cancels the run (its migration rolls back) and goes on following
/// it to its end; a second one leaves at once.
struct RunFollower {
    let client: APIClient
    let json: Bool
    var dryRun = false

    /// Follows `id`, prints its outcome, and exits the way the run ended:
    /// 0 succeeded, 130 cancelled here with Ctrl-C, 1 otherwise.
    func followToTheEnd(_ id: String) throws {
        Interrupt.install()
        let final = try follow(id)
        if json { Terminal.line(final.text) }
        let run = try client.decode(Run.self, final)
        if !json { summarize(run) }
        if run.status == .cancelled && Interrupt.count > 0 { throw ExitCode(130) }
        if run.status != .succeeded { throw ExitCode.failure }
    }

    /// Shows the run as it goes; returns the server's last word on it.
    func follow(_ id: String) throws -> HTTPResponse {
        let display = RunDisplay(json: json, dryRun: dryRun)
        var cancelSent = false
        let cancelIfAsked = {
            guard Interrupt.count > 0 && !cancelSent else { return }
            cancelSent = true
            display.progress.clear()
            let answer = try client.send("POST", "/api/runs/\(id)/cancel")
            if !json {
                Terminal.error(answer.status == 202 ? "Cancelling run \(id): the migration in progress rolls back (Ctrl-C again to leave it)"
                                                   : "Could not cancel run \(id): \(APIClient.problem(answer) ?? "HTTP \(answer.status)")")
            }
        }
        if try !stream(id, display, cancelIfAsked: cancelIfAsked, cancelSent: { cancelSent }) {
            try poll(id, display, cancelIfAsked: cancelIfAsked)
        }
        display.progress.clear()
        return try client.expectSuccess(try client.send("GET", "/api/runs/\(id)"), "following the run")
    }

    /// Reads the run's events until its end; false when the server has no
    /// stream (or it fails before any event), to poll instead.
    private func stream(_ id: String, _ display: RunDisplay, cancelIfAsked: () throws -> Void, cancelSent: @escaping () -> Bool) throws -> Bool {
        var run: Run?
        var parser = ServerSentEventParser()
        var ended = false
        var failures = 0
        while !ended {
            try cancelIfAsked()
            let result: (status: Int, isStream: Bool, stopped: Bool)
            do {
                result = try client.stream("/api/runs/\(id)/events", lastEventID: parser.lastEventID, onData: { bytes in
                    for message in parser.feed(bytes) {
                        guard let event = message.runEvent else { continue }
                        run = Self.apply(event, to: run)
                        if let run { display.show(run) }
                        if event.kind == .end { ended = true }
                    }
                    return !ended
                }, shouldStop: { Interrupt.count > 0 && !cancelSent() })
            } catch let error as CLIError where error.kind == .unreachable && run != nil && failures < 5 {
                failures += 1  // The connection dropped mid-run: go on from the last event, as a browser would.
                usleep(UInt32(min(parser.retryMilliseconds ?? 1000, 5000)) * 1000)
                continue
            }
            if ended { return true }
            if result.stopped { continue }
            guard result.status == 200, result.isStream else {
                if run == nil { return false }
                throw CLIError(.failed, "following the run failed (HTTP \(result.status))")
            }
            // The stream ended without the run's end (a server restarting): resume it.
            failures += 1
            if failures > 5 { return run == nil ? false : true }
            usleep(UInt32(min(parser.retryMilliseconds ?? 1000, 5000)) * 1000)
        }
        return true
    }

    /// The run as its events so far tell it.
    static func apply(_ event: RunEvent, to run: Run?) -> Run? {
        switch event.kind {
        case .run, .plan:
            var updated = event.run ?? run
            if event.kind == .run, let steps = run?.steps { updated?.steps = steps }
            return updated
        case .step:
            guard var run, let position = event.position, let step = event.step, run.steps.indices.contains(position) else { return run }
            run.steps[position] = step
            return run
        case .wait:
            var updated = run
            updated?.wait = event.wait
            return updated
        case .end:
            return event.run ?? run
        case .log:
            return run
        }
    }

    /// Asks for the run every 200 ms until it ends.
    private func poll(_ id: String, _ display: RunDisplay, cancelIfAsked: () throws -> Void) throws {
        while true {
            try cancelIfAsked()
            let response = try client.expectSuccess(try client.send("GET", "/api/runs/\(id)"), "following the run")
            let run = try client.decode(Run.self, response)
            display.show(run)
            if run.status.isFinished { return }
            usleep(200_000)
        }
    }

    private func summarize(_ run: Run) {
        let applied = run.appliedCount
        if let error = run.error, run.status != .cancelled || error.filename != nil {
            Terminal.error(RunRenderer.failure(error))
        }
        switch run.status {
        case .succeeded where run.steps.isEmpty:
            Terminal.line("Database is up to date")
        case .succeeded:
            let total = run.steps.compactMap(\.durationMs).reduce(0, +)
            Terminal.line("\(applied) migration\(applied == 1 ? "" : "s") \(run.dryRun ? "would apply (dry run, rolled back)" : "applied") (\(total) ms)")
        case .cancelled:
            Terminal.error("Run \(run.id) cancelled\(run.cancelledBy.map { " by \($0)" } ?? ""); \(applied) migration\(applied == 1 ? "" : "s") applied before it, the one in progress rolled back")
        case .failed, .running:
            Terminal.error("Run \(run.id) failed; \(applied) migration\(applied == 1 ? "" : "s") applied before it")
        }
    }
}

/// What the follower has printed of a run, so each state shows once.
final class RunDisplay {
    let json: Bool
    let dryRun: Bool
    let progress: ProgressLine
    private var reported = Set<Int>()
    private var lastWait: LockWait?
    private var announced = false

    init(json: Bool, dryRun: Bool) {
        self.json = json
        self.dryRun = dryRun
        progress = ProgressLine(enabled: Terminal.isInteractive && !json)
    }

    func show(_ run: Run) {
        guard !json else { return }
        if !announced && !run.steps.isEmpty {
            announced = true
            let count = run.steps.count
            Terminal.line("\(run.dryRun ? "Trying" : "Applying") \(count) migration\(count == 1 ? "" : "s")\(run.dryRun ? " (dry run: everything is rolled back)" : "")")
        }
        for (index, step) in run.steps.enumerated() where !reported.contains(index) && step.status.isFinished {
            reported.insert(index)
            progress.clear()
            for notice in step.notices ?? [] {
                Terminal.line("  \(step.filename): " + notice.split(separator: "\n", omittingEmptySubsequences: false).joined(separator: "\n    "))
            }
            Terminal.line(line(for: step))
        }
        if let wait = run.wait, wait != lastWait {
            progress.clear()
            Terminal.line(Terminal.paint("… " + RunRenderer.wait(wait), .yellow))
        }
        lastWait = run.wait
        let done = run.steps.filter(\.status.isFinished).count
        let current = run.steps.first { $0.status == .running }?.filename
        progress.draw(done: done, total: run.steps.count, current: current)
    }

    private func line(for step: RunStep) -> String {
        switch step.status {
        case .applied:
            return Terminal.paint("✓", .green) + " Completed migration: \(step.filename) (\(step.durationMs ?? 0) ms)\(dryRun ? " [rolled back]" : "")"
        case .failed:
            return Terminal.paint("✗", .red) + " Failed migration: \(step.filename)"
        default:
            return Terminal.paint("- Skipped \(step.filename)\(step.error.map { ": \($0)" } ?? "")", .dim)
        }
    }
}
