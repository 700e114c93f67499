import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import RailyardCore

func lintRules(_ sql: String) throws -> [String] {
    Linter.lint(try parsedFile(sql)).map(\.rule)
}

@Suite("Lint rules: a hit and a near miss each")
struct LinterTests {
    @Test func createTableWithoutIfNotExists() throws {
        #expect(try lintRules("CREATE TABLE users (id int);") == ["create-table-if-not-exists"])
        #expect(try lintRules("CREATE TABLE IF NOT EXISTS users (id int);").isEmpty)
    }

    @Test func createIndexWithoutIfNotExists() throws {
        #expect(try lintRules("CREATE TABLE IF NOT EXISTS t (a int);\nCREATE INDEX t_a ON t (a);") == ["create-index-if-not-exists"])
        #expect(try lintRules("CREATE TABLE IF NOT EXISTS t (a int);\nCREATE INDEX IF NOT EXISTS t_a ON t (a);").isEmpty)
    }

    @Test func addColumnWithoutIfNotExists() throws {
        #expect(try lintRules("ALTER TABLE users ADD COLUMN email text;") == ["add-column-if-not-exists"])
        #expect(try lintRules("ALTER TABLE users ADD COLUMN IF NOT EXISTS email text;").isEmpty)
        #expect(try lintRules("ALTER TABLE users ADD email text;") == ["add-column-if-not-exists"], "COLUMN is optional")
    }

    @Test func indexWithoutConcurrentlyOnAnExistingTable() throws {
        let hit = try parsedFile("SELECT 1;\nCREATE INDEX IF NOT EXISTS users_email ON public.users (email);")
        let finding = try #require(Linter.lint(hit).first)
        #expect(finding.rule == "index-without-concurrently")
        #expect((finding.line, finding.column, finding.severity) == (2, 1, .warning))
        #expect(finding.hint?.contains("CONCURRENTLY") == true)
        // Near misses: a table created earlier in the same migration, and CONCURRENTLY.
        #expect(try lintRules("CREATE TABLE IF NOT EXISTS Users (email text);\nCREATE INDEX IF NOT EXISTS users_email ON users (email);").isEmpty)
        #expect(try lintRules("-- migrate:up transaction:false\nCREATE INDEX CONCURRENTLY IF NOT EXISTS users_email ON users (email);").isEmpty)
    }

    @Test func indexOnATableCreatedLaterStillCounts() throws {
        #expect(try lintRules("CREATE INDEX IF NOT EXISTS t_a ON t (a);\nCREATE TABLE IF NOT EXISTS t (a int);") == ["index-without-concurrently"])
    }

    @Test func notNullColumnWithoutDefault() throws {
        let findings = Linter.lint(try parsedFile("ALTER TABLE users ADD COLUMN IF NOT EXISTS plan text NOT NULL;"))
        #expect(findings.map(\.rule) == ["not-null-column-without-default"])
        #expect(findings.first?.severity == .error)
        #expect(try lintRules("ALTER TABLE users ADD COLUMN IF NOT EXISTS plan text NOT NULL DEFAULT 'free';").isEmpty)
        #expect(try lintRules("ALTER TABLE users ADD COLUMN IF NOT EXISTS id2 bigint GENERATED ALWAYS AS IDENTITY NOT NULL;").isEmpty)
        #expect(try lintRules("ALTER TABLE users ADD COLUMN IF NOT EXISTS note text CHECK (note IS NOT NULL OR true);").isEmpty, "NOT NULL inside a CHECK is not the column's")
        #expect(try lintRules("CREATE TABLE IF NOT EXISTS fresh (id int);\nALTER TABLE fresh ADD COLUMN IF NOT EXISTS plan text NOT NULL;").isEmpty, "new tables are empty")
        #expect(try lintRules("ALTER TABLE users ADD COLUMN IF NOT EXISTS code text PRIMARY KEY;") == ["not-null-column-without-default"])
    }

