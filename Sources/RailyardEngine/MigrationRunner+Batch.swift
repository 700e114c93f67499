import Foundation
import RailyardCore
import PostgresClient

/// Consecutive transactional migrations sent together: the server runs the
/// next one as soon as one commits, without waiting for Railyard.
///
/// Each migration keeps its own transaction with its tracking row, and the
/// batch has a single Sync at its end. After an error the server skips
/// every message up to that Sync, later transactions included, so a failure
/// leaves exactly the migrations before it applied (the protocol's rule,
/// not a check Railyard makes).
///
/// A batch normally goes out as one script (`MigrationRunner+Script`); the
/// pipeline here is for a batch with parameters that have no text form and
/// for finding the migration with a syntax error.
extension MigrationRunner {
    /// What a batch did: the migrations it applied (each with its duration),
    /// in order, and the failure that stopped it, if one did. A batch can
    /// also stop between migrations (a cancel that lands on the session
    /// reset after a commit): then the rest is still pending.
    struct BatchOutcome {
        var applied: [Int] = []
        var failure: (offset: Int, failure: StatementFailure, waitedFor: String?)?
        var stoppedAfterCommit: PostgresError?
    }

    static let batchLimit = (migrations: 64, bytes: 1 << 20)

    /// How many steps from `start` on go in one batch: pipelineable
    /// transactional migrations up to the limits. A migration that runs
    /// outside a transaction, or cannot be pipelined, is a batch of one.
    static func batchLength(_ steps: ArraySlice<Planner.Step>) -> Int {
        var count = 0, bytes = 0
        for step in steps {
            guard step.file.transactional, let size = pipelineSize(step.file) else { break }
            if count > 0 && (count == batchLimit.migrations || bytes + size > batchLimit.bytes) { break }
            count += 1
            bytes += size
        }
        return max(count, 1)
    }

    /// The queries of one migration in a pipeline: BEGIN, its settings,
    /// its statements, the tracking row with the run step, COMMIT, then the
    /// session reset. Offsets are relative to the segment's start. A
    /// migration that cannot change the session (`SessionEffects`) needs
    /// neither the reset nor the way back to the connected user, and one
    /// whose timeouts are the batch's (`sessionTimeouts`, set for the whole
    /// session) sets none of its own.
    struct Segment {
        var queries: [PipelineQuery]
        var firstStatement: Int
        var commit: Int
        /// The prepared tracking statement the next migrations use (a reset deallocates the one before).
        var recordStatement: String?
    }

    typealias Timeouts = (lock: Int, statement: Int)

    /// `recordStatement` names the prepared tracking statement (`recordAppliedSQL`) to use, if any.
    func segment(_ file: MigrationFile, at place: StepPlace, sessionTimeouts: Timeouts? = nil, recordStatement: String? = nil) -> Segment {
        var queries: [PipelineQuery] = [.sql("BEGIN", [])]
        // In a batch (sent as a script) the transaction's start is marked: there `now()` is the message's.
        if recordStatement != nil { queries.append(.sql(TransactionClock.markStart, [])) }
        let timeouts = timeouts(for: file, concurrently: false)
        if sessionTimeouts.map({ $0 != timeouts }) ?? true { queries.append(settingsQuery(timeouts, local: true)) }
        let first = queries.count
        queries += file.executableStatements.map { .sql(file.source.text($0.range), []) }
        let changesSession = SessionEffects.mayChangeSession(file.executableStatements, in: file.source)
        if changesSession { queries.append(.sql(Self.backToConnectedUser, [])) }
        let parameters = recordAppliedParameters(file, at: place)
        // A migration that may change the session may have deallocated the prepared statement.
        if let recordStatement, !changesSession {
            queries.append(.prepared(name: recordStatement, parameters))
        } else if recordStatement != nil {
            let own = "railyard_record_applied_once_\(place.position)"
            queries += [.prepare(name: own, sql: recordAppliedSQL, parameterCount: parameters.count), .prepared(name: own, parameters)]
        } else {
            queries.append(.sql(recordAppliedSQL, parameters))
        }
        queries.append(.sql("COMMIT", []))
        let commit = queries.count - 1
        var next = recordStatement
        if changesSession {
            queries += SessionState.reset(serverVersion: connection.serverVersionNumber).dropFirst().map { .sql($0, []) }
            if let sessionTimeouts { queries.append(settingsQuery(sessionTimeouts, local: false)) }
            if recordStatement != nil {
                next = "railyard_record_applied_\(place.position)"
                queries.append(.prepare(name: next!, sql: recordAppliedSQL, parameterCount: parameters.count))
            }
        }
        return Segment(queries: queries, firstStatement: first, commit: commit, recordStatement: next)
    }

