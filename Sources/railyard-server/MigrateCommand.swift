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

    @Option(help: "Apply up to and including this version (or file name without .sql).")
    var target: String?

    @Flag(help: "Run pending migrations in a transaction that is rolled back; nothing is written.")
    var dryRun = false

    @Flag(help: "After a successful run, write the database's schema to the schema file (as dump does).")
    var dumpSchema = false

    func validate() throws {
        if let target, let problem = VersionOrder.referenceProblem(target) { throw ValidationError("--target must be \(problem)") }
    }

    func run() throws {
        let report: Run
        var driftRefused = false
        let cancellation = MigrationCancellation()
        let signals = InterruptSignals(cancelling: cancellation)
        do {
            let settings = try migrate.settings()
            let request = settings.request(.command(.migrate), target: target, dryRun: dryRun)
            report = try database.withDatabase { conninfo in
                let migrator = Migrator(configuration: database.configuration(conninfo: conninfo, migrate: settings))
                let printer = ProgressPrinter(json: database.json, dryRun: dryRun)
                let run = try migrator.migrate(request, cancellation: cancellation, observer: printer.handle)
                if dumpSchema, !dryRun, run.status == .succeeded {
                    let schema = try migrator.dumpSchema()
                    let url = try migrator.writeSchemaFile(schema)
                    if !database.json { Output.line("✓ Wrote \(url.path) (\(schema.objects.count) objects)") }
                } else if settings.strict, !dryRun, run.status == .succeeded {
                    // Drift is information, except in strict mode: then the migrated schema must be schema.sql's.
                    let drift: SchemaDrift
                    do {
                        drift = try migrator.drift()
                    } catch EngineError.noSchemaFile {
                        return run
                    }
                    if !drift.isEmpty {
                        Output.error("✗ strict: after migrating, the database differs from \(migrator.configuration.schemaFileURL.lastPathComponent) in: "
                                     + drift.objects.map { "\($0.kind) \($0.name)" }.joined(separator: ", ") + " (railyard-server drift shows how)")
                        driftRefused = true
                    }
                }
                return run
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
        if report.status == .cancelled, let exit = signals.exitCode { throw exit }
        if report.status != .succeeded || driftRefused { throw ExitCode.failure }
    }
}

extension RunOrigin {
    /// A direct command's run: the OS user, this host, and Railway's
    /// deployment and commit when it runs there.
    static func command(_ trigger: RunTrigger) -> RunOrigin {
        RunOrigin(trigger: trigger, requestedBy: Environment.value("USER") ?? Environment.value("LOGNAME") ?? "unknown user",
                  host: ProcessInfo.processInfo.hostName, deploymentID: Environment.value("RAILWAY_DEPLOYMENT_ID"),
                  commitSHA: Environment.value("RAILWAY_GIT_COMMIT_SHA"))
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
        case .waiting(let wait?) where wait.kind == .tableLock:
            Output.line("… \(wait.filename ?? "a migration") waits for \(wait.holder ?? "a lock") (attempt \(wait.attempt ?? 1) of \(wait.attempts ?? 1))")
        case .waiting:
            break
        case .lockAcquired, .finished:
            break
        case .databaseAhead(let filenames):
            Output.line("! The database is ahead of this folder: \(filenames.joined(separator: ", ")) \(filenames.count == 1 ? "is" : "are") applied but not here (an older version is deployed); nothing older runs around \(filenames.count == 1 ? "it" : "them")")
        case .renamed(let renamings):
            for renaming in renamings {
                Output.line("! \(renaming.filename) was applied as \(renaming.appliedAs) (the same up section): it is not run again; "
                            + "railyard-server repair accept \(renaming.id) --reason … records the new name")
            }
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
            Output.error("✗ Failed migration: \(failure.filename ?? "?")")
            Output.error("  " + failure.description.replacingOccurrences(of: "\n", with: "\n  "))
        }
    }

    static func summary(_ report: Run) {
        let applied = report.appliedCount
        switch report.status {
        case .succeeded where applied > 0:
            let total = report.steps.compactMap(\.durationMs).reduce(0, +)
            Output.line("\(report.dryRun ? "Dry run succeeded: " : "")\(applied) migration\(applied == 1 ? "" : "s") \(report.dryRun ? "would apply" : "applied") (\(total) ms)")
        case .succeeded:
            break
        case .cancelled:
            let rolledBack = report.error?.filename.map { "; \($0) was rolled back" } ?? ""
            let by = report.cancelledBy.map { " by \($0)" } ?? ""
            Output.error("Migration run interrupted (cancelled\(by)): \(applied) migration\(applied == 1 ? "" : "s") applied\(rolledBack); run migrate again to go on")
        case .failed, .running:
            let failed = report.error.flatMap { error in error.filename.map { "\($0) at line \(error.line ?? 1), column \(error.column ?? 1)" } } ?? "a migration"
            Output.error("Migration run failed at \(failed); \(applied) migration\(applied == 1 ? "" : "s") applied before it\(report.dryRun ? " (dry run)" : "")")
        }
    }
}
