import Foundation
import RailyardCore
import PostgresClient

/// Plans and applies the migrations of a folder to one database.
///
/// ```swift
/// let migrator = Migrator(configuration: .init(conninfo: url, directory: dir))
/// let report = try migrator.migrate(MigrateRequest()) { event in print(event) }
/// ```
public final class Migrator: Sendable {
    public let configuration: MigratorConfiguration

    public init(configuration: MigratorConfiguration) {
        self.configuration = configuration
    }

    /// The migrations folder, parsed. Throws only when it cannot be read.
    /// Without statements, the files cost little memory (see `withoutStatements()`).
    public func loadCatalog(keepingStatements: Bool = true) throws -> MigrationCatalog {
        do {
            return try MigrationCatalog.load(directory: configuration.directory, checksum: SHA256.hex,
                                             keepingStatements: keepingStatements)
        } catch {
            throw EngineError.directory(error.description)
        }
    }

    /// `loadCatalog(keepingStatements: false)`, parsing only the files that
    /// changed since the loads that filled `cache`.
    public func loadCatalog(cache: inout MigrationCatalog.ParseCache) throws -> MigrationCatalog {
        do {
            return try MigrationCatalog.load(directory: configuration.directory, checksum: SHA256.hex, keepingStatements: false,
                                             cache: &cache)
        } catch {
            throw EngineError.directory(error.description)
        }
    }

    /// The folder, parsed while a connection opens; the connection is given
    /// up when the folder cannot be read (or, when refusing, is invalid).
    private func catalogAndConnection(refusingInvalidFiles: Bool) throws -> (MigrationCatalog, PostgresConnection) {
        let (catalog, connection, _) = try catalogAndConnection(refusingInvalidFiles: refusingInvalidFiles,
                                                                pending: PendingConnection { try self.connect() })
        return (catalog, connection)
    }

    private func catalogAndConnection<Prefetched>(
        refusingInvalidFiles: Bool, pending: PendingConnection<Prefetched>
    ) throws -> (MigrationCatalog, PostgresConnection, Prefetched) {
        let catalog: MigrationCatalog
        do {
            catalog = try loadCatalog()
            if refusingInvalidFiles && catalog.hasErrors { throw EngineError.invalidMigrations(catalog.diagnostics) }
        } catch {
            pending.discard()
            throw error
        }
        let (connection, prefetched) = try pending.get()
        return (catalog, connection, prefetched)
    }

    /// A new connection with the session settings migrations rely on.
    public func connect(applicationName: String = "railyard") throws -> PostgresConnection {
        let connection = try open(applicationName: applicationName)
        do {
            try connection.execute(SessionState.settings(serverVersion: connection.serverVersionNumber).joined(separator: "; "))
        } catch {
            throw EngineError.database(context: "preparing the session", error)
        }
        return connection
    }

    private func open(applicationName: String) throws -> PostgresConnection {
        do {
            return try PostgresConnection(conninfo: configuration.conninfo, connectTimeout: configuration.connectTimeoutSeconds,
                                          applicationName: applicationName)
        } catch {
            throw EngineError.unreachable(error)
        }
    }

    // MARK: Status

    public struct StatusReport: Sendable {
        public var states: [MigrationState]
        public var diagnostics: [Diagnostic]
        public var ignored: [String]
        /// With `fingerprintingSchema`: `SchemaFingerprint` of the live catalogs, read with the rows.
        public var schemaFingerprint: String?

        init(states: [MigrationState], diagnostics: [Diagnostic], ignored: [String]) {
            self.states = states
            self.diagnostics = diagnostics
            self.ignored = ignored
        }
    }

