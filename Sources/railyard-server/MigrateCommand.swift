import ArgumentParser
import Foundation
import RailyardCore
import RailyardEngine

struct MigrateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Apply pending migrations (Railway's pre-deploy command).")

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var migrate: MigrateOptions

    @Option(help: "Apply up to and including this version.")
    var target: String?

    @Flag(help: "Run pending migrations in a transaction that is rolled back; nothing is written.")
    var dryRun = false

    @Flag(help: "Migrate even if applied migrations were changed or are missing.")
    var allowChanged = false

    @Flag(help: "Resume migrations that failed partway (transaction:false ones).")
    var retryFailed = false

    @Flag(help: "Refuse pending migrations older than the newest applied one.")
    var strictOrder = false

    func validate() throws {
        if let target, !VersionOrder.isValid(target) {
            throw ValidationError("--target must be a migration version (its digits), not '\(target)'")
        }
    }

    func run() throws {
        let request = MigrateRequest(target: target, dryRun: dryRun, allowChanged: allowChanged,
                                     retryFailed: retryFailed, strictOrder: strictOrder)
        let report: MigrationRunReport
        let cancellation = MigrationCancellation()
        let signals = InterruptSignals(cancelling: cancellation)
        do {
            let settings = try migrate.settings()
            report = try database.withDatabase { conninfo in
                let migrator = Migrator(configuration: database.configuration(conninfo: conninfo, migrate: settings))
                let printer = ProgressPrinter(json: database.json, dryRun: dryRun)
                return try migrator.migrate(request, cancellation: cancellation, observer: printer.handle)
            }
        } catch {
            if let exit = signals.exitCode {
                Output.error("✗ Interrupted: \(error)")
                throw exit
            }
            throw Output.fail(error, json: database.json)
        }
        if database.json {
            Output.json(report)
        } else {
            ProgressPrinter.summary(report)
        }
        if report.cancelled, let exit = signals.exitCode { throw exit }
        if report.status == .failed { throw ExitCode.failure }
    }
}

/// Prints run events the way the team's scripts did.
struct ProgressPrinter {
    let json: Bool
    let dryRun: Bool

    func handle(_ event: MigrationEvent) {
        guard !json else { return }
        switch event {
        case .waitingForLock(let holder):
            Output.line("… Waiting for the migration lock" + (holder.map { " (\($0))" } ?? ""))
        case .lockAcquired, .finished:
            break
        case .adoptedLegacy(let count):
            Output.line("Imported \(count) migration\(count == 1 ? "" : "s") from the legacy migrations table")
        case .planned(let steps):
            if steps.isEmpty {
                Output.line("Database is up to date")
            } else {
                Output.line("\(dryRun ? "Trying" : "Applying") \(steps.count) migration\(steps.count == 1 ? "" : "s")\(dryRun ? " (dry run: everything is rolled back)" : "")")
            }
        case .started:
            break
        case .notice(let filename, let message):
            // A notice's own lines stay indented under it: it cannot forge a line of ours.
            Output.line("  \(filename): " + message.replacingOccurrences(of: "\n", with: "\n    "))
        case .retrying(let filename, let attempt, let delay, let reason):
            Output.line("↻ Retrying \(filename) in \(delay) ms (attempt \(attempt + 1)): \(reason)")
        case .completed(_, let filename, let milliseconds, let outOfOrder):
            Output.line("✓ Completed migration: \(filename) (\(milliseconds) ms)\(outOfOrder ? " [out of order]" : "")\(dryRun ? " [rolled back]" : "")")
        case .skipped(_, let filename, let reason):
            Output.line("- Skipped \(filename): \(reason)")
        case .failed(let failure):
            Output.error("✗ Failed migration: \(failure.filename)")
            Output.error("  " + failure.description.replacingOccurrences(of: "\n", with: "\n  "))
        }
    }

    static func summary(_ report: MigrationRunReport) {
        let applied = report.appliedCount
        switch report.status {
        case .succeeded where applied > 0:
            let total = report.steps.compactMap(\.durationMs).reduce(0, +)
            Output.line("\(report.dryRun ? "Dry run succeeded: " : "")\(applied) migration\(applied == 1 ? "" : "s") \(report.dryRun ? "would apply" : "applied") (\(total) ms)")
        case .succeeded:
            break
        case .failed where report.cancelled:
            let rolledBack = report.failure.map { "; \($0.filename) was rolled back" } ?? ""
            Output.error("Migration run interrupted: \(applied) migration\(applied == 1 ? "" : "s") applied\(rolledBack); run migrate again to go on")
        case .failed:
            let failed = report.failure.map { "\($0.filename) at line \($0.line), column \($0.column)" } ?? "a migration"
            Output.error("Migration run failed at \(failed); \(applied) migration\(applied == 1 ? "" : "s") applied before it\(report.dryRun ? " (dry run)" : "")")
        }
    }
}
