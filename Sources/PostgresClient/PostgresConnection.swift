import CLibPQ
#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// One libpq connection. Calls block; use it from one thread at a time.
/// `requestCancel` and `abortFromAnotherThread` may be called from any
/// thread, also while or after the owner closes it.
public final class PostgresConnection: @unchecked Sendable {  // `handle` is the owning thread's; other threads touch only `crossThread`
    private var handle: OpaquePointer?
    private let notices = NoticeBuffer()

    /// What another thread may use: the cancel key and socket of the open
    /// connection, and whether a call is in flight (a cancel sent between
    /// calls would cancel the next one).
    private struct CrossThread {
        var cancelKey: CancelKey?
        var socket: Int32 = -1
        var inFlight = false
    }
    private let crossThread = Mutex(CrossThread())

    /// Connects with `conninfo` (URI or keyword form, passed to libpq as is).
    /// `connectTimeout` applies unless the conninfo sets its own; `database`
    /// replaces the conninfo's database.
    public init(conninfo: String, connectTimeout: Int = 10, applicationName: String = "railyard",
                database: String? = nil) throws(PostgresError) {
        // libpq expands only the first dbname; a later one is a plain name that overrides it.
        let keywords = ["connect_timeout", "fallback_application_name", "dbname"] + (database == nil ? [] : ["dbname"])
        let values = [String(connectTimeout), applicationName, conninfo] + (database.map { [$0] } ?? [])
        let connection = withCStrings(keywords) { keywordPointers in
            withCStrings(values) { valuePointers in
                PQconnectdbParams(keywordPointers, valuePointers, 1)
            }
        }
        guard let connection, PQstatus(connection) == CONNECTION_OK else {
            let message = connection.map { String(cString: PQerrorMessage($0)) } ?? "out of memory"
            PQfinish(connection)
            throw PostgresError(kind: .connection, message: message.trimmingTrailingNewlines)
        }
        handle = connection
        let key = PQgetCancel(connection).map(CancelKey.init), socket = PQsocket(connection)
        crossThread.withLock { $0.cancelKey = key; $0.socket = socket }
        PQsetNoticeReceiver(connection, { context, result in
            guard let context, let result else { return }
            let buffer = Unmanaged<NoticeBuffer>.fromOpaque(context).takeUnretainedValue()
            let message = PQresultErrorField(result, diag("M")).map { String(cString: $0) } ?? ""
            let severity = PQresultErrorField(result, diag("S")).map { String(cString: $0) } ?? "NOTICE"
            buffer.append("\(severity): \(message)")
        }, Unmanaged.passUnretained(notices).toOpaque())
    }

    deinit { close() }

    public func close() {
        let key = crossThread.withLock { state -> CancelKey? in
            defer { state = CrossThread() }
            return state.cancelKey
        }
        if let key { PQfreeCancel(key.pointer) }
        if let handle { PQfinish(handle) }
        handle = nil
    }

    /// Marks a call in flight while `body` runs.
    func inFlight<T>(_ body: () throws(PostgresError) -> T) throws(PostgresError) -> T {
        crossThread.withLock { $0.inFlight = true }
        defer { crossThread.withLock { $0.inFlight = false } }
        return try body()
    }

    /// Runs one or more statements with the simple query protocol.
    @discardableResult
    public func execute(_ sql: String) throws(PostgresError) -> QueryResult {
        let connection = try live()
        return try inFlight { () throws(PostgresError) in try consume(PQexec(connection, sql), connection: connection) }
    }

    /// Runs one statement with text parameters `$1`, `$2`, ….
    @discardableResult
    public func execute(_ sql: String, _ parameters: [String?]) throws(PostgresError) -> QueryResult {
        let connection = try live()
        return try inFlight { () throws(PostgresError) in
            let result = withOptionalCStrings(parameters) { pointers in
                PQexecParams(connection, sql, Int32(parameters.count), nil, pointers, nil, nil, 0)
            }
            return try consume(result, connection: connection)
        }
    }

    /// Runs a `COPY … FROM STDIN` statement, sending `data` as its rows.
    @discardableResult
    public func copyIn(_ sql: String, data: ArraySlice<UInt8>) throws(PostgresError) -> QueryResult {
        try inFlight { () throws(PostgresError) in try copyInNow(sql, data: data) }
    }