    @Test func columnTypeChange() throws {
        #expect(try lintRules("ALTER TABLE users ALTER COLUMN id TYPE bigint;") == ["column-type-change"])
        #expect(try lintRules("ALTER TABLE users ALTER id SET DATA TYPE bigint;") == ["column-type-change"])
        #expect(try lintRules("ALTER TABLE users ALTER COLUMN id SET DEFAULT 0;").isEmpty)
        #expect(try lintRules("ALTER TABLE users ALTER COLUMN type SET NOT NULL;").isEmpty, "a column named type")
    }

    @Test func dropTableAndDropColumn() throws {
        #expect(try lintRules("DROP TABLE IF EXISTS old_users;") == ["drop-table"])
        #expect(try lintRules("ALTER TABLE users DROP COLUMN IF EXISTS legacy;") == ["drop-column"])
        #expect(try lintRules("DROP INDEX IF EXISTS users_email;").isEmpty)
        #expect(try lintRules("ALTER TABLE users DROP CONSTRAINT IF EXISTS users_check;").isEmpty)
        #expect(try lintRules("DROP TRIGGER IF EXISTS t ON users;").isEmpty)
    }

    @Test func foreignKeyWithoutNotValid() throws {
        #expect(try lintRules("ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id);") == ["foreign-key-without-not-valid"])
        #expect(try lintRules("ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;").isEmpty)
        #expect(try lintRules("ALTER TABLE orders ADD CONSTRAINT orders_total_check CHECK (total >= 0);").isEmpty)
        #expect(try lintRules("CREATE TABLE IF NOT EXISTS orders (user_id int);\nALTER TABLE orders ADD CONSTRAINT fk FOREIGN KEY (user_id) REFERENCES users (id);").isEmpty)
    }

    @Test func severalActionsInOneAlterTable() throws {
        let findings = Linter.lint(try parsedFile("ALTER TABLE users\n  ADD COLUMN a text,\n  DROP COLUMN b,\n  ALTER COLUMN c TYPE int;"))
        #expect(findings.map(\.rule) == ["add-column-if-not-exists", "drop-column", "column-type-change"])
        #expect(findings.map(\.line) == [2, 3, 4])
    }

    @Test func ignoreDirectiveSilencesNamedRules() throws {
        #expect(try lintRules("-- railyard:ignore=drop-table, drop-column\nDROP TABLE old;\nALTER TABLE t DROP COLUMN c;").isEmpty)
        #expect(try errors("-- railyard:ignore=no-such-rule\nSELECT 1;").map(\.rule) == ["directive"])
    }

    @Test func onlyTheUpSectionIsLinted() throws {
        #expect(try lintRules("-- migrate:up\nCREATE TABLE IF NOT EXISTS t (a int);\n-- migrate:down\nDROP TABLE t;").isEmpty)
    }

    @Test func everyRuleHasAHintAndAStableId() {
        for rule in LintRule.allCases {
            #expect(!rule.hint.isEmpty)
            #expect(rule.rawValue.range(of: "^[a-z-]+$", options: .regularExpression) != nil)
        }
    }
}

@Suite("Catalogs kept without statements")
struct SlimCatalogTests {
    static let files = [
        ("20250101000000_users.sql", "-- migrate:up\nCREATE TABLE users (id int);\nALTER TABLE users ADD COLUMN email text;\n-- migrate:down\nDROP TABLE users;\n"),
        ("20250101000100_index.sql", "CREATE INDEX IF NOT EXISTS users_email ON users (email);\n"),
        ("20250101000200_bad name.sql", "SELECT 1;\n"),
    ]

    static func slim(_ catalog: MigrationCatalog) -> MigrationCatalog {
        var slim = catalog
        slim.files = catalog.files.map { $0.withoutStatements() }
        return slim
    }

