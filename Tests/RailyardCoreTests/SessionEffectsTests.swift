import Testing
@testable import RailyardCore

/// A migration is followed by a session reset only when it may have changed
/// the session; everything that might must be caught.
@Suite("Statements that may change the session")
struct SessionEffectsTests {
    static func mayChange(_ sql: String) throws -> Bool {
        let source = SourceText(sql)
        return SessionEffects.mayChangeSession(try SQLLexer.lex(source).statements, in: source)
    }

    @Test(arguments: [
        "SET search_path = app;",
        "set local lock_timeout = 0;",
        "SET ROLE admin;",
        "SET SESSION AUTHORIZATION other;",
        "RESET ALL;",
        "CREATE TEMP TABLE scratch (id int);",
        "CREATE TEMPORARY VIEW v AS VALUES (1);",
        "create global temporary table g (id int);",
        "CREATE TABLE pg_temp.t (id int);",
        "CREATE TABLE \"pg_temp\".t (id int);",
        "CREATE SEQUENCE pg_temp.s;",
        "PREPARE p AS SELECT 1;",
        "EXECUTE p;",
        "DECLARE c CURSOR WITH HOLD FOR SELECT 1;",
        "LISTEN jobs;",
        "DISCARD PLANS;",
        "LOAD 'auto_explain';",
        "DO $$ BEGIN PERFORM set_config('search_path', 'x', false); END $$;",
        "CALL setup();",
        "SELECT set_config('search_path', 'app', false);",
        "SELECT setup_session();",
        "INSERT INTO t SELECT make_row();",
        "CREATE TABLE copy AS SELECT * FROM t;",
        "UPDATE t SET v = set_config('x.y', '1', false);",
        "WITH x AS (DELETE FROM t RETURNING id) INSERT INTO gone SELECT id FROM x;",
        "VALUES (set_config('a.b', '1', false));",
        "TABLE t;",
        "CREATE TABLE a (id int);\nSET search_path = b;",
    ])
    func caught(sql: String) throws {
        #expect(try Self.mayChange(sql), "\(sql)")
    }

    @Test(arguments: [
        "CREATE TABLE t1 (id bigint PRIMARY KEY, name text NOT NULL);\nCREATE INDEX t1_name ON t1 (name);",
        "ALTER TABLE t ALTER COLUMN c SET DEFAULT 0;\nALTER TABLE t ALTER COLUMN c SET NOT NULL;",
        "UPDATE accounts SET status = 'active' WHERE status IS NULL;",
        "INSERT INTO t (id, name) VALUES (1, 'a'), (2, 'temp');",
        "CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS $$ BEGIN SET search_path = x; END $$;",
        "COMMENT ON TABLE t IS 'SELECT and SET live in strings';",
        "CREATE TABLE \"Temp\" (\"SELECT\" int);",
        "-- SET search_path = x;\nCREATE TABLE t (id int);",
        "DROP TABLE IF EXISTS old_temp;\nGRANT SELECT ON t TO reader;",
        "REVOKE SELECT, UPDATE ON t FROM PUBLIC;",
        "ALTER DEFAULT PRIVILEGES IN SCHEMA app GRANT SELECT ON TABLES TO reader;",
        "COMMENT ON VIEW v IS 'x';",
    ])
    func plainDDLAndDMLCannot(sql: String) throws {
        #expect(try !Self.mayChange(sql), "\(sql)")
    }
}
