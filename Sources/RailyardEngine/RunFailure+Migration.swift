import Foundation
import RailyardCore
import PostgresClient

/// A migration's failure, placed in its file: line and column from the
/// server's error position within the statement.
extension RunFailure {
    init(file: MigrationFile, statementIndex: Int?, statement: SQLStatement?, error: PostgresError) {
        self.init(kind: .migrationFailed, message: error.message)
        version = file.version
        filename = file.filename
        sqlstate = error.sqlstate
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