    /// Every migration's status. Reads only; takes no lock.
    /// `fingerprintingSchema` also reads the live schema's `SchemaFingerprint`.
    public func status(fingerprintingSchema: Bool = false) throws -> StatusReport {
        // Everything applied (the common answer) needs no file parsed: the checksums and the rows tell.
        // The rows are read as soon as the connection is open, while the folder is read and put in version order.
        // It only reads: the session needs none of a migrator's settings.
        let pending = PendingConnection({ try self.open(applicationName: "railyard") }, prefetch: { connection in
            // A fingerprint that cannot be read only costs the reuse of a dump.
            Result { (try self.records(connection: connection), fingerprintingSchema ? try? SchemaFingerprint.read(connection) : nil) }
        })
        var report: StatusReport
        if let listing = ChecksumListing.load(directory: configuration.directory, checksum: SHA256.hex), listing.isComplete {
            let order = listing.versionOrder()
            let (connection, prefetched) = try pending.get()
            defer { connection.close() }
            let (records, fingerprint) = try prefetched.get()
            if let states = listing.settledStates(records, order: order) {
                report = StatusReport(states: states, diagnostics: [], ignored: [])
            } else {
                report = try status(connection: connection, catalog: try loadCatalog())
            }
            report.schemaFingerprint = fingerprint
            return report
        }
        let (catalog, connection, prefetched) = try catalogAndConnection(refusingInvalidFiles: false, pending: pending)
        defer { connection.close() }
        report = try status(connection: connection, catalog: catalog)
        report.schemaFingerprint = (try? prefetched.get())?.1 ?? nil
        return report
    }

    /// The tracking rows (or, before the first run, the legacy table's).
    public func records(connection: PostgresConnection, catalog: MigrationCatalog? = nil) throws -> [AppliedMigration] {
        let store = TrackingStore(connection: connection, configuration: configuration)
        if let rows = try store.recordsIfExisting() { return rows }
        return try (store.legacyRows()?.rows ?? []).compactMap { row in
            (try? MigrationFileName(row.filename)).map { name in
                let file = catalog?.files.first { $0.filename == row.filename } ?? catalog?.files.first { VersionOrder.same($0.id, name.id) }
                return AppliedMigration(version: name.id, name: name.name, filename: row.filename,
                                        checksum: file?.checksum, appliedBy: "legacy migrations table")
            }
        }
    }

    /// A cheap token that changes whenever the tracking table does (nil
    /// before it exists), to reuse what was computed from its rows.
    public func trackingFingerprint(connection: PostgresConnection) throws -> String? {
        try TrackingStore(connection: connection, configuration: configuration).fingerprint()
    }

    /// Every migration's status, read over an existing connection.
    public func status(connection: PostgresConnection, catalog: MigrationCatalog) throws -> StatusReport {
        StatusReport(states: Planner.states(files: catalog.files, records: try records(connection: connection, catalog: catalog)),
                     diagnostics: catalog.diagnostics, ignored: catalog.ignored)
    }

    // MARK: Migrate

    /// Applies pending migrations under the migration lock, recording the
    /// run in `railyard_runs`. Problems found before anything runs are
    /// thrown; a migration that fails is reported in the returned run
    /// (status `failed`, or `cancelled` when it was stopped).
    public func migrate(_ request: MigrateRequest = .init(), cancellation given: MigrationCancellation? = nil,
                        observer: @escaping (MigrationEvent) -> Void = { _ in }) throws -> Run {
        if let target = request.target, let problem = VersionOrder.referenceProblem(target) {
            throw EngineError.configuration("the target must be \(problem)")
        }
        let cancellation = given ?? MigrationCancellation()
        // The common run applies nothing: when the folder's checksums, found
        // without lexing, may all be applied, the tables decide before anything is parsed.
        // The connection opens meanwhile, and asks for the lock and the rows as it does.
        let pending = PendingConnection({ try self.open(applicationName: "railyard") }, prefetch: { connection in
            Result {
                try NoOpProbe.prepare(connection, settings: SessionState.settings(serverVersion: connection.serverVersionNumber),
                                      configuration: self.configuration)
            }
        })
        if request.target == nil && !request.dryRun,
           let listing = ChecksumListing.load(directory: configuration.directory, checksum: SHA256.hex), listing.isComplete {
            let (connection, probe) = try pending.get()
            return try migrate(request, listing: listing, catalog: nil, connection: connection, probe: probe,
                               cancellation: cancellation, observer: observer)
        }
        let (catalog, connection, probe) = try catalogAndConnection(refusingInvalidFiles: true, pending: pending)
        return try migrate(request, listing: nil, catalog: catalog, connection: connection, probe: probe,
                           cancellation: cancellation, observer: observer)
    }