    private func copyInNow(_ sql: String, data: ArraySlice<UInt8>) throws(PostgresError) -> QueryResult {
        let connection = try live()
        guard let start = PQexec(connection, sql) else { throw connectionError(connection) }
        guard PQresultStatus(start) == PGRES_COPY_IN else {
            return try consume(start, connection: connection)
        }
        PQclear(start)
        let chunkSize = 64 * 1024
        var offset = data.startIndex
        var sendFailed = false
        while offset < data.endIndex && !sendFailed {
            let end = min(offset + chunkSize, data.endIndex)
            sendFailed = data[offset..<end].withUnsafeBytes { buffer in
                PQputCopyData(connection, buffer.baseAddress?.assumingMemoryBound(to: CChar.self), Int32(buffer.count)) != 1
            }
            offset = end
        }
        PQputCopyEnd(connection, sendFailed ? "client failed to send COPY data" : nil)
        var last: QueryResult?
        var failure: PostgresError?
        while let result = PQgetResult(connection) {
            do { last = try consume(result, connection: connection) } catch { failure = failure ?? error }
        }
        if let failure { throw failure }
        guard let last else { throw connectionError(connection) }
        return last
    }

    /// Breaks the connection's socket from another thread, so that a call
    /// blocked on a server that stopped answering returns with an error.
    public func abortFromAnotherThread() {
        crossThread.withLock { state in
            if state.socket >= 0 { _ = shutdown(state.socket, Int32(SHUT_RDWR)) }
        }
    }

    /// Sends `queries` as one pipeline (one round trip, extended protocol,
    /// one statement each, one Sync at the end) and reads every result.
    /// Returns the first query that failed, if any: the server skips every
    /// query after it, whatever transactions they open. The server sends
    /// the results so far after each index in `flushingAfter`, and
    /// `succeeded` is called with each query's index as its result is read,
    /// up to the failure.
    public func pipeline(_ queries: [(sql: String, parameters: [String?])], flushingAfter: Set<Int> = [],
                         succeeded: (Int) -> Void = { _ in }) throws(PostgresError) -> (index: Int, error: PostgresError)? {
        try pipeline(queries.map { .sql($0.sql, $0.parameters) }, flushingAfter: flushingAfter, succeeded: succeeded)
    }

    public func pipeline(_ queries: [PipelineQuery], flushingAfter: Set<Int> = [],
                         succeeded: (Int) -> Void = { _ in }) throws(PostgresError) -> (index: Int, error: PostgresError)? {
        try inFlight { () throws(PostgresError) in try pipelineNow(queries, flushingAfter: flushingAfter, succeeded: succeeded) }
    }

    private func pipelineNow(_ queries: [PipelineQuery], flushingAfter: Set<Int>,
                             succeeded: (Int) -> Void) throws(PostgresError) -> (index: Int, error: PostgresError)? {
        var failure: (index: Int, error: PostgresError)?
        try runPipeline(queries, flushingAfter: flushingAfter, syncingAfter: []) { index, outcome in
            switch outcome {
            case .success: if failure == nil { succeeded(index) }
            case .failure(let error): if failure == nil { failure = (index, error) }
            }
        }
        return failure
    }

    /// Sends `queries` as one pipeline (one round trip) with a Sync after
    /// each index in `syncingAfter` and at the end. `reading` gets each
    /// successful query's index and its rows, read in place. Returns each
    /// query's error, nil for one that succeeded. A failure skips only the
    /// rest of its segment (up to the next Sync), which rolls back as one
    /// implicit transaction; a skipped query's error says so. Throws only
    /// when the connection fails.
    public func pipelineOutcomes(_ queries: [(sql: String, parameters: [String?])], syncingAfter: Set<Int> = [],
                                 reading: (_ index: Int, _ rows: ResultRows) -> Void) throws(PostgresError) -> [PostgresError?] {
        var errors: [PostgresError?] = []
        errors.reserveCapacity(queries.count)
        try inFlight { () throws(PostgresError) in
            try runPipeline(queries.map { .sql($0.sql, $0.parameters) }, flushingAfter: [], syncingAfter: syncingAfter,
                            reading: reading) { _, outcome in
                if case .failure(let error) = outcome { errors.append(error) } else { errors.append(nil) }
            }
        }
        return errors
    }

    /// A query the server skipped because an earlier one of its segment failed.
    private static let skipped = PostgresError(kind: .client, message: "not run: an earlier query of its pipeline failed")

