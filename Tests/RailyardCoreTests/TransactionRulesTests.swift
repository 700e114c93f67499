import Testing
@testable import RailyardCore

@Suite("Transaction control and non-transactional statements")
struct TransactionRulesTests {
    @Test func wrappedFileIsOneMigration() throws {
        let file = try parsedFile("BEGIN;\nUPDATE t SET a = 1;\nUPDATE t SET b = 2;\nCOMMIT;\n")
        #expect(file.isWrappedInTransaction)
        #expect(file.executableStatements.count == 2)
    }

    @Test(arguments: ["START TRANSACTION;\nSELECT 1;\nEND;", "begin work;\nSELECT 1;\ncommit work;", "BEGIN ISOLATION LEVEL SERIALIZABLE;\nSELECT 1;\nCOMMIT;"])
    func wrapperSpellings(sql: String) throws {
        #expect(try parsedFile(sql).isWrappedInTransaction)
    }

    @Test func commitInTheMiddleIsRefusedWithItsLine() throws {
        let found = try errors("CREATE TABLE a (id int);\nCOMMIT;\nCREATE TABLE b (id int);")
        #expect(found.map(\.rule) == ["transaction-control"])
        #expect(found[0].line == 2)
    }

    @Test func beginWithoutCommitIsRefused() throws {
        let found = try errors("BEGIN;\nCREATE TABLE a (id int);")
        #expect(found.map(\.rule) == ["transaction-control"])
        #expect(found[0].line == 1)
    }

    @Test(arguments: ["ROLLBACK;", "ABORT;", "PREPARE TRANSACTION 'x';", "END;", "BEGIN;"])
    func otherControlInTheMiddle(statement: String) throws {
        let found = try errors("SELECT 1;\n\(statement)\nSELECT 2;")
        #expect(found.map(\.rule) == ["transaction-control"])
        #expect(found.first?.line == 2)
    }

    @Test func savepointsMustBeDeclared() throws {
        #expect(try errors("SAVEPOINT s1;\nSELECT 1;\nROLLBACK TO SAVEPOINT s1;\nRELEASE s1;").isEmpty)
        let misuse = try errors("SELECT 1;\nRELEASE SAVEPOINT nope;")
        #expect(misuse.map(\.rule) == ["transaction-control"])
        #expect(misuse[0].line == 2)
        #expect(try errors("SAVEPOINT a;\nRELEASE a;\nROLLBACK TO a;").count == 1)
    }

    @Test func controlInANonTransactionalFileIsRefused() throws {
        let found = try errors("-- migrate:up transaction:false\nBEGIN;\nCREATE INDEX CONCURRENTLY i ON t (a);\nCOMMIT;")
        #expect(found.map(\.rule) == ["transaction-control", "transaction-control"])
    }

    @Test(arguments: [
        "CREATE INDEX CONCURRENTLY i ON t (a)",
        "create unique index concurrently i on t (a)",
        "DROP INDEX CONCURRENTLY i",
        "REINDEX INDEX CONCURRENTLY i",
        "REINDEX (VERBOSE) TABLE CONCURRENTLY t",
        "REINDEX DATABASE app",
        "ALTER TABLE p DETACH PARTITION c CONCURRENTLY",
        "VACUUM",
        "VACUUM (ANALYZE) t",
        "CREATE DATABASE other",
        "DROP DATABASE other",
        "CREATE TABLESPACE ts LOCATION '/x'",
        "DROP TABLESPACE ts",
        "ALTER SYSTEM SET work_mem = '8MB'",
        "CLUSTER",
        "CLUSTER VERBOSE",
        "DISCARD ALL",
        "CREATE SUBSCRIPTION s CONNECTION 'x' PUBLICATION p",
        "ALTER SUBSCRIPTION s REFRESH PUBLICATION",
        "DROP SUBSCRIPTION s",
        "COMMIT PREPARED 'x'",
        "ROLLBACK PREPARED 'x'",
        "ALTER DATABASE app SET TABLESPACE ts",
    ])
    func nonTransactionalStatementsAreRefusedInTransactionalFiles(statement: String) throws {
        let found = try errors("SELECT 1;\n\(statement);")
        #expect(found.map(\.rule) == ["non-transactional-statement"], "\(statement)")
        #expect(found.first?.line == 2)
        #expect(found.first?.hint?.contains("transaction:false") == true)
    }

    @Test(arguments: [
        "CREATE INDEX i ON t (concurrently)",
        "CREATE TABLE vacuum_log (id int)",
        "INSERT INTO t VALUES ('VACUUM')",
        "COMMENT ON TABLE t IS 'CREATE INDEX CONCURRENTLY'",
        "CLUSTER t USING t_pkey",
        "CLUSTER VERBOSE t",
        "DISCARD PLANS",
        "REINDEX TABLE t",
        "ALTER TABLE p DETACH PARTITION c",
        "ALTER DATABASE app SET work_mem = '8MB'",
        "CREATE FUNCTION f() RETURNS void LANGUAGE sql AS $$ VACUUM $$",
        "SELECT 'COMMIT'",
        "DO $$ BEGIN COMMIT; END $$",
        "PREPARE stmt AS SELECT 1",
    ])
    func nearMissesAreAllowed(statement: String) throws {
        #expect(try errors("SELECT 1;\n\(statement);").isEmpty, "\(statement)")
    }

    @Test func nonTransactionalStatementsAreFineWhenMarked() throws {
        #expect(try errors("-- migrate:up transaction:false\nCREATE INDEX CONCURRENTLY i ON t (a);\nVACUUM t;").isEmpty)
    }
}