    private func migrate(_ request: MigrateRequest, listing: ChecksumListing?, catalog: MigrationCatalog?, connection: PostgresConnection,
                         probe: Result<NoOpProbe, any Error>, cancellation: MigrationCancellation,
                         observer: @escaping (MigrationEvent) -> Void) throws -> Run {
        defer { connection.close() }
        let probe = try probe.get()
        cancellation.attach(connection)
        defer { cancellation.attach(nil) }
        let lock = AdvisoryLock(connection: connection, schema: configuration.schema,
                                allowsSessionPooler: configuration.allowsSessionPooler)
        try lock.acquire(waitingUpTo: configuration.lockWaitSeconds, cancellation: cancellation, firstAttempt: probe.lockAttempt) {
            observer(.waitingForLock(holder: $0))
        }
        var released = false
        defer { if !released { lock.release() } }
        observer(.lockAcquired)
        let report: Run
        if let listing, let settled = try settledRun(request, listing: listing, records: probe.records, connection: connection,
                                                     releasing: lock, observer: observer) {
            (report, released) = settled
        } else {
            let full = try catalog ?? loadCatalog()
            if full.hasErrors { throw EngineError.invalidMigrations(full.diagnostics) }
            report = try apply(request, catalog: full, connection: connection, cancellation: cancellation, observer: observer)
        }
        observer(.finished(report))
        return report
    }

    /// The run when every file is applied with its checksum and every row
    /// has its file (recorded like any run, and the lock released in the
    /// same round trip: `released`); nil when there may be work.
    /// `records` are the rows when they were read holding the lock.
    private func settledRun(_ request: MigrateRequest, listing: ChecksumListing, records: [AppliedMigration]?,
                            connection: PostgresConnection, releasing lock: AdvisoryLock,
                            observer: (MigrationEvent) -> Void) throws -> (run: Run, released: Bool)? {
        let store = TrackingStore(connection: connection, configuration: configuration)
        guard let records = try records ?? (store.existsUpgrading() ? store.checksums() : nil),
              listing.isSettled(with: records) else { return nil }
        observer(.planned([]))
        let journal = RunJournal(configuration: configuration)
        var finished = Self.newRun(request, steps: [])
        finished.status = .succeeded
        finished.finishedAt = Date()
        // A cancel sent as the check ended can land on the record: it is written again then.
        var attempt = 1
        while true {
            do {
                return (finished, try journal.recordNothingToDo(finished, then: [lock.releaseQuery], on: connection))
            } catch EngineError.database(_, let error) where error.sqlstate == "57014" && attempt < 3 {
                attempt += 1
            }
        }
    }