    /// Sends the pipeline, then reads each query's outcome in order (its
    /// rows only through `reading`) and each Sync's result.
    private func runPipeline(_ queries: [PipelineQuery], flushingAfter: Set<Int>, syncingAfter: Set<Int>,
                             reading: (Int, ResultRows) -> Void = { _, _ in },
                             outcome: (Int, Result<Void, PostgresError>) -> Void) throws(PostgresError) {
        let connection = try live()
        guard PQenterPipelineMode(connection) == 1 else { throw connectionError(connection) }
        defer { PQexitPipelineMode(connection) }
        for (index, query) in queries.enumerated() {
            let sent: Int32
            switch query {
            case .sql(let sql, let parameters):
                sent = withOptionalCStrings(parameters) { pointers in
                    PQsendQueryParams(connection, sql, Int32(parameters.count), nil, pointers, nil, nil, 0)
                }
            case .prepare(let name, let sql, let parameterCount):
                sent = PQsendPrepare(connection, name, sql, Int32(parameterCount), nil)
            case .prepared(let name, let parameters):
                sent = withOptionalCStrings(parameters) { pointers in
                    PQsendQueryPrepared(connection, name, Int32(parameters.count), pointers, nil, nil, 0)
                }
            }
            guard sent == 1 else { throw connectionError(connection) }
            let last = index == queries.count - 1
            if syncingAfter.contains(index) && !last {
                guard PQpipelineSync(connection) == 1 else { throw connectionError(connection) }
            } else if flushingAfter.contains(index) && !last {
                guard PQsendFlushRequest(connection) == 1 else { throw connectionError(connection) }
            }
        }
        guard PQpipelineSync(connection) == 1 else { throw connectionError(connection) }
        var segmentFailed = false
        for index in queries.indices {
            var sawResult = false
            var result: Result<Void, PostgresError>?
            while let next = PQgetResult(connection) {
                sawResult = true
                let status = PQresultStatus(next)
                if status == PGRES_FATAL_ERROR, result == nil {
                    result = .failure(Self.error(from: next, connection: connection))
                } else if status == PGRES_PIPELINE_ABORTED, result == nil {
                    result = .failure(Self.skipped)
                } else if result == nil && !Self.isCopy(status) {
                    result = .success(())
                    reading(index, ResultRows(next))
                }
                PQclear(next)
                if Self.isCopy(status) {
                    try leaveCopy(status, connection: connection)
                    if result == nil { result = .failure(Self.unexpectedCopy(status)) }
                }
            }
            if !sawResult && segmentFailed {
                result = .failure(Self.skipped)
            }
            guard let result else { throw connectionError(connection) }
            if case .failure = result { segmentFailed = true }
            outcome(index, result)
            if syncingAfter.contains(index) || index == queries.count - 1 {
                segmentFailed = false
                guard let sync = PQgetResult(connection) else { throw connectionError(connection) }
                let synced = PQresultStatus(sync) == PGRES_PIPELINE_SYNC
                PQclear(sync)
                guard synced else { throw connectionError(connection) }
            }
        }
    }

    /// Notices (and warnings) the server sent since the last call.
    public func drainNotices() -> [String] { notices.drain() }

    public var backendPID: Int32 { handle.map { PQbackendPID($0) } ?? 0 }
    /// The role this connection logged in as.
    public var user: String { handle.flatMap { PQuser($0) }.map { String(cString: $0) } ?? "" }
    /// `server_version_num`, such as 150008.
    public var serverVersionNumber: Int { handle.map { Int(PQserverVersion($0)) } ?? 0 }
    public var isConnected: Bool { handle.map { PQstatus($0) == CONNECTION_OK } ?? false }
    /// True when a transaction is open (or aborted) on this connection.
    public var isInTransaction: Bool {
        guard let handle else { return false }
        let status = PQtransactionStatus(handle)
        return status == PQTRANS_INTRANS || status == PQTRANS_INERROR
    }

    /// Asks the server to cancel the running statement (callable from any thread).
    /// Only a call in flight is cancelled: between calls there is nothing
    /// to cancel, and a late cancel would hit the next call.
    public func requestCancel() {
        crossThread.withLock { state in
            guard state.inFlight, let key = state.cancelKey else { return }
            var buffer = [CChar](repeating: 0, count: 256)
            _ = PQcancel(key.pointer, &buffer, 256)
        }
    }

    // MARK: Internals

    func live() throws(PostgresError) -> OpaquePointer {
        guard let handle else { throw PostgresError(kind: .connection, message: "connection is closed") }
        return handle
    }

    private func consume(_ result: OpaquePointer?, connection: OpaquePointer) throws(PostgresError) -> QueryResult {
        guard let result else { throw connectionError(connection) }
        defer { PQclear(result) }
        switch PQresultStatus(result) {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_EMPTY_QUERY, PGRES_SINGLE_TUPLE:
            return QueryResult(result)
        case PGRES_COPY_IN, PGRES_COPY_OUT, PGRES_COPY_BOTH:
            let status = PQresultStatus(result)
            try leaveCopy(status, connection: connection)
            while let rest = PQgetResult(connection) { PQclear(rest) }
            throw Self.unexpectedCopy(status)
        default:
            throw Self.error(from: result, connection: connection)
        }
    }

