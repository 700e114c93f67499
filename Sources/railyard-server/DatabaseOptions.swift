import ArgumentParser
import Foundation
import RailyardCore
import RailyardEngine

/// Where the migrations and the committed schema file are.
struct FolderOptions: ParsableArguments {
    @Option(name: .customLong("dir"), help: "Migrations folder (env MIGRATIONS_DIR; default migrations).")
    var directory: String?

    @Option(name: .customLong("schema-file"), help: "The committed schema file (env RAILYARD_SCHEMA_FILE; default schema.sql next to the migrations folder).")
    var schemaFile: String?

    var resolvedDirectory: URL {
        URL(fileURLWithPath: directory ?? Environment.value("MIGRATIONS_DIR") ?? "migrations")
    }

    var resolvedSchemaFile: URL? {
        (schemaFile ?? Environment.value("RAILYARD_SCHEMA_FILE")).map { URL(fileURLWithPath: $0) }
    }

    /// A configuration of the folders alone (for commands that make their own database).
    func configuration(conninfo: String) -> MigratorConfiguration {
        var configuration = MigratorConfiguration(conninfo: conninfo, directory: resolvedDirectory)
        configuration.schemaFile = resolvedSchemaFile
        return configuration
    }
}

/// Where the migrations and the database are; shared by every command.
struct DatabaseOptions: ParsableArguments {
    @OptionGroup var folders: FolderOptions

    @Option(name: .customLong("database-url"), help: "libpq URI or keyword string (env DATABASE_URL). Unset: the embedded PostgreSQL.")
    var databaseURL: String?

    @Option(help: "Schema of the tracking tables (env RAILYARD_SCHEMA; default public).")
    var schema: String?

    @Option(name: .customLong("state-dir"), help: "Folder for the embedded PostgreSQL and local state (env RAILYARD_STATE_DIR; default .railyard).")
    var stateDirectory: String?

    @Flag(help: "Print machine-readable JSON.")
    var json = false

    func validate() throws {
        if let schema = schema ?? Environment.value("RAILYARD_SCHEMA"), schema.isEmpty {
            throw ValidationError("--schema must not be empty")
        }
    }

    var resolvedSchema: String { schema ?? Environment.value("RAILYARD_SCHEMA") ?? "public" }

    /// Runs `body` with a conninfo: DATABASE_URL, or the embedded cluster,
    /// which is let go of (and stopped when unused) afterwards.
    func withDatabase<T>(_ body: (String) throws -> T) throws -> T {
        if let url = databaseURL ?? Environment.value("DATABASE_URL") {
            return try body(url)
        }
        let state = URL(fileURLWithPath: stateDirectory ?? Environment.value("RAILYARD_STATE_DIR") ?? ".railyard")
        let embedded = EmbeddedDatabase(stateDirectory: state) { Output.info($0) }
        defer { embedded.stop() }
        return try body(try embedded.start())
    }
}

/// The migrate settings of `migrate` and `setup`.
struct MigrateOptions: ParsableArguments {
    @Option(help: "Seconds to wait for another migrator's lock (env RAILYARD_LOCK_WAIT; default 300).")
    var lockWait: Double?

    @Option(help: "lock_timeout per migration, e.g. 10s (env RAILYARD_LOCK_TIMEOUT; default 10s).")
    var lockTimeout: String?

    @Option(help: "statement_timeout per migration, e.g. 5min; 0 is off (env RAILYARD_STATEMENT_TIMEOUT; default 0).")
    var statementTimeout: String?

    @Option(help: "Retries after a lock_timeout failure (env RAILYARD_LOCK_RETRIES; default 3).")
    var lockRetries: Int?

    @Flag(help: "Migrate even if applied migrations were changed or are missing (env RAILYARD_ALLOW_CHANGED=true).")
    var allowChanged = false

    @Flag(help: "Resume migrations that failed partway, transaction:false ones (env RAILYARD_RETRY_FAILED=true).")
    var retryFailed = false

    @Flag(help: "Refuse pending migrations older than the newest applied one (env RAILYARD_STRICT_ORDER=true).")
    var strictOrder = false

    @Flag(help: "Refuse a database ahead of the folder too, as after redeploying an older version (env RAILYARD_STRICT=true).")
    var strict = false

    func validate() throws {
        _ = try settings()
    }

    struct Settings {
        var lockWait: Double
        var lockTimeout: Int
        var statementTimeout: Int
        var lockRetries: Int
        var allowChanged = false
        var retryFailed = false
        var strictOrder = false
        var strict = false

