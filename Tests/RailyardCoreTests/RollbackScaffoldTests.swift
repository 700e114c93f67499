import Foundation
import Testing
@testable import RailyardCore

func inverse(_ sql: String) throws -> StatementInverse.Result {
    let source = SourceText(sql)
    let statement = try #require(try SQLLexer.lex(source).statements.first)
    return StatementInverse.inverse(of: statement, source: source)
}

@Suite("Rollback scaffolds")
struct RollbackScaffoldTests {
    @Test(arguments: [
        ("CREATE TABLE IF NOT EXISTS app.users (id int)", "DROP TABLE IF EXISTS app.users"),
        ("CREATE UNLOGGED TABLE cache AS SELECT 1", "DROP TABLE IF EXISTS cache"),
        ("ALTER TABLE users ADD COLUMN IF NOT EXISTS email text NOT NULL DEFAULT ''", "ALTER TABLE users DROP COLUMN IF EXISTS email"),
        ("ALTER TABLE users ADD COLUMN a int, ADD COLUMN b int", "ALTER TABLE users DROP COLUMN IF EXISTS b, DROP COLUMN IF EXISTS a"),
        ("CREATE UNIQUE INDEX IF NOT EXISTS users_email ON users (lower(email))", "DROP INDEX IF EXISTS users_email"),
        ("ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID", "ALTER TABLE orders DROP CONSTRAINT IF EXISTS orders_user_fk"),
        ("CREATE TRIGGER users_touch BEFORE UPDATE ON public.users FOR EACH ROW EXECUTE FUNCTION touch()", "DROP TRIGGER IF EXISTS users_touch ON public.users"),
        ("CREATE VIEW active_users AS SELECT * FROM users", "DROP VIEW IF EXISTS active_users"),
        ("CREATE MATERIALIZED VIEW IF NOT EXISTS stats AS SELECT 1", "DROP MATERIALIZED VIEW IF EXISTS stats"),
        ("CREATE FUNCTION add(a integer, b integer DEFAULT 1) RETURNS integer LANGUAGE sql AS $$ SELECT a + b $$", "DROP FUNCTION IF EXISTS add(a integer, b integer)"),
        ("CREATE PROCEDURE archive(IN days int = 30) LANGUAGE sql AS $$ SELECT 1 $$", "DROP PROCEDURE IF EXISTS archive(IN days int)"),
        ("CREATE SEQUENCE IF NOT EXISTS invoice_numbers START 1000", "DROP SEQUENCE IF EXISTS invoice_numbers"),
        ("CREATE TYPE mood AS ENUM ('sad', 'ok')", "DROP TYPE IF EXISTS mood"),
        ("CREATE EXTENSION IF NOT EXISTS \"uuid-ossp\"", "DROP EXTENSION IF EXISTS \"uuid-ossp\""),
        ("CREATE SCHEMA IF NOT EXISTS reporting", "DROP SCHEMA IF EXISTS reporting"),
        ("ALTER TABLE app.users RENAME TO members", "ALTER TABLE app.members RENAME TO users"),
        ("ALTER TABLE users RENAME COLUMN name TO full_name", "ALTER TABLE users RENAME COLUMN full_name TO name"),
        ("ALTER TABLE users RENAME email TO mail", "ALTER TABLE users RENAME COLUMN mail TO email"),
        ("ALTER TABLE users RENAME CONSTRAINT a_check TO b_check", "ALTER TABLE users RENAME CONSTRAINT b_check TO a_check"),
        ("ALTER INDEX app.users_email RENAME TO users_mail", "ALTER INDEX app.users_mail RENAME TO users_email"),
    ])
    func invertible(statement: String, expected: String) throws {
        #expect(try inverse(statement) == .statement(expected, concurrently: false))
    }

    @Test func concurrentIndexesAreDroppedConcurrently() throws {
        #expect(try inverse("CREATE INDEX CONCURRENTLY IF NOT EXISTS i ON t (a)") == .statement("DROP INDEX CONCURRENTLY IF EXISTS i", concurrently: true))
    }

    @Test(arguments: [
        "INSERT INTO t VALUES (1)", "UPDATE t SET a = 1", "DELETE FROM t", "TRUNCATE t",
        "DROP TABLE t", "ALTER TABLE t DROP COLUMN a", "ALTER TABLE t ALTER COLUMN a TYPE bigint",
        "CREATE OR REPLACE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$",
        "CREATE OR REPLACE VIEW v AS SELECT 1", "CREATE INDEX ON t (a)",
        "ALTER TABLE t ADD PRIMARY KEY (id)", "GRANT SELECT ON t TO reader", "COMMENT ON TABLE t IS 'x'",
        "ALTER TABLE t ADD COLUMN a int, DROP COLUMN b",
    ])
    func notInvertible(statement: String) throws {
        guard case .unsupported(let reason) = try inverse(statement) else {
            Issue.record("\(statement) must be unsupported")
            return
        }
        #expect(!reason.isEmpty)
    }