    /// Everything `migrate` does once it holds the lock.
    private func apply(_ request: MigrateRequest, catalog: MigrationCatalog, connection: PostgresConnection,
                       cancellation: MigrationCancellation, observer: @escaping (MigrationEvent) -> Void) throws -> Run {
        let journal = RunJournal(configuration: configuration)
        let monitor = RunMonitor(conninfo: configuration.conninfo, watchedPID: connection.backendPID, journal: journal,
                                 cancellation: cancellation) { observer(.waiting($0)) }
        defer { monitor.shutdown() }
        let store = TrackingStore(connection: connection, configuration: configuration)
        let runner = MigrationRunner(connection: connection, configuration: configuration, store: store, journal: journal,
                                     monitor: monitor, cancellation: cancellation, observer: observer)
        if request.dryRun {
            return try dryRun(request, catalog: catalog, store: store, runner: runner, journal: journal, observer: observer)
        }
        let plan: Planner.Plan
        do {
            plan = try preparePlan(request, catalog: catalog, store: store, observer: observer)
        } catch {
            try? recordRefused(request, error: error, journal: journal, connection: connection)
            throw error
        }
        var report = Self.newRun(request, steps: plan.steps)
        try journal.recordStarted(report, on: connection)
        monitor.follow(runID: report.id)
        var index = 0
        var upcoming: MigrationRunner.PreparedBatch?
        while index < plan.steps.count {
            if cancellation.isCancelled {
                report.status = .cancelled
                markSkipped(&report, after: index - 1, reason: "cancelled: the run was stopped", observer: observer)
                return try finish(report, cancellation: cancellation, journal: journal, connection: connection)
            }
            let length = MigrationRunner.batchLength(plan.steps[index...])
            let outcome: MigrationRunner.Outcome
            if length == 1 {
                let step = plan.steps[index]
                observer(.started(version: step.file.version, filename: step.file.filename))
                outcome = runner.apply(step, at: .init(runID: report.id, position: index))
            } else {
                let first = index, end = first + length
                observer(.started(version: plan.steps[first].file.version, filename: plan.steps[first].file.filename))
                let prepared = upcoming.flatMap { $0.firstPosition == first ? $0 : nil }
                    ?? runner.prepareBatch(plan.steps[first..<end], runID: report.id, firstPosition: first)
                upcoming = nil
                // The next batch is built while the server runs this one.
                let batch = runner.applyBatch(prepared, meanwhile: {
                    guard end < plan.steps.count else { return }
                    let nextLength = MigrationRunner.batchLength(plan.steps[end...])
                    if nextLength > 1 { upcoming = runner.prepareBatch(plan.steps[end..<end + nextLength], runID: report.id, firstPosition: end) }
                }) { offset, milliseconds in
                    Self.recordApplied(&report, plan.steps[first + offset], at: first + offset, milliseconds: milliseconds, observer: observer)
                    if offset + 1 < length {
                        let next = plan.steps[first + offset + 1].file
                        observer(.started(version: next.version, filename: next.filename))
                    }
                }
                index += batch.applied.count
                guard let (_, failure, waitedFor) = batch.failure else {
                    if let stop = batch.stoppedAfterCommit { noteCancelFromElsewhere(stop.sqlstate, runID: report.id, cancellation, journal, connection) }
                    continue
                }
                // A lock timeout is retried like any migration's; the batch made its first attempt.
                outcome = runner.retry(plan.steps[index], at: .init(runID: report.id, position: index),
                                       after: failure, waitedFor: waitedFor)
            }
            switch outcome {
            case .applied(let milliseconds):
                Self.recordApplied(&report, plan.steps[index], at: index, milliseconds: milliseconds, observer: observer)
                index += 1
            case .failed(let failure):
                noteCancelFromElsewhere(failure.sqlstate, runID: report.id, cancellation, journal, connection)
                report.steps[index].status = .failed
                report.steps[index].error = failure.description
                report.status = cancellation.isCancelled ? .cancelled : .failed
                report.error = failure
                observer(.failed(failure))
                markSkipped(&report, after: index, observer: observer)
                return try finish(report, cancellation: cancellation, journal: journal, connection: connection)
            }
        }
        return try finish(report, cancellation: cancellation, journal: journal, connection: connection)
    }

    private static func recordApplied(_ report: inout Run, _ step: Planner.Step, at index: Int, milliseconds: Int,
                                      observer: (MigrationEvent) -> Void) {
        report.steps[index].status = .applied
        report.steps[index].durationMs = milliseconds
        observer(.completed(version: step.file.version, filename: step.file.filename,
                            milliseconds: milliseconds, outOfOrder: step.outOfOrder))
    }

