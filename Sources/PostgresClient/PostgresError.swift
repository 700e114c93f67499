/// An error from libpq or the server, with every diagnostic field kept.
public struct PostgresError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// Could not connect, or the connection was lost.
        case connection
        /// The server reported an error (SQLSTATE set).
        case server
        /// Something libpq or this wrapper could not handle.
        case client
    }

    public var kind: Kind
    public var message: String
    public var severity: String?
    public var sqlstate: String?
    public var detail: String?
    public var hint: String?
    /// 1-based character position in the query text sent.
    public var position: Int?
    public var context: String?
    public var schema: String?
    public var table: String?
    public var column: String?
    public var constraint: String?

    public init(kind: Kind, message: String, sqlstate: String? = nil) {
        self.kind = kind
        self.message = message
        self.sqlstate = sqlstate
    }

    public var description: String {
        var text = sqlstate.map { "\($0): \(message)" } ?? message
        if let detail { text += "\nDETAIL: \(detail)" }
        if let hint { text += "\nHINT: \(hint)" }
        return text
    }

    /// SQLSTATE 55P03: a lock could not be obtained within `lock_timeout`.
    public var isLockTimeout: Bool { sqlstate == "55P03" }
    /// SQLSTATE 57014: the statement was cancelled (statement_timeout, cancel).
    public var isQueryCanceled: Bool { sqlstate == "57014" }
}

extension PostgresError {
    /// A connection refused for a reason that waiting does not change: an
    /// unknown role or database, a wrong password, no pg_hba.conf entry.
    public var isPermanentConnectionFailure: Bool {
        guard kind == .connection else { return false }
        let text = message.lowercased()
        return ["does not exist", "password authentication failed", "no pg_hba.conf entry", "authentication failed",
                "permission denied for database"].contains { text.contains($0) }
    }
}
