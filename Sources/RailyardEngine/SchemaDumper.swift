import Foundation
import RailyardCore
import PostgresClient

/// Reads a database's schema from PostgreSQL's catalogs and its own
/// definition functions (`pg_get_indexdef`, `pg_get_constraintdef`,
/// `pg_get_functiondef`, `pg_get_triggerdef`, `pg_get_viewdef`, …), in one
/// query, so that any server version Railyard reaches can be read (unlike
/// `pg_dump`, which refuses servers newer than itself). Objects that belong
/// to extensions, and Railyard's own tables, are left out. Names are
/// printed schema-qualified whatever the session's `search_path`.
struct SchemaDumper {
    let configuration: MigratorConfiguration

    /// The schema, read in its own read-only transaction.
    func dump(_ connection: PostgresConnection) throws -> SchemaFile {
        try run(connection, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        do {
            let schema = try dumpInTransaction(connection)
            try run(connection, "COMMIT")
            return schema
        } catch {
            _ = try? connection.execute("ROLLBACK")
            throw error
        }
    }

    /// The schema as the open transaction sees it (uncommitted changes
    /// included), leaving the transaction's settings as they were.
    func dumpInTransaction(_ connection: PostgresConnection) throws -> SchemaFile {
        try run(connection, "SAVEPOINT railyard_dump; SET LOCAL search_path = ''")
        let own = [configuration.migrationsTable, configuration.runsTable, configuration.runStepsTable]
        let result: QueryResult
        do {
            result = try connection.execute(Self.query, [Self.array(own), Self.array(configuration.legacyTableCandidates)])
        } catch {
            throw EngineError.database(context: "reading the schema from the catalogs", error)
        }
        try run(connection, "ROLLBACK TO SAVEPOINT railyard_dump; RELEASE SAVEPOINT railyard_dump")
        return SchemaFile(objects: result.rows.map { SchemaObject(kind: $0[0] ?? "", name: $0[1] ?? "", definition: $0[2] ?? "") })
    }

    private func run(_ connection: PostgresConnection, _ sql: String) throws {
        do {
            try connection.execute(sql)
        } catch {
            throw EngineError.database(context: "reading the schema from the catalogs", error)
        }
    }

    /// A text[] literal of (already quoted) table names.
    static func array(_ names: [String]) -> String {
        "{" + names.map { "\"" + $0.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\"" }
            .joined(separator: ",") + "}"
    }

    static let query = #"""
        WITH excluded AS (
            SELECT to_regclass(name) AS oid FROM unnest($1::text[]) AS name WHERE to_regclass(name) IS NOT NULL
            UNION ALL
            SELECT to_regclass(name) FROM unnest($2::text[]) AS name
            WHERE EXISTS (SELECT FROM pg_attribute WHERE attrelid = to_regclass(name) AND attname = 'filename' AND NOT attisdropped)
        ), member AS (
            SELECT classid, objid FROM pg_depend WHERE deptype = 'e'
        ), user_namespace AS (
            SELECT n.oid, n.nspname FROM pg_namespace n
            WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\_toast%' AND n.nspname NOT LIKE 'pg\_temp\_%'
              AND (n.oid) NOT IN (SELECT objid FROM member WHERE classid = 'pg_namespace'::regclass)
        ), relation AS (
            SELECT c.oid, c.relname, c.relkind, c.relpersistence, c.relispartition, c.relrowsecurity, c.relforcerowsecurity, c.reloptions,
                   n.nspname, format('%I.%I', n.nspname, c.relname) AS qualified
            FROM pg_class c JOIN user_namespace n ON n.oid = c.relnamespace
            WHERE c.oid NOT IN (SELECT oid FROM excluded)
              AND c.oid NOT IN (SELECT objid FROM member WHERE classid = 'pg_class'::regclass)
        )
        SELECT kind, name, definition FROM (
            SELECT 0 AS rank, 'schema' AS kind, format('%I', nspname) AS name, format('CREATE SCHEMA %I;', nspname) AS definition
            FROM user_namespace WHERE nspname <> 'public'
        UNION ALL
            SELECT 1, 'extension', format('%I', e.extname), format('CREATE EXTENSION IF NOT EXISTS %I WITH SCHEMA %I;', e.extname, n.nspname)
            FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname <> 'plpgsql'
        UNION ALL
            SELECT 2, 'type', format('%I.%I', n.nspname, t.typname),
                   CASE t.typtype
                   WHEN 'e' THEN format('CREATE TYPE %I.%I AS ENUM (%s);', n.nspname, t.typname,
                                        (SELECT string_agg(quote_literal(enumlabel), ', ' ORDER BY enumsortorder) FROM pg_enum WHERE enumtypid = t.oid))
                   WHEN 'd' THEN format('CREATE DOMAIN %I.%I AS %s%s%s%s%s;', n.nspname, t.typname, format_type(t.typbasetype, t.typtypmod),
                                        (SELECT ' COLLATE ' || format('%I.%I', cn.nspname, co.collname) FROM pg_collation co JOIN pg_namespace cn ON cn.oid = co.collnamespace
                                         WHERE co.oid = t.typcollation AND t.typcollation <> (SELECT typcollation FROM pg_type WHERE oid = t.typbasetype)),
                                        coalesce(' DEFAULT ' || t.typdefault, ''), CASE WHEN t.typnotnull THEN ' NOT NULL' ELSE '' END,
                                        coalesce((SELECT string_agg(format(' CONSTRAINT %I %s', conname, pg_get_constraintdef(oid)), '' ORDER BY conname COLLATE "C")
                                                  FROM pg_constraint WHERE contypid = t.oid), ''))
                   WHEN 'r' THEN format('CREATE TYPE %I.%I AS RANGE (SUBTYPE = %s);', n.nspname, t.typname,
                                        (SELECT format_type(rngsubtype, NULL) FROM pg_range WHERE rngtypid = t.oid))
                   ELSE format(E'CREATE TYPE %I.%I AS (\n%s\n);', n.nspname, t.typname,
                               (SELECT string_agg(format('    %I %s', a.attname, format_type(a.atttypid, a.atttypmod)), E',\n' ORDER BY a.attnum)
                                FROM pg_attribute a WHERE a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped))
                   END
            FROM pg_type t JOIN user_namespace n ON n.oid = t.typnamespace
            WHERE (t.typtype IN ('e', 'd', 'r') OR (t.typtype = 'c' AND (SELECT relkind FROM pg_class WHERE oid = t.typrelid) = 'c'))
              AND t.oid NOT IN (SELECT objid FROM member WHERE classid = 'pg_type'::regclass)
        UNION ALL
            SELECT 3, CASE p.prokind WHEN 'p' THEN 'procedure' ELSE 'function' END,
                   format('%I.%I(%s)', n.nspname, p.proname, pg_get_function_identity_arguments(p.oid)),
                   rtrim(pg_get_functiondef(p.oid), E'\n') || ';'
            FROM pg_proc p JOIN user_namespace n ON n.oid = p.pronamespace
            WHERE p.prokind IN ('f', 'p', 'w') AND p.oid NOT IN (SELECT objid FROM member WHERE classid = 'pg_proc'::regclass)
              AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'i')
        UNION ALL
            SELECT 4, 'sequence', r.qualified,
                   format('CREATE SEQUENCE %s AS %s INCREMENT BY %s MINVALUE %s MAXVALUE %s START WITH %s CACHE %s%s;', r.qualified,
                          format_type(s.seqtypid, NULL), s.seqincrement, s.seqmin, s.seqmax, s.seqstart, s.seqcache,
                          CASE WHEN s.seqcycle THEN ' CYCLE' ELSE '' END)
                   || coalesce((SELECT format(E'\nALTER SEQUENCE %s OWNED BY %s.%I;', r.qualified, t.qualified, a.attname)
                                FROM pg_depend d JOIN relation t ON t.oid = d.refobjid
                                JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
                                WHERE d.classid = 'pg_class'::regclass AND d.objid = r.oid AND d.deptype = 'a' AND d.refobjsubid > 0), '')
            FROM relation r JOIN pg_sequence s ON s.seqrelid = r.oid
            WHERE r.relkind = 'S'
              AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = r.oid AND d.deptype = 'i')
        UNION ALL
            SELECT 5, 'table', r.qualified,
                   CASE WHEN r.relispartition THEN
                       format('CREATE TABLE %s PARTITION OF %s %s', r.qualified,
                              (SELECT p.qualified FROM pg_inherits i JOIN relation p ON p.oid = i.inhparent WHERE i.inhrelid = r.oid),
                              pg_get_expr(c.relpartbound, r.oid))
                   ELSE
                       format(E'CREATE %sTABLE %s (%s)', CASE WHEN r.relpersistence = 'u' THEN 'UNLOGGED ' ELSE '' END, r.qualified,
                              coalesce(E'\n' || (
                                  SELECT string_agg(format('    %I %s', a.attname, format_type(a.atttypid, a.atttypmod))
                                      || coalesce((SELECT ' COLLATE ' || format('%I.%I', cn.nspname, co.collname) FROM pg_collation co
                                                   JOIN pg_namespace cn ON cn.oid = co.collnamespace
                                                   WHERE co.oid = a.attcollation AND a.attcollation <> ty.typcollation), '')
                                      || CASE a.attidentity WHEN 'a' THEN ' GENERATED ALWAYS AS IDENTITY' WHEN 'd' THEN ' GENERATED BY DEFAULT AS IDENTITY' ELSE '' END
                                      || CASE WHEN a.attgenerated = 's' THEN ' GENERATED ALWAYS AS (' || pg_get_expr(ad.adbin, ad.adrelid) || ') STORED'
                                              WHEN ad.adbin IS NOT NULL THEN ' DEFAULT ' || pg_get_expr(ad.adbin, ad.adrelid) ELSE '' END
                                      || CASE WHEN a.attnotnull THEN ' NOT NULL' ELSE '' END,
                                      E',\n' ORDER BY a.attnum)
                                  FROM pg_attribute a JOIN pg_type ty ON ty.oid = a.atttypid
                                  LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
                                  WHERE a.attrelid = r.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attislocal) || E'\n', ''))
                       || coalesce((SELECT ' INHERITS (' || string_agg(p.qualified, ', ' ORDER BY i.inhseqno) || ')'
                                    FROM pg_inherits i JOIN relation p ON p.oid = i.inhparent WHERE i.inhrelid = r.oid), '')
                       || CASE WHEN r.relkind = 'p' THEN ' PARTITION BY ' || pg_get_partkeydef(r.oid) ELSE '' END
                   END
                   || coalesce(' WITH (' || array_to_string(r.reloptions, ', ') || ')', '') || ';'
                   || CASE WHEN r.relrowsecurity THEN format(E'\nALTER TABLE %s ENABLE ROW LEVEL SECURITY;', r.qualified) ELSE '' END
                   || CASE WHEN r.relforcerowsecurity THEN format(E'\nALTER TABLE %s FORCE ROW LEVEL SECURITY;', r.qualified) ELSE '' END
            FROM relation r JOIN pg_class c ON c.oid = r.oid
            WHERE r.relkind IN ('r', 'p')
        UNION ALL
            SELECT 6 + (co.contype = 'f')::int, 'constraint', format('%s.%I', r.qualified, co.conname),
                   format('ALTER TABLE ONLY %s ADD CONSTRAINT %I %s;', r.qualified, co.conname, pg_get_constraintdef(co.oid))
            FROM pg_constraint co JOIN relation r ON r.oid = co.conrelid
            WHERE co.contype IN ('p', 'u', 'c', 'f', 'x') AND co.conislocal AND co.conparentid = 0
        UNION ALL
            SELECT 8, 'index', format('%I.%I', r.nspname, ic.relname), pg_get_indexdef(i.indexrelid) || ';'
            FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid JOIN relation r ON r.oid = i.indrelid
            WHERE NOT EXISTS (SELECT FROM pg_constraint co WHERE co.conindid = i.indexrelid AND co.contype IN ('p', 'u', 'x'))
              AND NOT EXISTS (SELECT FROM pg_inherits h WHERE h.inhrelid = i.indexrelid)
        UNION ALL
            SELECT 9, CASE r.relkind WHEN 'v' THEN 'view' ELSE 'materialized view' END, r.qualified,
                   CASE r.relkind
                   WHEN 'v' THEN format(E'CREATE VIEW %s AS\n%s', r.qualified, pg_get_viewdef(r.oid, true))
                   ELSE format(E'CREATE MATERIALIZED VIEW %s AS\n%s\nWITH NO DATA;', r.qualified, rtrim(pg_get_viewdef(r.oid, true), ';'))
                   END
            FROM relation r WHERE r.relkind IN ('v', 'm')
        UNION ALL
            SELECT 10, 'trigger', format('%s.%I', r.qualified, t.tgname), pg_get_triggerdef(t.oid, true) || ';'
            FROM pg_trigger t JOIN relation r ON r.oid = t.tgrelid
            WHERE NOT t.tgisinternal AND t.tgparentid = 0
        UNION ALL
            SELECT 11, 'policy', format('%s.%I', r.qualified, p.polname),
                   format('CREATE POLICY %I ON %s AS %s FOR %s TO %s%s%s;', p.polname, r.qualified,
                          CASE WHEN p.polpermissive THEN 'PERMISSIVE' ELSE 'RESTRICTIVE' END,
                          CASE p.polcmd WHEN 'r' THEN 'SELECT' WHEN 'a' THEN 'INSERT' WHEN 'w' THEN 'UPDATE' WHEN 'd' THEN 'DELETE' ELSE 'ALL' END,
                          (SELECT string_agg(CASE WHEN role = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(role)) END, ', ' ORDER BY role) FROM unnest(p.polroles) AS role),
                          coalesce(' USING (' || pg_get_expr(p.polqual, p.polrelid) || ')', ''),
                          coalesce(' WITH CHECK (' || pg_get_expr(p.polwithcheck, p.polrelid) || ')', ''))
            FROM pg_policy p JOIN relation r ON r.oid = p.polrelid
        UNION ALL
            SELECT 12, 'comment', o.type || ' ' || o.identity,
                   format('COMMENT ON %s %s IS %L;', upper(CASE o.type WHEN 'table column' THEN 'column' WHEN 'table constraint' THEN 'constraint'
                                                                WHEN 'domain constraint' THEN 'constraint' ELSE o.type END),
                          CASE WHEN o.type = 'domain constraint' THEN replace(o.identity, ' on ', ' ON DOMAIN ')
                               WHEN o.type IN ('table constraint', 'trigger', 'policy') THEN replace(o.identity, ' on ', ' ON ') ELSE o.identity END,
                          d.description)
            FROM (
                -- The descriptions of this schema's objects, found before naming them (the system's are thousands).
                SELECT d.* FROM pg_description d
                WHERE CASE d.classoid
                    WHEN 'pg_namespace'::regclass THEN d.objoid IN (SELECT oid FROM user_namespace)
                    WHEN 'pg_class'::regclass THEN d.objoid IN (SELECT oid FROM relation)
                    WHEN 'pg_proc'::regclass THEN d.objoid IN (SELECT p.oid FROM pg_proc p JOIN user_namespace n ON n.oid = p.pronamespace)
                    WHEN 'pg_type'::regclass THEN d.objoid IN (SELECT t.oid FROM pg_type t JOIN user_namespace n ON n.oid = t.typnamespace)
                    WHEN 'pg_trigger'::regclass THEN d.objoid IN (SELECT t.oid FROM pg_trigger t JOIN relation r ON r.oid = t.tgrelid)
                    WHEN 'pg_policy'::regclass THEN d.objoid IN (SELECT p.oid FROM pg_policy p JOIN relation r ON r.oid = p.polrelid)
                    WHEN 'pg_constraint'::regclass THEN d.objoid IN (SELECT co.oid FROM pg_constraint co
                                                                  LEFT JOIN relation r ON r.oid = co.conrelid
                                                                  LEFT JOIN pg_type t ON t.oid = co.contypid
                                                                  WHERE r.oid IS NOT NULL OR t.typnamespace IN (SELECT oid FROM user_namespace))
                    ELSE false END
                  AND (d.classoid, d.objoid) NOT IN (SELECT classid, objid FROM member)
            ) AS d CROSS JOIN LATERAL pg_identify_object(d.classoid, d.objoid, d.objsubid) o
        ) AS objects
        ORDER BY rank, kind COLLATE "C", name COLLATE "C"
        """#
}