    /// Cancelled from another replica: its pg_cancel_backend may arrive before the request is polled.
    private func noteCancelFromElsewhere(_ sqlstate: String?, runID: String, _ cancellation: MigrationCancellation,
                                         _ journal: RunJournal, _ connection: PostgresConnection) {
        if sqlstate == "57014", !cancellation.isCancelled, let who = try? journal.cancelRequest(runID: runID, on: connection) {
            cancellation.cancel(by: who)
        }
    }

    /// Records the run's end. Success is reported only once the work is
    /// durable: that record is written with a synchronous commit, which
    /// flushes every asynchronous one before it, this run's and its peers'.
    private func finish(_ run: Run, cancellation: MigrationCancellation, journal: RunJournal,
                        connection: PostgresConnection) throws -> Run {
        var run = run
        run.finishedAt = Date()
        if run.status == .running { run.status = .succeeded }
        if run.status == .cancelled { run.cancelledBy = cancellation.cancelledBy }
        // A cancel sent as the last statement ended can land on the next one:
        // the record is written again then.
        for attempt in 1...3 {
            do {
                try journal.recordFinished(run, on: connection)
                break
            } catch EngineError.database(_, let error) where error.sqlstate == "57014" && attempt < 3 {
                continue
            }
        }
        return run
    }

    /// A run refused before it planned anything is recorded too, failed
    /// with the reason (when the run history exists).
    private func recordRefused(_ request: MigrateRequest, error: any Error, journal: RunJournal, connection: PostgresConnection) throws {
        guard try TrackingStore(connection: connection, configuration: configuration).existsUpgrading() else { return }
        var run = Self.newRun(request, steps: [])
        run.status = .failed
        run.error = RunFailure(kind: (error as? EngineError)?.kind ?? .error, message: "\(error)")
        try journal.recordStarted(run, on: connection)
        run.finishedAt = Date()
        try journal.recordFinished(run, on: connection)
    }

    /// Creates the tracking tables (adopting a legacy table the first time)
    /// and plans. Runs holding the lock.
    private func preparePlan(_ request: MigrateRequest, catalog: MigrationCatalog, store: TrackingStore,
                             observer: (MigrationEvent) -> Void) throws -> Planner.Plan {
        try ensureTracking(store: store, catalog: catalog, importingUnmatched: request.allowChanged, observer: observer)
        let plan: Planner.Plan
        do {
            plan = try Planner.plan(files: catalog.files, records: store.records(), options: request.plannerOptions)
        } catch let refusal as Planner.Refusal {
            throw EngineError.refused(refusal)
        }
        try checkResumePoints(plan, store: store)
        let ahead = plan.states.filter { $0.status == .ahead }.map(\.filename)
        if !ahead.isEmpty { observer(.databaseAhead(filenames: ahead)) }
        let renamed = plan.states.filter { $0.status == .renamed }
        if !renamed.isEmpty {
            observer(.renamed(renamed.map { Renaming(filename: $0.filename, id: $0.id, appliedAs: $0.record?.filename ?? "?") }))
        }
        observer(.planned(plan.steps))
        return plan
    }

    /// A failed non-transactional migration resumes at the statement it
    /// reached only while the statements before it are the ones that ran:
    /// otherwise one would run twice, be skipped, or the file be marked
    /// applied with nothing run.
    private func checkResumePoints(_ plan: Planner.Plan, store: TrackingStore) throws {
        var changed: [MigrationState] = []
        for step in plan.steps where step.resumeAt > 0 {
            guard let state = plan.states.first(where: { $0.file?.filename == step.file.filename }) else { continue }
            let ranAgainst = try store.completedChecksum(id: step.file.id)
            let current = Self.completedChecksum(step.file, statements: step.resumeAt)
            let unchanged = ranAgainst.map { $0 == current } ?? (state.record?.checksum == step.file.checksum)
            if !unchanged { changed.append(state) }
        }
        if !changed.isEmpty { throw EngineError.refused(.resumePointChanged(changed)) }
    }