    /// The timeouts and the commit mode in one statement (SET, three times over, costs three).
    private func settingsQuery(_ timeouts: Timeouts, local: Bool) -> PipelineQuery {
        let scope = local ? "true" : "false"
        let asynchronous = configuration.asynchronousCommits ? ", set_config('synchronous_commit', 'off', \(scope))" : ""
        return .sql("SELECT set_config('lock_timeout', '\(timeouts.lock)', \(scope)), set_config('statement_timeout', '\(timeouts.statement)', \(scope))"
                    + asynchronous, [])
    }

    /// What the session goes back to after a batch: Railyard's own writes commit synchronously.
    private static let afterBatch = ["RESET lock_timeout", "RESET statement_timeout", "SET synchronous_commit TO on"]

    /// The tracking row and the run's step in one statement, the same for
    /// every transactional migration: prepared once per batch, it is parsed
    /// and planned once. It returns the migration's duration as the server
    /// measured it.
    var recordAppliedSQL: String {
        // The upsert's six parameters, then the step's run and position.
        let (update, _) = journal.stepAppliedQuery(runID: "", position: 0, firstParameter: 7)
        return "WITH step AS (\(update))\n\(store.recordAppliedSQL(measuredHere: false))\nRETURNING execution_ms"
    }

    func recordAppliedParameters(_ file: MigrationFile, at place: StepPlace) -> [String?] {
        store.recordAppliedParameters(file) + journal.stepAppliedParameters(runID: place.runID, position: place.position)
    }

    /// A batch's queries, built before it runs: while the batch before it
    /// runs on the server, when the migrator can (`applyBatch`'s `meanwhile`).
    struct PreparedBatch {
        var files: [MigrationFile]
        var firstPosition: Int
        var queries: [PipelineQuery]
        var segments: [PlacedSegment]
        /// The queries as a script's statements; nil when one has no text form.
        var statements: [String]?
    }

    /// `steps` placed from `firstPosition` on, ready to apply as one batch.
    func prepareBatch(_ steps: ArraySlice<Planner.Step>, runID: String, firstPosition: Int) -> PreparedBatch {
        let files = steps.map(\.file)
        let (queries, segments) = batchQueries(files, runID: runID, firstPosition: firstPosition)
        return PreparedBatch(files: files, firstPosition: firstPosition, queries: queries, segments: segments,
                             statements: Self.scriptStatements(queries))
    }

    /// Applies the batch, calling `applied` with each migration's offset
    /// and duration as its commit is known, and `meanwhile` once while the
    /// server runs the batch's script (not at all when it runs as a pipeline).
    func applyBatch(_ batch: PreparedBatch, meanwhile: () -> Void = {},
                    applied: (_ offset: Int, _ milliseconds: Int) -> Void) -> BatchOutcome {
        _ = connection.drainNotices()  // Railyard's own, not the migrations'
        if let statements = batch.statements,
           let outcome = applyScript(statements, files: batch.files, segments: batch.segments, firstPosition: batch.firstPosition,
                                     meanwhile: meanwhile, applied: applied) {
            return outcome
        }
        return applyPipeline(batch.queries, files: batch.files, segments: batch.segments, applied: applied)
    }

    typealias PlacedSegment = (start: Int, segment: Segment)

    /// The lock wait the monitor saw last, if `file` is the migration that waited.
    static func wait(_ waited: (filename: String, description: String)?, by file: MigrationFile) -> String? {
        waited?.filename == file.filename ? waited?.description : nil
    }

