import Foundation
import RailyardCore
import PostgresClient

extension Migrator {
    /// Replays the folder from nothing on a shadow database, checking each
    /// migration as it goes (see `Verifier`), then compares the schema it
    /// built with the committed schema file. `progress` hears each file's findings.
    public func verify(_ options: VerifyOptions, progress: @escaping (String, [VerifyReport.Finding]) -> Void = { _, _ in },
                       log: @escaping (String) -> Void = { _ in }) throws -> VerifyReport {
        let started = Date()
        let catalog = try loadCatalog()
        if catalog.hasErrors { throw EngineError.invalidMigrations(catalog.diagnostics) }
        let shadow = try ShadowDatabase.start(url: options.shadowURL, log: log)
        defer { shadow.close() }
        let connection = try shadow.connect()
        defer { connection.close() }
        var verifier = Verifier(connection: connection, dumper: SchemaDumper(configuration: configuration), strict: options.strict)
        let replayed = try verifier.replay(catalog.files, progress: progress)
        var findings = verifier.findings
        if replayed == catalog.files.count {
            findings += try compareWithSchemaFile(verifier.schema, writing: options.writeSchemaFile)
        }
        return VerifyReport(shadow: shadow.description, migrations: catalog.files.count, replayed: replayed, findings: findings,
                            schemaFile: configuration.schemaFileURL.path,
                            milliseconds: MigrationRunner.milliseconds(since: started))
    }

    private func compareWithSchemaFile(_ replayed: SchemaFile, writing: Bool) throws -> [VerifyReport.Finding] {
        let path = configuration.schemaFileURL.path
        if writing {
            try writeSchemaFile(replayed)
            return [.init(check: .schemaFile, severity: .info, filename: path, message: "wrote the replayed schema to \(path)")]
        }
        guard let committed = try committedSchema() else {
            return [.init(check: .schemaFile, severity: .warning, filename: path,
                          message: "there is no schema file at \(path) to check: verify --write-schema (or dump) writes it")]
        }
        let drift = SchemaDrift.compare(expected: committed, actual: replayed, expectedLabel: configuration.schemaFileURL.lastPathComponent,
                                        actualLabel: "replayed migrations")
        guard !drift.isEmpty else { return [] }
        return [.init(check: .schemaFile, severity: .error, filename: path,
                      message: "the schema file does not match the schema the migrations build (\(Verifier.names(drift))): "
                        + "a migration changed without refreshing it, or the other way round; verify --write-schema refreshes it",
                      diff: drift.objectDiffs)]
    }
}

/// Applies migrations one by one on a shadow connection and checks each:
/// its up section applied again (in a transaction that is rolled back) must
/// succeed and change nothing; its down section, or the generated rollback
/// scaffold when it has none, must give back the schema from before it.
struct Verifier {
    let connection: PostgresConnection
    let dumper: SchemaDumper
    let strict: Bool
    private(set) var findings: [VerifyReport.Finding] = []
    /// The schema after the last migration applied.
    private(set) var schema = SchemaFile(objects: [])

    init(connection: PostgresConnection, dumper: SchemaDumper, strict: Bool) {
        self.connection = connection
        self.dumper = dumper
        self.strict = strict
    }

    /// Applies `files` in order; returns how many applied (a failure stops the replay).
    mutating func replay(_ files: [MigrationFile], progress: (String, [VerifyReport.Finding]) -> Void) throws -> Int {
        schema = try dumper.dump(connection)
        for (index, file) in files.enumerated() {
            let before = findings.count
            let applied = try check(file)
            progress(file.filename, Array(findings[before...]))
            if !applied { return index }
        }
        return files.count
    }

    /// One migration: false when it failed to apply.
    private mutating func check(_ file: MigrationFile) throws -> Bool {
        defer { _ = try? connection.execute("RESET ALL") }
        guard file.transactional else {
            if let failure = execute(Array(file.executableStatements), of: file) {
                findings.append(finding(.replay, .error, failure, file: file, prefix: "fails on an empty database"))
                return false
            }
            schema = try dumper.dump(connection)
            findings.append(.init(check: .rerun, severity: .info, filename: file.filename,
                                  message: "runs outside a transaction: its re-run and down checks are skipped"))
            return true
        }
        let before = schema
        try sql("BEGIN")
        if let failure = execute(Array(file.executableStatements), of: file) {
            _ = try? connection.execute("ROLLBACK")
            findings.append(finding(.replay, .error, failure, file: file, prefix: "fails on an empty database"))
            return false
        }
        let after = try dumper.dumpInTransaction(connection)
        try checkRerun(file, after: after)
        try checkDown(file, before: before)
        try sql("COMMIT")
        schema = after
        return true
    }

