import Foundation
import Testing
import RailyardTestSupport
import RailyardCore
@testable import RailyardEngine

/// Up, then its rollback scaffold, leaves the schema as it was before up.
@Suite("Rollback scaffolds against a real PostgreSQL")
struct ScaffoldRoundTripTests {
    static let everyInvertibleKind = """
        CREATE SCHEMA IF NOT EXISTS reporting;
        CREATE EXTENSION IF NOT EXISTS citext;
        CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
        CREATE SEQUENCE IF NOT EXISTS invoice_numbers START 1000;
        CREATE TABLE IF NOT EXISTS invoices (id int PRIMARY KEY, number int, user_id int, state mood);
        ALTER TABLE users ADD COLUMN IF NOT EXISTS nickname citext;
        ALTER TABLE users ADD COLUMN IF NOT EXISTS logins int NOT NULL DEFAULT 0, ADD COLUMN IF NOT EXISTS plan text;
        ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;
        ALTER TABLE orders ADD CONSTRAINT orders_id_check CHECK (id > 0);
        CREATE INDEX IF NOT EXISTS invoices_user_idx ON invoices (user_id);
        CREATE VIEW reporting.active_users AS SELECT id, name FROM users;
        CREATE MATERIALIZED VIEW IF NOT EXISTS reporting.user_counts AS SELECT count(*) AS n FROM users;
        CREATE FUNCTION invoice_label(inv invoices, prefix text DEFAULT 'INV-') RETURNS text LANGUAGE sql AS $$ SELECT prefix || inv.number $$;
        CREATE FUNCTION invoices_guard() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
        CREATE TRIGGER invoices_guard BEFORE INSERT ON invoices FOR EACH ROW EXECUTE FUNCTION invoices_guard();
        CREATE PROCEDURE archive_invoices(IN days int DEFAULT 30) LANGUAGE sql AS $$ SELECT 1 $$;
        ALTER TABLE orders RENAME COLUMN user_id TO customer_id;
        ALTER TABLE orders RENAME CONSTRAINT orders_id_check TO orders_positive_id;
        ALTER TABLE orders RENAME TO purchases;
        ALTER INDEX invoices_user_idx RENAME TO invoices_customer_idx;
        """

    func schemaDump(_ database: TestDatabase) throws -> String {
        let pgBin = ProcessInfo.processInfo.environment["RAILYARD_TEST_PG_BIN"] ?? "/usr/lib/postgresql/15/bin"
        let result = try Subprocess.run(pgBin + "/pg_dump", ["--schema-only", "--no-owner", "--exclude-table=public.railyard_*",
                                                            "--dbname=\(database.conninfo)"])
        try #require(result.status == 0, "pg_dump: \(result.stderr)")
        // pg_dump's \restrict lines carry a random key per dump.
        return result.stdout.split(separator: "\n", omittingEmptySubsequences: false)
            .filter { !$0.hasPrefix("\\restrict") && !$0.hasPrefix("\\unrestrict") }
            .joined(separator: "\n")
    }

    @Test func upThenScaffoldRestoresTheSchema() throws {
        let database = try TestDatabase.create()
        let folder = try MigrationFolder([
            "1_base.sql": "CREATE TABLE IF NOT EXISTS users (id int PRIMARY KEY, name text);\nCREATE TABLE IF NOT EXISTS orders (id int, user_id int);",
        ])
        #expect(try database.migrator(folder).migrate().status == .succeeded)
        let before = try schemaDump(database)

        try folder.write("2_everything.sql", Self.everyInvertibleKind)
        try folder.write("3_concurrent.sql", "-- migrate:up transaction:false\nCREATE INDEX CONCURRENTLY IF NOT EXISTS users_name_idx ON users (name);")
        let up = try database.migrator(folder).migrate()
        #expect(up.status == .succeeded, "\(String(describing: up.error))")
        #expect(try schemaDump(database) != before)

        let catalog = try database.migrator(folder).loadCatalog()
        let concurrent = RollbackScaffold.make(for: try #require(catalog.file("3").found))
        let everything = RollbackScaffold.make(for: try #require(catalog.file("2").found))
        #expect(everything.source == .generated)
        #expect(everything.unsupported.allSatisfy { $0.reason == RollbackScaffold.ifNotExistsReason }, "\(everything.unsupported)")
        #expect(concurrent.sql.contains("transaction:false"))
        try folder.write("4_rollback_concurrent.sql", concurrent.sql)
        try folder.write("5_rollback_everything.sql", everything.sql)
        let down = try database.migrator(folder).migrate()
        #expect(down.status == .succeeded, "\(String(describing: down.error))\n\(everything.sql)")

        let after = try schemaDump(database)
        #expect(after == before, "schema differs after up + scaffold:\n\(everything.sql)")
    }
}
