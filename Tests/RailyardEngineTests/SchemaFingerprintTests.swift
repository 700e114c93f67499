import Foundation
import Testing
import PostgresClient
@testable import RailyardEngine
import RailyardTestSupport

/// `status` reuses a drift count while the schema fingerprint stays: it must
/// change with every kind of DDL a dump shows, and stay through data
/// changes and maintenance, or the reuse would be either wrong or useless.
@Suite("Schema fingerprint")
struct SchemaFingerprintTests {
    static let setUp = """
        CREATE TYPE mood AS ENUM ('ok');
        CREATE TABLE clients (id int PRIMARY KEY, name text DEFAULT 'a', mood mood);
        CREATE SEQUENCE counter;
        CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
        CREATE VIEW client_names AS SELECT name FROM clients;
        """

    static let changes = [
        "CREATE TABLE other (id int)",
        "ALTER TABLE clients ADD COLUMN note text",
        "ALTER TABLE clients ALTER COLUMN name SET DEFAULT 'b'",
        "ALTER TABLE clients ALTER COLUMN name SET NOT NULL",
        "ALTER TABLE clients RENAME COLUMN name TO full_name",
        "CREATE INDEX clients_name_idx ON clients (name)",
        "ALTER TABLE clients ADD CONSTRAINT name_set CHECK (name <> '')",
        "COMMENT ON TABLE clients IS 'who pays'",
        "COMMENT ON COLUMN clients.name IS 'as printed'",
        "CREATE OR REPLACE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$",
        "CREATE TRIGGER clients_touch BEFORE UPDATE ON clients FOR EACH ROW EXECUTE FUNCTION touch()",
        "CREATE OR REPLACE VIEW client_names AS SELECT name, id FROM clients",
        "ALTER TYPE mood ADD VALUE 'sad'",
        "ALTER SEQUENCE counter INCREMENT BY 5",
        "ALTER SEQUENCE counter OWNED BY clients.id",
        "ALTER TABLE clients ENABLE ROW LEVEL SECURITY",
        "CREATE POLICY mine ON clients USING (id > 0)",
        "CREATE SCHEMA billing",
        "DROP VIEW client_names",
    ]

    @Test(arguments: changes)
    func everyKindOfDDLChangesIt(_ change: String) throws {
        let database = try TestDatabase.create()
        try database.execute(Self.setUp)
        let connection = try database.connect()
        defer { connection.close() }
        let before = try SchemaFingerprint.read(connection)
        try database.execute(change)
        #expect(try SchemaFingerprint.read(connection) != before, "\(change)")
    }

    @Test func dataChangesAndMaintenanceLeaveIt() throws {
        let database = try TestDatabase.create()
        try database.execute(Self.setUp)
        let connection = try database.connect()
        defer { connection.close() }
        let before = try SchemaFingerprint.read(connection)
        try database.execute("INSERT INTO clients (id) SELECT generate_series(1, 500); UPDATE clients SET name = 'z'; SELECT nextval('counter')")
        try database.execute("ANALYZE clients")
        try database.execute("VACUUM clients")
        #expect(try SchemaFingerprint.read(connection) == before)
        #expect(before.hasPrefix(try database.execute("SELECT current_database()").scalar ?? "?"))
    }
}