    /// The batch's queries: the session's settings and the prepared
    /// tracking statement, each migration's segment, then the session put back.
    private func batchQueries(_ files: [MigrationFile], runID: String, firstPosition: Int) -> ([PipelineQuery], [PlacedSegment]) {
        // The timeouts most of the batch runs with are the session's while it lasts.
        let sessionTimeouts = timeouts(for: files[0], concurrently: false)
        var record = "railyard_record_applied_from_\(firstPosition)"
        var queries: [PipelineQuery] = [settingsQuery(sessionTimeouts, local: false),
                                        .prepare(name: record, sql: recordAppliedSQL, parameterCount: 8)]
        var segments: [(start: Int, segment: Segment)] = []
        for (offset, file) in files.enumerated() {
            let segment = segment(file, at: StepPlace(runID: runID, position: firstPosition + offset), sessionTimeouts: sessionTimeouts,
                                  recordStatement: record)
            segments.append((queries.count, segment))
            queries += segment.queries
            record = segment.recordStatement ?? record
        }
        queries += (Self.afterBatch + ["DEALLOCATE \(record)"]).map { .sql($0, []) }
        return (queries, segments)
    }

    /// The batch as a pipeline of extended-protocol queries, each commit
    /// flushed so that each migration's progress shows as it commits.
    private func applyPipeline(_ queries: [PipelineQuery], files: [MigrationFile], segments: [PlacedSegment],
                               applied: (_ offset: Int, _ milliseconds: Int) -> Void) -> BatchOutcome {
        let commits = segments.map { $0.start + $0.segment.commit }
        var outcome = BatchOutcome()
        var started = Date()
        var current = 0
        let attempts = configuration.lockRetries + 1
        monitor.begin(filename: files[0].filename, attempt: 1, attempts: attempts)
        let result: (index: Int, error: PostgresError)?
        do {
            result = try connection.pipeline(queries, flushingAfter: Set(commits)) { index in
                guard current < commits.count, index == commits[current] else { return }
                monitor.end()
                for notice in connection.drainNotices() { observer(.notice(filename: files[current].filename, message: notice)) }
                let milliseconds = Self.milliseconds(since: started)
                outcome.applied.append(milliseconds)
                applied(current, milliseconds)
                current += 1
                started = Date()
                if current < files.count { monitor.begin(filename: files[current].filename, attempt: 1, attempts: attempts) }
            }
        } catch {
            let waitedFor = monitor.end()
            rollback()
            outcome.failure = (current, StatementFailure(error: error), waitedFor)
            return outcome
        }
        let waited = monitor.endBatch()
        guard let (index, error) = result else { return outcome }
        settle(&outcome, failureAt: index, error, files: files, segments: segments, waited: waited)
        return outcome
    }

    /// Fills in the outcome of a batch whose query at `index` failed:
    /// which migration failed, at which statement, or whether only the
    /// session reset after a commit did. Rolls back what is open. `waited`
    /// is the last lock wait seen, kept only if the failed migration waited.
    func settle(_ outcome: inout BatchOutcome, failureAt index: Int, _ error: PostgresError, files: [MigrationFile],
                segments: [PlacedSegment], waited: (filename: String, description: String)?) {
        let offset = segments.lastIndex { $0.start <= index } ?? 0
        let waitedFor = Self.wait(waited, by: files[offset])
        for notice in connection.drainNotices() { observer(.notice(filename: files[offset].filename, message: notice)) }
        rollback()
        let segment = segments[offset]
        guard index <= segment.start + segment.segment.commit else {
            // The migration committed (its result was read); only putting the session back failed.
            outcome.stoppedAfterCommit = error
            return
        }
        let statements = Array(files[offset].executableStatements)
        let statementIndex = index - segment.start - segment.segment.firstStatement
        guard statements.indices.contains(statementIndex) else {
            outcome.failure = (offset, StatementFailure(error: error), waitedFor)
            return
        }
        outcome.failure = (offset, StatementFailure(error: error, index: statementIndex + (files[offset].isWrappedInTransaction ? 1 : 0),
                                                    statement: statements[statementIndex]), waitedFor)
    }
}