    /// The checksum of a migration's first `count` statements, each with
    /// LF line endings (a marker when the file now has fewer).
    static func completedChecksum(_ file: MigrationFile, statements count: Int) -> String {
        let statements = Array(file.executableStatements)
        guard count <= statements.count else { return "beyond the end of the file (\(count) of \(statements.count) statements)" }
        var bytes: [UInt8] = []
        for statement in statements.prefix(count) {
            bytes += MigrationFile.normalizedLineEndings(file.source.bytes[statement.range]) + [0]
        }
        return SHA256.hex(bytes)
    }

    /// Creates the tracking tables in one transaction, importing a legacy
    /// `migrations` table the first time. Runs holding the lock.
    private func ensureTracking(store: TrackingStore, catalog: MigrationCatalog, importingUnmatched: Bool = false,
                                observer: (MigrationEvent) -> Void) throws {
        guard try !store.existsUpgrading() else { return }
        try store.run("creating the tracking tables", "BEGIN")
        do {
            try store.ensureTables()
            let adopted = try store.adoptLegacy(files: catalog.files, importingUnmatched: importingUnmatched)
            try store.run("creating the tracking tables", "COMMIT")
            if adopted > 0 { observer(.adoptedLegacy(count: adopted)) }
        } catch {
            _ = try? store.connection.execute("ROLLBACK")
            throw error
        }
    }

    /// Creates the tracking tables (under the lock) without migrating.
    public func prepareTracking(observer: @escaping (MigrationEvent) -> Void = { _ in }) throws {
        let catalog = try loadCatalog()
        let connection = try connect()
        defer { connection.close() }
        let lock = AdvisoryLock(connection: connection, schema: configuration.schema,
                                allowsSessionPooler: configuration.allowsSessionPooler)
        try lock.acquire(waitingUpTo: configuration.lockWaitSeconds, cancellation: nil) { observer(.waitingForLock(holder: $0)) }
        defer { lock.release() }
        try ensureTracking(store: TrackingStore(connection: connection, configuration: configuration),
                           catalog: catalog, observer: observer)
    }

    /// Runs every pending transactional migration inside one transaction that
    /// is rolled back, each under a savepoint, stopping at the first failure.
    private func dryRun(_ request: MigrateRequest, catalog: MigrationCatalog, store: TrackingStore,
                        runner: MigrationRunner, journal: RunJournal, observer: (MigrationEvent) -> Void) throws -> Run {
        // Everything a dry run writes is rolled back; its record is written after.
        var report = try dryRunInTransaction(request, catalog: catalog, store: store, runner: runner, observer: observer)
        if report.status == .running { report.status = .succeeded }
        report.finishedAt = Date()
        if try store.existsUpgrading() {
            try journal.recordStarted(report, on: store.connection)
            try journal.recordFinished(report, on: store.connection)
        }
        return report
    }