    static func isCopy(_ status: ExecStatusType) -> Bool {
        status == PGRES_COPY_IN || status == PGRES_COPY_OUT || status == PGRES_COPY_BOTH
    }

    /// Ends a COPY the caller did not start with data: copy-in is ended
    /// with an error (the server rolls the statement back), copy-out rows
    /// are read and dropped. Without this, every later call would find the
    /// connection still in COPY state.
    func leaveCopy(_ status: ExecStatusType, connection: OpaquePointer) throws(PostgresError) {
        switch status {
        case PGRES_COPY_IN:
            guard PQputCopyEnd(connection, "the statement started a COPY FROM STDIN with no data") == 1 else {
                throw connectionError(connection)
            }
        case PGRES_COPY_OUT:
            var buffer: UnsafeMutablePointer<CChar>?
            while true {
                let count = PQgetCopyData(connection, &buffer, 0)
                if let row = buffer { PQfreemem(row); buffer = nil }
                if count < 0 { break }
            }
        default:
            // COPY BOTH exists only on replication connections: nothing to recover.
            close()
            throw PostgresError(kind: .connection, message: "the statement started a COPY BOTH (replication) stream")
        }
    }

    static func unexpectedCopy(_ status: ExecStatusType) -> PostgresError {
        PostgresError(kind: .client, message: status == PGRES_COPY_OUT
            ? "COPY … TO STDOUT sends rows to the client, which has nowhere to put them: write to a server file or use INSERT … SELECT"
            : "COPY … FROM STDIN needs its data on the lines after the statement, ended by a line \\.")
    }

    func connectionError(_ connection: OpaquePointer) -> PostgresError {
        let message = String(cString: PQerrorMessage(connection)).trimmingTrailingNewlines
        return PostgresError(kind: .connection, message: message.isEmpty ? "connection lost" : message)
    }

    static func error(from result: OpaquePointer, connection: OpaquePointer) -> PostgresError {
        func field(_ code: Character) -> String? {
            PQresultErrorField(result, diag(code)).map { String(cString: $0) }
        }
        guard let sqlstate = field("C") else {
            let message = String(cString: PQresultErrorMessage(result)).trimmingTrailingNewlines
            let fallback = String(cString: PQerrorMessage(connection)).trimmingTrailingNewlines
            return PostgresError(kind: .connection, message: message.isEmpty ? fallback : message)
        }
        var error = PostgresError(kind: .server, message: field("M") ?? "unknown error", sqlstate: sqlstate)
        error.severity = field("V") ?? field("S")
        error.detail = field("D")
        error.hint = field("H")
        error.position = field("P").flatMap { Int($0) }
        error.context = field("W")
        error.schema = field("s")
        error.table = field("t")
        error.column = field("c")
        error.constraint = field("n")
        return error
    }
}

/// One query of a pipeline: SQL with text parameters `$1`, `$2`, …; a
/// statement prepared under a name (for the rest of the session, or until
/// deallocated); or a prepared statement run with its parameters.
public enum PipelineQuery: Sendable {
    case sql(String, [String?])
    case prepare(name: String, sql: String, parameterCount: Int)
    case prepared(name: String, [String?])
}

/// libpq's cancel object: PQcancel may be called from any thread.
private struct CancelKey: @unchecked Sendable {  // libpq documents PQcancel as safe from any thread
    let pointer: OpaquePointer
}

/// Collects notices from libpq's receiver callback.
final class NoticeBuffer: @unchecked Sendable {  // libpq calls its receiver on the thread that owns the connection
    private var messages: [String] = []

    func append(_ message: String) {
        if messages.count < 1000 { messages.append(message) }
    }

    func drain() -> [String] {
        defer { messages.removeAll() }
        return messages
    }
}

private func diag(_ code: Character) -> Int32 {
    Int32(code.asciiValue!)
}

private func withCStrings<R>(_ strings: [String], _ body: ([UnsafePointer<CChar>?]) -> R) -> R {
    let pointers: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
    defer { pointers.forEach { free($0) } }
    return body(pointers.map { UnsafePointer($0) } + [nil])
}

private func withOptionalCStrings<R>(_ strings: [String?], _ body: ([UnsafePointer<CChar>?]) -> R) -> R {
    let pointers: [UnsafeMutablePointer<CChar>?] = strings.map { $0.map { strdup($0) } ?? nil }
    defer { pointers.forEach { free($0) } }
    return body(pointers.map { UnsafePointer($0) })
}

extension String {
    var trimmingTrailingNewlines: String {
        var text = self
        while text.last?.isNewline == true { text.removeLast() }
        return text
    }
}
