import Foundation
import RailyardCore
import PostgresClient

/// Applies single migrations on a connection that holds the migration lock.
struct MigrationRunner {
    let connection: PostgresConnection
    let configuration: MigratorConfiguration
    let store: TrackingStore
    let journal: RunJournal
    let monitor: RunMonitor
    let cancellation: MigrationCancellation
    let observer: (MigrationEvent) -> Void

    enum Outcome {
        case applied(milliseconds: Int)
        case failed(RunFailure)
    }

    /// A statement that failed, and which.
    struct StatementFailure: Error {
        var error: PostgresError
        var index: Int?
        var statement: SQLStatement?
    }

    /// Where the migration's step is recorded: its run and position.
    struct StepPlace {
        var runID: String
        var position: Int
    }

    func apply(_ step: Planner.Step, at place: StepPlace) -> Outcome {
        _ = connection.drainNotices()  // Railyard's own, not the migration's
        return step.file.transactional ? applyInTransaction(step.file, at: place)
            : applyStatementByStatement(step.file, from: step.resumeAt, at: place)
    }

    /// The tracking row is written as the user Railyard connected as, even
    /// after a migration's `SET ROLE` or `SET SESSION AUTHORIZATION` (in its
    /// transaction, so only the tracking write is affected).
    static let backToConnectedUser = "SET SESSION AUTHORIZATION DEFAULT"

    /// Runs a tracking write of a non-transactional migration as the user
    /// Railyard connected as, then gives the migration its role back for
    /// its next statements.
    private func asConnectedUser(_ body: () throws -> Void) throws {
        let connected = connection.user
        let identity = try connection.execute("SELECT session_user::text, current_user::text").rows.first
        let sessionUser = identity?[0] ?? connected, currentUser = identity?[1] ?? connected
        guard sessionUser != connected || currentUser != connected else { return try body() }
        try connection.execute(Self.backToConnectedUser)
        try body()
        if sessionUser != connected { try connection.execute("SET SESSION AUTHORIZATION \(SQLName.quote(sessionUser))") }
        if currentUser != sessionUser { try connection.execute("SET ROLE \(SQLName.quote(currentUser))") }
    }

    /// Goes on from a transactional migration's first attempt, made in a
    /// batch: a lock timeout is retried as `apply` would, anything else fails.
    func retry(_ step: Planner.Step, at place: StepPlace, after failure: StatementFailure, waitedFor: String?) -> Outcome {
        applyInTransaction(step.file, at: place, after: (failure, waitedFor))
    }

    /// Undoes what a migration did to the session (see `SessionState`);
    /// pipelined migrations carry the same statements after their COMMIT.
    func resetSession() throws {
        let reset = SessionState.reset(serverVersion: connection.serverVersionNumber)
        try inStep { try connection.execute(reset.joined(separator: "; ")) }
    }

    // MARK: Transactional

    /// The statements and the tracking row in one transaction; retried
    /// after `lock_timeout` failures.
    private func applyInTransaction(_ file: MigrationFile, at place: StepPlace,
                                    after firstAttempt: (StatementFailure, waitedFor: String?)? = nil) -> Outcome {
        var attempt = 0
        var previous = firstAttempt
        while true {
            let started = Date()
            let failure: StatementFailure?, waitedFor: String?
            if let earlier = previous {
                (failure, waitedFor) = (earlier.0, earlier.waitedFor)
                previous = nil
            } else {
                monitor.begin(filename: file.filename, attempt: attempt + 1, attempts: configuration.lockRetries + 1)
                failure = runTransaction(file, started: started, at: place)
                waitedFor = monitor.end()
            }
            guard let failure else { return .applied(milliseconds: Self.milliseconds(since: started)) }
            if failure.error.isLockTimeout && attempt < configuration.lockRetries
                && backOff(file, attempt: attempt + 1, reason: waitedFor ?? failure.error.message) {
                attempt += 1
                continue
            }
            return .failed(describe(failure, in: file, waitedFor: waitedFor))
        }
    }

    private func runTransaction(_ file: MigrationFile, started: Date, at place: StepPlace) -> StatementFailure? {
        if Self.canPipeline(file) { return runPipelined(file, at: place) }
        do {
            try begin()
            try setTimeouts(for: file, local: true, concurrently: false)
            try execute(file.executableStatements, of: file, from: 0)
            try inStep {
                try connection.execute(Self.backToConnectedUser)
                try store.recordApplied(file, milliseconds: Self.milliseconds(since: started))
                let (sql, parameters) = journal.stepAppliedQuery(runID: place.runID, position: place.position)
                try connection.execute(sql, parameters)
            }
            try inStep { try connection.execute("COMMIT") }
            try resetSession()
            return nil
        } catch let failure as StatementFailure {
            rollback()
            return failure
        } catch {
            rollback()
            return StatementFailure(error: PostgresError(kind: .client, message: "\(error)"))
        }
    }

