import CLibPQ
#if canImport(Glibc)
import Glibc
#endif

/// What the server did with a script: how many of its statements ran
/// (each returned its result), and the statement that failed, with the
/// error's position made relative to that statement.
public struct ScriptOutcome {
    public var ran = 0
    public var failure: (index: Int, error: PostgresError)?
}

extension PostgresConnection {
    /// Sends `statements` as one simple-query message, each ended by a
    /// line holding a semicolon, and reads their results in order:
    /// `completed` gets each statement's index, command tag and rows.
    ///
    /// The server parses the whole message before it runs any of it, so a
    /// syntax error anywhere fails the message with nothing run (`ran` is
    /// 0, the failure names the statement the error is in). Otherwise it
    /// runs the statements in order and skips the rest after an error.
    /// A transaction a statement leaves open stays open. The server sends
    /// the results when the message ends (or a buffer fills), so no
    /// progress shows while it runs: `idle` is called each time `idleEvery`
    /// seconds pass with nothing read, and `sent` once the message is sent,
    /// before any result is read. Throws only when the connection fails.
    public func runScript(_ statements: [String], sent: () -> Void = {}, idleEvery: Duration? = nil, idle: () -> Void = {},
                          completed: (_ index: Int, _ tag: String, _ rows: ResultRows) -> Void) throws(PostgresError) -> ScriptOutcome {
        var text = ""
        var starts: [Int] = []
        starts.reserveCapacity(statements.count)
        var position = 0
        for statement in statements {
            starts.append(position)
            text += statement
            text += "\n;\n"
            position += statement.utf8.count + 3
        }
        return try inFlight { () throws(PostgresError) in
            try runScriptNow(text, starts: starts, sent: sent, idleEvery: idleEvery, idle: idle, completed: completed)
        }
    }

    /// Where the server's error position (characters from the message's
    /// start, from 1) falls: the statement, from `starts` (each one's first
    /// byte), and the position within it.
    /// Counted only for an error: the server counts Unicode scalars, which
    /// are the UTF-8 bytes that are not continuation bytes.
    static func place(_ position: Int, in text: String, starts: [Int]) -> (index: Int, position: Int?) {
        var characters = 0, byte = 0
        var utf8 = text.utf8.makeIterator()
        while let next = utf8.next() {
            if next & 0xC0 != 0x80 {
                characters += 1
                if characters == position { break }
            }
            byte += 1
        }
        let index = starts.lastIndex { $0 <= byte } ?? 0
        guard starts.indices.contains(index) else { return (index, nil) }  // a script of no statements
        let before = text.utf8.dropFirst(starts[index]).prefix(byte - starts[index]).reduce(0) { $1 & 0xC0 != 0x80 ? $0 + 1 : $0 }
        return (index, before + 1)
    }

    private func runScriptNow(_ text: String, starts: [Int], sent: () -> Void, idleEvery: Duration?, idle: () -> Void,
                              completed: (Int, String, ResultRows) -> Void) throws(PostgresError) -> ScriptOutcome {
        let connection = try live()
        guard PQsendQuery(connection, text) == 1 else { throw connectionError(connection) }
        sent()
        var outcome = ScriptOutcome()
        while true {
            try awaitResult(connection, idleEvery: idleEvery, idle: idle)
            guard let next = PQgetResult(connection) else { break }
            let status = PQresultStatus(next)
            if status == PGRES_FATAL_ERROR {
                if outcome.failure == nil {
                    var error = Self.error(from: next, connection: connection)
                    var index = outcome.ran
                    if let position = error.position {
                        let placed = Self.place(position, in: text, starts: starts)
                        if outcome.ran == 0 { index = placed.index }
                        error.position = placed.index == index ? placed.position : nil
                    }
                    outcome.failure = (index, error)
                }
            } else if Self.isCopy(status) {
                PQclear(next)
                try leaveCopy(status, connection: connection)
                if outcome.failure == nil { outcome.failure = (outcome.ran, Self.unexpectedCopy(status)) }
                continue
            } else if outcome.failure == nil {
                completed(outcome.ran, String(cString: PQcmdStatus(next)), ResultRows(next))
                outcome.ran += 1
            }
            PQclear(next)
        }
        guard PQstatus(connection) == CONNECTION_OK else { throw connectionError(connection) }
        if outcome.failure == nil && outcome.ran != starts.count {
            outcome.failure = (outcome.ran, PostgresError(kind: .client, message:
                "the server ran \(outcome.ran) of the \(starts.count) statements sent: a statement's text ends inside a comment or a quoted string"))
        }
        return outcome
    }

    /// Reads from the server until a whole result (or the end) is there,
    /// calling `idle` each `idleEvery` meanwhile.
    private func awaitResult(_ connection: OpaquePointer, idleEvery: Duration?, idle: () -> Void) throws(PostgresError) {
        let clock = ContinuousClock()
        var deadline = idleEvery.map { clock.now + $0 }
        while PQisBusy(connection) == 1 {
            var socket = pollfd(fd: PQsocket(connection), events: Int16(POLLIN), revents: 0)
            var timeout: Int32 = -1
            if let deadline {
                let milliseconds: Double = max(deadline - clock.now, .zero) / .milliseconds(1)
                timeout = Int32(milliseconds.rounded(.up))
            }
            let ready = poll(&socket, 1, timeout)
            if ready < 0 && errno != EINTR { throw connectionError(connection) }
            if let every = idleEvery, let due = deadline, clock.now >= due {
                idle()
                deadline = clock.now + every
            }
            guard PQconsumeInput(connection) == 1 else { throw connectionError(connection) }
        }
    }
}
