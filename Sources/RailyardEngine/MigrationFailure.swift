import Foundation
import RailyardCore
import PostgresClient

/// Why a migration failed, and where in its file.
public struct MigrationFailure: Sendable, Codable, Equatable, CustomStringConvertible {
    public var version: String
    public var filename: String
    public var line: Int
    public var column: Int
    public var sqlstate: String?
    public var message: String
    public var detail: String?
    public var hint: String?
    /// 0-based index of the statement that failed, among the up statements.
    public var statementIndex: Int?
    /// The start of the failing statement's text.
    public var statement: String?
    /// For lock timeouts: the lock waited for and who held it.
    public var waitedFor: String?

    enum CodingKeys: String, CodingKey {
        case version, filename, line, column, sqlstate, message, detail, hint, statement
        case statementIndex = "statement_index", waitedFor = "waited_for"
    }

    public var description: String {
        var text = "\(filename):\(line):\(column): "
        if let sqlstate { text += "ERROR \(sqlstate): " }
        text += message
        if let detail { text += "\n  DETAIL: \(detail)" }
        if let hint { text += "\n  HINT: \(hint)" }
        if let waitedFor { text += "\n  WAITED FOR: \(waitedFor)" }
        if let statement { text += "\n  STATEMENT: \(statement)" }
        return text
    }

    init(file: MigrationFile, statementIndex: Int?, statement: SQLStatement?, error: PostgresError) {
        version = file.version
        filename = file.filename
        sqlstate = error.sqlstate
        message = error.message
        detail = error.detail
        hint = error.hint
        self.statementIndex = statementIndex
        var offset = statement?.range.lowerBound ?? file.up.range.lowerBound
        if let statement, let position = error.position, position > 0 {
            offset = file.source.byteOffset(advancing: position - 1, from: statement.range.lowerBound)
        }
        let location = file.source.location(ofByte: offset)
        line = location.line
        column = location.column
        self.statement = statement.map { Self.excerpt(file.source.text($0.range)) }
    }

    static func excerpt(_ text: String) -> String {
        let oneLine = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: " ")
        return oneLine.count > 160 ? String(oneLine.prefix(157)) + "…" : oneLine
    }
}