    /// The whole migration in one round trip: BEGIN, the timeouts, every
    /// statement, the tracking row and COMMIT, sent as one pipeline. Its
    /// commit does not wait for the WAL flush (`synchronous_commit = off`):
    /// it is still atomic, and commits stay in order, so a server crash can
    /// only lose the last migrations whole, tracking rows included; the
    /// migrator makes the run durable with one synchronous commit at the end
    /// before it reports success.
    private func runPipelined(_ file: MigrationFile, at place: StepPlace) -> StatementFailure? {
        let segment = segment(file, at: place)
        let statements = Array(file.executableStatements)
        let (queries, first, committed) = (segment.queries, segment.firstStatement, segment.commit + 1)
        do {
            let failure = try connection.pipeline(queries)
            for notice in connection.drainNotices() {
                observer(.notice(filename: file.filename, message: notice))
            }
            guard let failure else { return nil }
            if failure.index >= committed {
                // The migration committed; only putting the session back failed.
                try? resetSession()
                return nil
            }
            rollback()
            let index = failure.index - first
            guard statements.indices.contains(index) else { return StatementFailure(error: failure.error) }
            return StatementFailure(error: failure.error, index: index + (file.isWrappedInTransaction ? 1 : 0),
                                    statement: statements[index])
        } catch {
            rollback()
            return StatementFailure(error: error)
        }
    }

    /// Pipelines carry no COPY (its data, or rows it sends back, need the
    /// connection to itself; and a failure there must stop the commit
    /// queued behind it), and at most a megabyte of SQL, so sending never
    /// waits on unread results.
    static func canPipeline(_ file: MigrationFile) -> Bool {
        pipelineSize(file) != nil
    }

    /// The bytes of SQL a pipelineable file sends; nil when it cannot be pipelined.
    static func pipelineSize(_ file: MigrationFile) -> Int? {
        var size = 0
        for statement in file.executableStatements {
            if statement.copyData != nil || statement.starts(with: "COPY") { return nil }
            size += statement.range.count
        }
        return size <= batchLimit.bytes ? size : nil
    }

    /// Runs statements of `file` in order, starting at index `first`.
    func execute(_ statements: ArraySlice<SQLStatement>, of file: MigrationFile, from first: Int) throws {
        let indexOffset = file.isWrappedInTransaction ? 1 : 0
        for (index, statement) in statements.enumerated() where index >= first {
            do {
                let text = file.source.text(statement.range)
                if let data = statement.copyData {
                    try connection.copyIn(text, data: file.source.bytes[data])
                } else {
                    try connection.execute(text)
                }
            } catch {
                throw StatementFailure(error: error, index: index + indexOffset, statement: statement)
            }
            for notice in connection.drainNotices() {
                observer(.notice(filename: file.filename, message: notice))
            }
        }
    }

    // MARK: Non-transactional

    /// One statement at a time, each committed on its own. Progress is
    /// recorded before each statement, so an interrupted run leaves a
    /// `failed` row naming the statement reached, and a retry resumes there.
    private func applyStatementByStatement(_ file: MigrationFile, from first: Int, at place: StepPlace) -> Outcome {
        let started = Date()
        let statements = Array(file.executableStatements)
        for index in statements.indices where index >= first {
            var attempt = 0
            while true {
                monitor.begin(filename: file.filename, attempt: attempt + 1, attempts: configuration.lockRetries + 1)
                let failure = runAlone(statements[index], at: index, of: file)
                let waitedFor = monitor.end()
                guard let failure else { break }
                if failure.error.isLockTimeout && attempt < configuration.lockRetries
                    && backOff(file, attempt: attempt + 1, reason: waitedFor ?? failure.error.message) {
                    attempt += 1
                    continue
                }
                var described = describe(failure, in: file, waitedFor: waitedFor)
                if statements[index].starts(with: "CREATE", "INDEX") || statements[index].starts(with: "CREATE", "UNIQUE", "INDEX") {
                    described.hint = (described.hint.map { $0 + "\n  " } ?? "")
                        + "a failed CREATE INDEX CONCURRENTLY can leave an INVALID index behind: drop it (DROP INDEX CONCURRENTLY IF EXISTS …) before retrying it"
                }
                try? asConnectedUser {
                    try store.recordFailed(file, statement: index, completed: Migrator.completedChecksum(file, statements: index),
                                           error: described.description)
                }
                try? resetSession()
                return .failed(described)
            }
        }
        do {
            try asConnectedUser {
                try store.recordApplied(file, milliseconds: Self.milliseconds(since: started))
                let (sql, parameters) = journal.stepAppliedQuery(runID: place.runID, position: place.position)
                try connection.execute(sql, parameters)
            }
        } catch {
            try? resetSession()
            return .failed(describe(StatementFailure(error: Self.postgresError(error)), in: file, waitedFor: nil))
        }
        try? resetSession()
        return .applied(milliseconds: Self.milliseconds(since: started))
    }

