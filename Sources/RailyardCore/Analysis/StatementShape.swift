/// What a statement does, as far as lint rules and rollback scaffolds need
/// to know. Not a full parser: what it does not recognise is `.other`.
public enum StatementShape: Equatable, Sendable {
    case createTable(name: String, ifNotExists: Bool)
    case createIndex(name: String?, table: String, ifNotExists: Bool, concurrently: Bool)
    case createObject(ObjectKind, name: String, orReplace: Bool)
    case alterTable(table: String, actions: [AlterTableAction])
    case renameIndex(from: String, to: String)
    case drop(kind: String, names: [String])
    case dataChange(String)
    case other

    /// Objects with a `DROP … IF EXISTS` inverse.
    public enum ObjectKind: Equatable, Sendable {
        case view, materializedView, sequence, type, `extension`, schema
        /// The argument list as `DROP FUNCTION` takes it.
        case function(arguments: String)
        case procedure(arguments: String)
        case trigger(table: String)

        public var keyword: String {
            switch self {
            case .view: "VIEW"
            case .materializedView: "MATERIALIZED VIEW"
            case .sequence: "SEQUENCE"
            case .type: "TYPE"
            case .`extension`: "EXTENSION"
            case .schema: "SCHEMA"
            case .function: "FUNCTION"
            case .procedure: "PROCEDURE"
            case .trigger: "TRIGGER"
            }
        }
    }
}

/// One action of `ALTER TABLE`, with the byte offset where it starts.
public enum AlterTableAction: Equatable, Sendable {
    case addColumn(name: String, ifNotExists: Bool, notNull: Bool, hasDefault: Bool, offset: Int)
    case dropColumn(name: String, offset: Int)
    case alterColumnType(name: String, offset: Int)
    case addConstraint(name: String?, foreignKey: Bool, notValid: Bool, offset: Int)
    case renameTable(to: String)
    case renameColumn(from: String, to: String)
    case renameConstraint(from: String, to: String)
    case other(offset: Int)
}