    private func dryRunInTransaction(_ request: MigrateRequest, catalog: MigrationCatalog, store: TrackingStore,
                                     runner: MigrationRunner, observer: (MigrationEvent) -> Void) throws -> Run {
        try store.run("starting the dry run", "BEGIN")
        defer { _ = try? store.connection.execute("ROLLBACK") }
        try store.ensureTables()
        _ = try store.adoptLegacy(files: catalog.files, importingUnmatched: request.allowChanged)
        let plan: Planner.Plan
        do {
            plan = try Planner.plan(files: catalog.files, records: store.records(), options: request.plannerOptions)
        } catch let refusal as Planner.Refusal {
            throw EngineError.refused(refusal)
        }
        observer(.planned(plan.steps))
        var report = Self.newRun(request, steps: plan.steps)
        let deadline = Date().addingTimeInterval(Double(configuration.dryRunTotalMilliseconds) / 1000)
        let total = configuration.dryRunTotalMilliseconds
        let dryRunLimit = total % 1000 == 0 ? "\(total / 1000) s" : "\(total) ms"
        for (index, step) in plan.steps.enumerated() {
            let file = step.file
            let remaining = Int(deadline.timeIntervalSinceNow * 1000)
            if remaining <= 0 {
                let limit = PostgresError(kind: .client, message: "the dry run reached its time limit (\(dryRunLimit)) before this migration; nothing was written")
                report.status = .failed
                report.error = RunFailure(file: file, statementIndex: nil, statement: nil, error: limit)
                report.steps[index].status = .skipped
                report.steps[index].error = limit.message
                observer(.failed(report.error!))
                markSkipped(&report, after: index, reason: "not tried: the dry run's time limit was reached", observer: observer)
                return report
            }
            guard file.transactional else {
                report.steps[index].status = .skipped
                report.steps[index].error = "transaction:false migrations cannot be tried and rolled back"
                observer(.skipped(version: file.version, filename: file.filename, reason: report.steps[index].error!))
                continue
            }
            observer(.started(version: file.version, filename: file.filename))
            let started = Date()
            _ = store.connection.drainNotices()  // Railyard's own, not this migration's
            do {
                try store.run("dry run", "SAVEPOINT railyard_dry_run")
                let ownTimeout = file.options.statementTimeoutMilliseconds ?? configuration.statementTimeoutMilliseconds
                let statementTimeout = [ownTimeout, configuration.dryRunStatementTimeoutMilliseconds, remaining].filter { $0 > 0 }.min()!
                try store.run("dry run", "SET LOCAL lock_timeout = \(file.options.lockTimeoutMilliseconds ?? configuration.lockTimeoutMilliseconds); SET LOCAL statement_timeout = \(statementTimeout)")
                try runner.execute(file.executableStatements, of: file, from: 0)
                try store.recordApplied(file, milliseconds: 0)
                try store.run("dry run", "RELEASE SAVEPOINT railyard_dry_run")
                try runner.resetSession()
                let milliseconds = MigrationRunner.milliseconds(since: started)
                report.steps[index].status = .applied
                report.steps[index].durationMs = milliseconds
                report.steps[index].note = "rolled back (dry run)"
                observer(.completed(version: file.version, filename: file.filename, milliseconds: milliseconds, outOfOrder: step.outOfOrder))
            } catch {
                _ = try? store.connection.execute("ROLLBACK TO SAVEPOINT railyard_dry_run")
                try? runner.resetSession()
                var statementFailure = error as? MigrationRunner.StatementFailure
                    ?? MigrationRunner.StatementFailure(error: MigrationRunner.postgresError(error))
                if statementFailure.error.sqlstate == "57014", deadline.timeIntervalSinceNow < 0.05 {
                    statementFailure.error.message += " (the dry run's time limit (\(dryRunLimit)) was reached; nothing was written)"
                }
                let failure = runner.describe(statementFailure, in: file, waitedFor: nil)
                report.steps[index].status = .failed
                report.steps[index].error = failure.description
                report.status = .failed
                report.error = failure
                observer(.failed(failure))
                markSkipped(&report, after: index, observer: observer)
                return report
            }
        }
        return report
    }

    private func markSkipped(_ report: inout Run, after index: Int,
                             reason: String = "not attempted after the failure", observer: (MigrationEvent) -> Void) {
        for later in report.steps.indices where later > index {
            report.steps[later].status = .skipped
            report.steps[later].error = reason
            observer(.skipped(version: report.steps[later].version, filename: report.steps[later].filename, reason: reason))
        }
    }

    /// A run about to apply `steps`, each pending.
    static func newRun(_ request: MigrateRequest, steps: [Planner.Step]) -> Run {
        Run(id: request.id ?? Run.newID(), origin: request.origin, dryRun: request.dryRun, target: request.target,
            steps: steps.map { RunStep(version: $0.file.version, filename: $0.file.filename, status: .pending, outOfOrder: $0.outOfOrder) })
    }
}
