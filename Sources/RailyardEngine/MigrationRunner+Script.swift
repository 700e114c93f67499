import Foundation
import RailyardCore
import PostgresClient

/// A batch sent as one simple-query message, as psql sends a script: the
/// server parses and runs it without a round of protocol messages per
/// statement, which costs it less than the same queries pipelined.
///
/// The semantics are the pipeline's: each migration is its own
/// transaction with its tracking row, and after an error the server runs
/// nothing more of the message, so a failure leaves exactly the
/// migrations before it. What differs: the results come when the message
/// ends, so progress meanwhile (which migrations committed, which one waits
/// for a lock) is read from the run's steps by the monitor, and each
/// migration's duration is the one the server measured.
extension MigrationRunner {
    /// The queries as statements of a script, or nil when one has no text
    /// form (parameters that are not a prepared statement's).
    static func scriptStatements(_ queries: [PipelineQuery]) -> [String]? {
        var statements: [String] = []
        statements.reserveCapacity(queries.count)
        for query in queries {
            switch query {
            case .sql(let sql, let parameters):
                guard parameters.isEmpty else { return nil }
                statements.append(sql)
            case .prepare(let name, let sql, _):
                statements.append("PREPARE \(name) AS \(sql)")
            case .prepared(let name, let parameters):
                statements.append("EXECUTE \(name)(\(parameters.map(StringLiteral.text).joined(separator: ", ")))")
            }
        }
        return statements
    }

    /// Runs the batch as a script. Nil when the server ran none of it for
    /// a reason other than a cancel (a syntax error somewhere in it): the
    /// pipeline then runs the migrations before that one and says where.
    ///
    /// While the script runs, its migrations are reported as the run's
    /// steps show them committed (the monitor reads them); the results
    /// then confirm each commit.
    func applyScript(_ statements: [String], files: [MigrationFile], segments: [PlacedSegment], firstPosition: Int,
                     meanwhile: () -> Void, applied: (_ offset: Int, _ milliseconds: Int) -> Void) -> BatchOutcome? {
        let commits = segments.map { $0.start + $0.segment.commit }
        var outcome = BatchOutcome()
        var confirmed = 0
        var measured: Int?
        var mismatch: (index: Int, tag: String)?
        func report(_ milliseconds: Int) {
            let offset = outcome.applied.count
            for notice in connection.drainNotices() { observer(.notice(filename: files[offset].filename, message: notice)) }
            outcome.applied.append(milliseconds)
            applied(offset, milliseconds)
        }
        monitor.begin(batch: files.map(\.filename), firstPosition: firstPosition, attempts: configuration.lockRetries + 1)
        let result: ScriptOutcome
        do {
            result = try connection.runScript(statements, sent: meanwhile, idleEvery: .seconds(RunMonitor.interval)) {
                for milliseconds in monitor.committedInBatch().dropFirst(outcome.applied.count) { report(milliseconds) }
            } completed: { index, tag, rows in
                guard mismatch == nil, confirmed < commits.count else { return }
                if index == commits[confirmed] - 1 {
                    measured = rows.count == 1 ? rows.integer(0, 0).map { Int($0) } : nil
                }
                guard index == commits[confirmed] else { return }
                guard tag == "COMMIT" else {
                    mismatch = (index, tag)
                    return
                }
                if confirmed == outcome.applied.count { report(measured ?? 0) }
                confirmed += 1
            }
        } catch {
            let waited = monitor.endBatch()
            rollback()
            let offset = outcome.applied.count
            outcome.failure = (offset, StatementFailure(error: error), Self.wait(waited, by: files[offset]))
            return outcome
        }
        let waited = monitor.endBatch()
        if let mismatch {
            // The server's replies do not line up with the statements sent: stop where they part.
            let error = PostgresError(kind: .client, message: "the server answered \(mismatch.tag) where Railyard sent a COMMIT: "
                                      + "the migration's statements did not reach the server as Railyard split them")
            settle(&outcome, failureAt: mismatch.index, error, files: files, segments: segments, waited: nil)
            return outcome
        }
        guard let (index, error) = result.failure else { return outcome }
        if result.ran == 0 && !cancellation.isCancelled {
            rollback()
            return nil
        }
        settle(&outcome, failureAt: index, error, files: files, segments: segments, waited: waited)
        return outcome
    }
}
