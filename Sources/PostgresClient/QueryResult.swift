import CLibPQ

/// The rows of a completed command, as text.
public struct QueryResult: Sendable {
    public var columns: [String]
    public var rows: [[String?]]
    /// The command tag, such as `CREATE TABLE` or `INSERT 0 1`.
    public var commandTag: String

    init(_ result: OpaquePointer) {
        let columnCount = Int(PQnfields(result))
        let rowCount = Int(PQntuples(result))
        columns = (0..<columnCount).map { String(cString: PQfname(result, Int32($0))) }
        rows = (0..<rowCount).map { row in
            (0..<columnCount).map { column in
                PQgetisnull(result, Int32(row), Int32(column)) == 1
                    ? nil
                    : String(cString: PQgetvalue(result, Int32(row), Int32(column)))
            }
        }
        commandTag = String(cString: PQcmdStatus(result))
    }

    /// The first column of the first row.
    public var scalar: String? { rows.first?.first ?? nil }

    /// A row's values by column name.
    public func value(_ column: String, row: Int) -> String? {
        guard let index = columns.firstIndex(of: column), row < rows.count else { return nil }
        return rows[row][index]
    }
}