    @Test func droppingStatementsKeepsWhatAListingNeedsAndReparsingRestoresThem() throws {
        let catalog = MigrationCatalog.from(files: Self.files, checksum: { _ in "sum" })
        let slim = Self.slim(catalog)
        #expect(slim.files.count == 2)
        for (full, kept) in zip(catalog.files, slim.files) {
            #expect(kept.up.statements.isEmpty && (kept.down?.statements.isEmpty ?? true))
            #expect((kept.version, kept.filename, kept.checksum, kept.transactional, kept.upText, kept.downText)
                    == (full.version, full.filename, full.checksum, full.transactional, full.upText, full.downText))
            let back = kept.reparsed()
            #expect(back.up.statements == full.up.statements)
            #expect(back.down?.statements == full.down?.statements)
            #expect(back.checksum == full.checksum)
        }
    }

    @Test func oneFilesFindingsAreTheCatalogsFindingsForIt() throws {
        let catalog = MigrationCatalog.from(files: Self.files, checksum: { _ in "sum" })
        let slim = Self.slim(catalog)
        for file in slim.files {
            let alone = slim.lintFindings(of: file.reparsed(), named: file.filename)
            let together = catalog.lintFindings().filter { $0.file == file.filename }
            #expect(alone.map(\.rule) == together.map(\.rule))
            #expect(alone.map(\.line) == together.map(\.line))
            #expect(!alone.isEmpty)
        }
        #expect(slim.lintFindings(of: nil, named: "20250101000200_bad name.sql").map(\.rule) == ["file-name"])
    }

    @Test func aFolderLoadedWithoutStatementsMatchesOneLoadedWithThem() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("railyard-slim-\(UInt64.random(in: 0...UInt64.max))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        for index in 0..<300 {  // enough files for the parse to use every core
            try "CREATE TABLE IF NOT EXISTS t\(index) (id int);\n".write(
                to: folder.appendingPathComponent("\(20250101000000 + index)_t\(index).sql"), atomically: true, encoding: .utf8)
        }
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("nested.sql"), withIntermediateDirectories: true)
        // A FIFO would block a reader that waits for a writer: it is skipped like a directory.
        #expect(mkfifo(folder.appendingPathComponent("pipe.sql").path, 0o600) == 0)
        let full = try MigrationCatalog.load(directory: folder, checksum: { String($0.count) })
        let slim = try MigrationCatalog.load(directory: folder, checksum: { String($0.count) }, keepingStatements: false)
        #expect(full.files.map(\.filename) == slim.files.map(\.filename))
        #expect(full.files.map(\.checksum) == slim.files.map(\.checksum))
        #expect(full.files.allSatisfy { $0.up.statements.count == 1 })
        #expect(slim.files.allSatisfy { $0.up.statements.isEmpty && $0.reparsed().up.statements.count == 1 })
        #expect(full.ignored == ["nested.sql", "pipe.sql"] && slim.ignored == ["nested.sql", "pipe.sql"])
    }

    /// Lemmy's 000076: a table emptied in the same migration takes a NOT NULL column.
    @Test func aTableEmptiedEarlierInTheMigrationTakesANotNullColumn() throws {
        for emptying in ["DELETE FROM password_reset_request;", "TRUNCATE password_reset_request;",
                         "TRUNCATE TABLE ONLY public.other, Password_Reset_Request CASCADE;"] {
            let file = try parsedFile(emptying + "\nALTER TABLE password_reset_request ADD COLUMN IF NOT EXISTS local_user_id int NOT NULL;")
            #expect(!Linter.lint(file).contains { $0.rule == "not-null-column-without-default" }, "\(emptying)")
        }
        let partly = try parsedFile("DELETE FROM t WHERE id > 5;\nALTER TABLE t ADD COLUMN IF NOT EXISTS c int NOT NULL;")
        #expect(Linter.lint(partly).contains { $0.rule == "not-null-column-without-default" }, "a DELETE with WHERE leaves rows")
        let later = try parsedFile("ALTER TABLE t ADD COLUMN IF NOT EXISTS c int NOT NULL;\nDELETE FROM t;")
        #expect(Linter.lint(later).contains { $0.rule == "not-null-column-without-default" }, "emptied only afterwards")
    }
}