    @Test func downSectionIsUsedWhenPresent() throws {
        let file = try parsedFile("-- migrate:up\nCREATE TABLE IF NOT EXISTS t (a int);\n-- migrate:down\nDROP TABLE IF EXISTS t;\n", name: "20250101000000_create_t.sql")
        let scaffold = RollbackScaffold.make(for: file, now: Date(timeIntervalSince1970: 1_750_000_000))
        #expect(scaffold.source == .downSection)
        #expect(scaffold.filename == "20250615150640_rollback_create_t.sql")
        #expect(scaffold.sql == "-- Rollback of 20250101000000_create_t.sql\n-- migrate:up\nDROP TABLE IF EXISTS t;\n")
    }

    /// "extensions stay": a down section of comments alone says nothing is to be undone.
    @Test func aDownSectionOfCommentsIsTheFilesOwnAnswer() throws {
        let file = try parsedFile("-- migrate:up\nCREATE EXTENSION IF NOT EXISTS pgcrypto;\n-- migrate:down\n-- extensions stay\n", name: "20250101000000_ext.sql")
        let scaffold = RollbackScaffold.make(for: file)
        #expect(scaffold.source == .downSection)
        #expect(!scaffold.sql.contains("DROP EXTENSION"))
        #expect(scaffold.sql.contains("-- extensions stay"))
    }

    @Test func generatedScaffoldReversesOrderAndKeepsTodos() throws {
        let file = try parsedFile("""
            CREATE TABLE IF NOT EXISTS t (a int);
            INSERT INTO t VALUES (1);
            CREATE INDEX IF NOT EXISTS t_a ON t (a);
            """, name: "20250101000000_seed.sql")
        let scaffold = RollbackScaffold.make(for: file)
        #expect(scaffold.source == .generated)
        let todos = scaffold.unsupported.filter { $0.reason != RollbackScaffold.ifNotExistsReason }
        #expect(todos.map(\.line) == [2])
        #expect(todos.first?.statement == "INSERT INTO t VALUES (1)")
        let index = try #require(scaffold.sql.range(of: "DROP INDEX IF EXISTS t_a;"))
        let todo = try #require(scaffold.sql.range(of: "--   INSERT INTO t VALUES (1)"))
        let table = try #require(scaffold.sql.range(of: "DROP TABLE IF EXISTS t;"))
        #expect(index.lowerBound < todo.lowerBound && todo.lowerBound < table.lowerBound)
    }

    /// `CREATE TABLE IF NOT EXISTS t` may have found `t` there already:
    /// dropping it could drop what the migration never created.
    @Test func statementsGuardedByIfNotExistsAreFlagged() throws {
        let file = try parsedFile("""
            CREATE TABLE IF NOT EXISTS t (a int);
            CREATE TABLE u (a int);
            ALTER TABLE u ADD COLUMN IF NOT EXISTS b int;
            CREATE SCHEMA IF NOT EXISTS reports;
            """, name: "20250101000000_guarded.sql")
        let scaffold = RollbackScaffold.make(for: file)
        #expect(scaffold.unsupported.map(\.line).sorted() == [1, 3, 4])
        #expect(scaffold.unsupported.allSatisfy { $0.reason.contains("IF NOT EXISTS") })
        let warning = try #require(scaffold.sql.range(of: "-- WARNING (line 1): created only IF NOT EXISTS"))
        let drop = try #require(scaffold.sql.range(of: "DROP TABLE IF EXISTS t;"))
        #expect(warning.lowerBound < drop.lowerBound)
        #expect(!scaffold.sql.contains("WARNING (line 2)"), "u had no guard: dropping it undoes the migration")
        #expect(scaffold.sql.contains("DROP TABLE IF EXISTS u;"))
    }

    @Test func scaffoldsPassLintWithoutErrors() throws {
        let file = try parsedFile("""
            -- migrate:up transaction:false
            CREATE INDEX CONCURRENTLY IF NOT EXISTS t_a ON t (a);
            """, name: "20250101000000_index.sql")
        let scaffold = RollbackScaffold.make(for: file)
        #expect(scaffold.sql.contains("-- migrate:up transaction:false"))
        let rollback = MigrationFile.parse(fileName: try MigrationFileName(scaffold.filename), bytes: Array(scaffold.sql.utf8), checksum: textChecksum)
        let parsed = try #require(rollback.file, "\(rollback.diagnostics)")
        #expect(!(rollback.diagnostics + Linter.lint(parsed)).hasErrors)

        let mixed = try parsedFile("CREATE TABLE IF NOT EXISTS a (id int);\nUPDATE a SET id = 1;\nALTER TABLE a ADD COLUMN IF NOT EXISTS b int;", name: "20250101000000_mixed.sql")
        let generated = RollbackScaffold.make(for: mixed)
        let reparsed = MigrationFile.parse(fileName: try MigrationFileName(generated.filename), bytes: Array(generated.sql.utf8), checksum: textChecksum)
        let again = try #require(reparsed.file, "\(reparsed.diagnostics)")
        #expect(!(reparsed.diagnostics + Linter.lint(again)).hasErrors)
    }
}
