/// The lint rules of the workflow's best practices. Ids are stable.
public enum LintRule: String, CaseIterable, Sendable {
    case createTableIfNotExists = "create-table-if-not-exists"
    case createIndexIfNotExists = "create-index-if-not-exists"
    case addColumnIfNotExists = "add-column-if-not-exists"
    case indexWithoutConcurrently = "index-without-concurrently"
    case notNullColumnWithoutDefault = "not-null-column-without-default"
    case columnTypeChange = "column-type-change"
    case dropTable = "drop-table"
    case dropColumn = "drop-column"
    case foreignKeyWithoutNotValid = "foreign-key-without-not-valid"

    public var severity: Diagnostic.Severity {
        self == .notNullColumnWithoutDefault ? .error : .warning
    }

    public var hint: String {
        switch self {
        case .createTableIfNotExists:
            "write CREATE TABLE IF NOT EXISTS so the migration is safe to re-run"
        case .createIndexIfNotExists:
            "write CREATE INDEX IF NOT EXISTS so the migration is safe to re-run"
        case .addColumnIfNotExists:
            "write ADD COLUMN IF NOT EXISTS so the migration is safe to re-run"
        case .indexWithoutConcurrently:
            "building an index on an existing table blocks writes: use CREATE INDEX CONCURRENTLY in a migration of its own marked '-- migrate:up transaction:false'"
        case .notNullColumnWithoutDefault:
            "fails on a table with rows: add a DEFAULT, or add the column nullable, backfill it, then SET NOT NULL"
        case .columnTypeChange:
            "changing a column's type can rewrite the whole table under an ACCESS EXCLUSIVE lock: add a new column, backfill, switch, then drop the old one later"
        case .dropTable:
            "destructive: make sure no deployed code reads the table, and keep a backup; don't drop right after the code stops using it"
        case .dropColumn:
            "destructive: don't drop old columns immediately; stop using the column in one deploy and drop it in a later one"
        case .foreignKeyWithoutNotValid:
            "validating a new foreign key scans the table under a lock: add it NOT VALID, then VALIDATE CONSTRAINT in a later migration"
        }
    }
}