    private func runAlone(_ statement: SQLStatement, at index: Int, of file: MigrationFile) -> StatementFailure? {
        do {
            try inStep {
                try asConnectedUser {
                    try store.recordFailed(file, statement: index, completed: Migrator.completedChecksum(file, statements: index),
                                           error: "interrupted before statement \(index + 1) completed")
                }
            }
            try setTimeouts(for: file, local: false, concurrently: NonTransactionalStatement.isConcurrently(statement))
            try execute([statement][...], of: file, from: 0)
            return nil
        } catch var failure as StatementFailure {
            if failure.statement != nil { failure.index = index }
            return failure
        } catch {
            return StatementFailure(error: Self.postgresError(error))
        }
    }

    // MARK: Settings and helpers

    func timeouts(for file: MigrationFile, concurrently: Bool) -> (lock: Int, statement: Int) {
        var lockTimeout = file.options.lockTimeoutMilliseconds ?? configuration.lockTimeoutMilliseconds
        if concurrently && file.options.lockTimeoutMilliseconds == nil { lockTimeout = 0 }
        return (lockTimeout, file.options.statementTimeoutMilliseconds ?? configuration.statementTimeoutMilliseconds)
    }

    private func setTimeouts(for file: MigrationFile, local: Bool, concurrently: Bool) throws {
        let (lockTimeout, statementTimeout) = timeouts(for: file, concurrently: concurrently)
        let scope = local ? "LOCAL " : ""
        try inStep {
            try connection.execute("SET \(scope)lock_timeout = \(lockTimeout); SET \(scope)statement_timeout = \(statementTimeout)")
        }
    }

    private func begin() throws {
        try inStep { try connection.execute("BEGIN") }
    }

    /// Rolls back what is open and puts the session back to its state
    /// before the migration.
    func rollback() {
        if connection.isInTransaction { _ = try? connection.execute("ROLLBACK") }
        try? resetSession()
    }

    /// Runs Railyard's own SQL, turning errors into statement-less failures.
    private func inStep(_ body: () throws -> Void) throws {
        do {
            try body()
        } catch let error as PostgresError {
            throw StatementFailure(error: error)
        } catch let EngineError.database(_, error) {
            throw StatementFailure(error: error)
        }
    }

    /// Waits before another attempt, visibly; false when the run was
    /// cancelled meanwhile (then no attempt follows).
    private func backOff(_ file: MigrationFile, attempt: Int, reason: String) -> Bool {
        guard !cancellation.isCancelled else { return false }
        let delay = configuration.lockRetryDelayMilliseconds << (attempt - 1)
        observer(.retrying(filename: file.filename, attempt: attempt, delayMilliseconds: delay,
                           reason: "lock timeout: \(reason)"))
        monitor.publish(LockWait(kind: .retryBackoff, filename: file.filename, holder: reason,
                                 attempt: attempt + 1, attempts: configuration.lockRetries + 1))
        let cancelled = cancellation.sleep(Double(delay) / 1000)
        monitor.publish(nil)
        return !cancelled
    }

    func describe(_ failure: StatementFailure, in file: MigrationFile, waitedFor: String?) -> RunFailure {
        var described = RunFailure(file: file, statementIndex: failure.index, statement: failure.statement, error: failure.error)
        if failure.error.isLockTimeout {
            let lockTimeout = file.options.lockTimeoutMilliseconds ?? configuration.lockTimeoutMilliseconds
            described.waitedFor = waitedFor ?? "a lock needed by this statement (the holder was not seen: lock_timeout \(lockTimeout) ms)"
            described.message += " after \(configuration.lockRetries + 1) attempt\(configuration.lockRetries == 0 ? "" : "s") of lock_timeout \(lockTimeout) ms"
            described.hint = described.hint ?? "another session held a conflicting lock; find it in pg_stat_activity, let it finish, then migrate again (or give the file a longer -- railyard:lock-timeout=)"
        }
        return described
    }

    static func milliseconds(since start: Date) -> Int {
        Int((Date().timeIntervalSince(start) * 1000).rounded())
    }

    static func postgresError(_ error: any Error) -> PostgresError {
        switch error {
        case let error as PostgresError: error
        case let EngineError.database(_, error): error
        case let failure as StatementFailure: failure.error
        default: PostgresError(kind: .client, message: "\(error)")
        }
    }
}