        func request(_ origin: RunOrigin, target: String? = nil, dryRun: Bool = false) -> MigrateRequest {
            var request = MigrateRequest(target: target, dryRun: dryRun, allowChanged: allowChanged, retryFailed: retryFailed,
                                         strictOrder: strictOrder, origin: origin)
            request.strict = strict
            return request
        }
    }

    func settings() throws -> Settings {
        let wait = try lockWait ?? Environment.value("RAILYARD_LOCK_WAIT").map { text in
            guard let value = Double(text) else { throw ValidationError("RAILYARD_LOCK_WAIT must be seconds, not '\(text)'") }
            return value
        } ?? 300
        guard wait >= 0 else { throw ValidationError("--lock-wait must not be negative") }
        let retries = try lockRetries ?? Environment.value("RAILYARD_LOCK_RETRIES").map { text in
            guard let value = Int(text) else { throw ValidationError("RAILYARD_LOCK_RETRIES must be a number, not '\(text)'") }
            return value
        } ?? 3
        guard (0...20).contains(retries) else { throw ValidationError("--lock-retries must be between 0 and 20") }
        return Settings(
            lockWait: wait,
            lockTimeout: try duration(lockTimeout, env: "RAILYARD_LOCK_TIMEOUT", flag: "--lock-timeout", default: 10_000),
            statementTimeout: try duration(statementTimeout, env: "RAILYARD_STATEMENT_TIMEOUT", flag: "--statement-timeout", default: 0),
            lockRetries: retries,
            allowChanged: try allowChanged || Environment.flag("RAILYARD_ALLOW_CHANGED"),
            retryFailed: try retryFailed || Environment.flag("RAILYARD_RETRY_FAILED"),
            strictOrder: try strictOrder || Environment.flag("RAILYARD_STRICT_ORDER"),
            strict: try strict || Environment.flag("RAILYARD_STRICT"))
    }

    private func duration(_ flag: String?, env: String, flag name: String, default value: Int) throws -> Int {
        guard let text = flag ?? Environment.value(env) else { return value }
        guard let milliseconds = TimeoutValue.milliseconds(text) else {
            throw ValidationError("\(name) (\(env)) must be a duration such as 500ms, 10s or 2min, not '\(text)'")
        }
        return milliseconds
    }
}

enum Environment {
    /// A non-empty environment variable.
    static func value(_ name: String) -> String? {
        // getenv, not ProcessInfo's environment, which copies every variable on each call.
        guard let value = getenv(name).map({ String(cString: $0) }), !value.isEmpty else { return nil }
        return value
    }

    /// A boolean variable: true/false, 1/0, yes/no, on/off; unset is false.
    static func flag(_ name: String) throws -> Bool {
        guard let text = value(name) else { return false }
        switch text.lowercased() {
        case "1", "true", "yes", "on": return true
        case "0", "false", "no", "off": return false
        default: throw ValidationError("\(name) must be true or false, not '\(text)'")
        }
    }
}

extension DatabaseOptions {
    func configuration(conninfo: String, migrate: MigrateOptions.Settings? = nil) -> MigratorConfiguration {
        var configuration = folders.configuration(conninfo: conninfo)
        configuration.schema = resolvedSchema
        if let migrate {
            configuration.lockWaitSeconds = migrate.lockWait
            configuration.lockTimeoutMilliseconds = migrate.lockTimeout
            configuration.statementTimeoutMilliseconds = migrate.statementTimeout
            configuration.lockRetries = migrate.lockRetries
        }
        if let delay = Environment.value("RAILYARD_LOCK_RETRY_DELAY").flatMap(TimeoutValue.milliseconds) {
            configuration.lockRetryDelayMilliseconds = delay
        }
        // Only a pooler in session mode keeps one server session per client.
        configuration.allowsSessionPooler = Environment.value("RAILYARD_POOLER")?.lowercased() == "session"
        if let limit = Environment.value("RAILYARD_DRY_RUN_STATEMENT_TIMEOUT").flatMap(TimeoutValue.milliseconds), limit > 0 {
            configuration.dryRunStatementTimeoutMilliseconds = limit
        }
        if let limit = Environment.value("RAILYARD_DRY_RUN_TIMEOUT").flatMap(TimeoutValue.milliseconds), limit > 0 {
            configuration.dryRunTotalMilliseconds = limit
        }
        return configuration
    }
}
