import PostgresClient

/// A cheap token that changes whenever a schema dump could: the identity
/// (transaction and place) of every catalog row describing a user object,
/// in every catalog the dump and PostgreSQL's definition functions read.
/// Any DDL writes such a row (an insert, an update's new version, a
/// delete); VACUUM and ANALYZE update statistics in place, so they do not.
/// It can change when the dump does not (a freeze, a temporary table), never
/// the other way round, so a dump's result can be reused while it stays.
enum SchemaFingerprint {
    /// Catalogs and the column that says which object a row belongs to
    /// (objects created after initdb have OIDs from 16384 on).
    private static let catalogs: [(table: String, object: String)] = [
        ("pg_namespace", "oid"), ("pg_class", "oid"), ("pg_attribute", "attrelid"), ("pg_attrdef", "adrelid"),
        ("pg_constraint", "oid"), ("pg_index", "indexrelid"), ("pg_type", "oid"), ("pg_enum", "enumtypid"),
        ("pg_range", "rngtypid"), ("pg_proc", "oid"), ("pg_language", "oid"), ("pg_trigger", "oid"),
        ("pg_rewrite", "oid"), ("pg_policy", "oid"), ("pg_sequence", "seqrelid"), ("pg_description", "objoid"),
        ("pg_inherits", "inhrelid"), ("pg_partitioned_table", "partrelid"), ("pg_depend", "objid"),
        ("pg_extension", "oid"), ("pg_collation", "oid"), ("pg_opclass", "oid"), ("pg_operator", "oid"),
        ("pg_statistic_ext", "oid"),
    ]

    /// Role names appear in policies; the cluster's identifier and the
    /// database tell one cluster's rows from another's with the same history.
    static let query: String = {
        let rows = catalogs.map { "SELECT '\($0.table)' || xmin || ctid AS r FROM pg_catalog.\($0.table) WHERE \($0.object) >= 16384" }
            + ["SELECT 'role' || oid || rolname FROM pg_catalog.pg_roles"]
        return """
            SELECT current_database() || ':' || (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database())
                   || ':' || (SELECT system_identifier FROM pg_catalog.pg_control_system()) || ':' || current_setting('server_version_num')
                   || ':' || count(*) || ':' || COALESCE(sum(hashtextextended(r, 0)), 0)
            FROM (\(rows.joined(separator: "\n    UNION ALL "))) AS catalog_rows
            """
    }()

    static func read(_ connection: PostgresConnection) throws -> String {
        do {
            return try connection.execute(query).scalar ?? ""
        } catch {
            throw EngineError.database(context: "fingerprinting the schema", error)
        }
    }
}