    private mutating func checkRerun(_ file: MigrationFile, after: SchemaFile) throws {
        let severity: Diagnostic.Severity = strict ? .error : .warning
        try Self.withRollback(connection, "railyard_rerun") {
            if let failure = execute(Array(file.executableStatements), of: file) {
                findings.append(finding(.rerun, severity, failure, file: file, prefix: "not safe to re-run"))
                return
            }
            let again = try dumper.dumpInTransaction(connection)
            let drift = SchemaDrift.compare(expected: after, actual: again, expectedLabel: "after up", actualLabel: "after up again")
            if !drift.isEmpty {
                findings.append(.init(check: .rerun, severity: severity, filename: file.filename,
                                      message: "not safe to re-run: applying it again changes \(Self.names(drift))", diff: drift.objectDiffs))
            }
        }
    }

    private mutating func checkDown(_ file: MigrationFile, before: SchemaFile) throws {
        let statements: [SQLStatement]
        let source: SourceText
        let generated: Bool
        if let down = file.down {
            guard !down.statements.isEmpty else { return }  // only comments: nothing is to be undone
            (statements, source, generated) = (down.statements, file.source, false)
        } else {
            let scaffold = RollbackScaffold.make(for: file)
            guard let name = try? MigrationFileName(scaffold.filename),
                  let parsed = MigrationFile.parse(fileName: name, bytes: Array(scaffold.sql.utf8), checksum: SHA256.hex).file
            else { return }
            (statements, source, generated) = (Array(parsed.executableStatements), parsed.source, true)
        }
        let what = generated ? "its generated rollback scaffold (it has no down section)" : "its down section"
        if statements.contains(where: { NonTransactionalStatement.kind(of: $0, source: source) != nil }) {
            findings.append(.init(check: .down, severity: .info, filename: file.filename,
                                  message: "\(what) runs outside a transaction (CONCURRENTLY or the like): its round trip is not checked"))
            return
        }
        let severity: Diagnostic.Severity = generated ? .warning : .error
        try Self.withRollback(connection, "railyard_down") {
            if let failure = execute(statements, source: source) {
                if generated {
                    findings.append(.init(check: .down, severity: severity, filename: file.filename, sqlstate: failure.error.sqlstate,
                                          message: "\(what) fails: \(failure.error.message) (in: \(RunFailure.excerpt(source.text(failure.statement.range))))"))
                } else {
                    findings.append(finding(.down, severity, failure, file: file, prefix: "\(what) fails"))
                }
                return
            }
            let back = try dumper.dumpInTransaction(connection)
            let drift = SchemaDrift.compare(expected: before, actual: back, expectedLabel: "before up", actualLabel: "after up and down")
            if !drift.isEmpty {
                findings.append(.init(check: .down, severity: severity, filename: file.filename,
                                      message: "\(what) does not undo up: \(Self.names(drift)) differ from before", diff: drift.objectDiffs))
            }
        }
    }

    /// Runs `body` after a savepoint and rolls back to it, whatever happened.
    private static func withRollback(_ connection: PostgresConnection, _ savepoint: String, _ body: () throws -> Void) throws {
        try sql(connection, "SAVEPOINT \(savepoint)")
        try body()
        try sql(connection, "ROLLBACK TO SAVEPOINT \(savepoint)")
        try sql(connection, "RELEASE SAVEPOINT \(savepoint)")
    }

    typealias Failure = (error: PostgresError, index: Int, statement: SQLStatement)

    private func execute(_ statements: [SQLStatement], of file: MigrationFile) -> Failure? {
        execute(statements, source: file.source)
    }

    private func execute(_ statements: [SQLStatement], source: SourceText) -> Failure? {
        for (index, statement) in statements.enumerated() {
            do {
                let text = source.text(statement.range)
                if let data = statement.copyData {
                    try connection.copyIn(text, data: source.bytes[data])
                } else {
                    try connection.execute(text)
                }
            } catch {
                return (error, index, statement)
            }
        }
        _ = connection.drainNotices()
        return nil
    }

    private func finding(_ check: VerifyReport.Check, _ severity: Diagnostic.Severity, _ failure: Failure, file: MigrationFile,
                         prefix: String) -> VerifyReport.Finding {
        let described = RunFailure(file: file, statementIndex: failure.index, statement: failure.statement, error: failure.error)
        return .init(check: check, severity: severity, filename: file.filename, line: described.line, column: described.column,
                     sqlstate: described.sqlstate, message: "\(prefix): \(described.message)"
                        + (described.statement.map { " (in: \($0))" } ?? ""))
    }

    private func sql(_ text: String) throws {
        try Self.sql(connection, text)
    }

    private static func sql(_ connection: PostgresConnection, _ text: String) throws {
        do {
            try connection.execute(text)
        } catch {
            throw EngineError.database(context: "verifying on the shadow database", error)
        }
    }

    /// "table public.users and index public.users_email_idx".
    static func names(_ drift: SchemaDrift) -> String {
        let names = drift.objects.map { "\($0.kind) \($0.name)" }
        return names.count <= 1 ? names.joined() : names.dropLast().joined(separator: ", ") + " and " + names.last!
    }
}
