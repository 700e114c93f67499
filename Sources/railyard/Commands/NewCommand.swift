import ArgumentParser
import FoundationEssentials
import RailyardCore
#if canImport(Glibc)
import Glibc
#endif

struct NewCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "new",
        abstract: "Create migrations/<UTC timestamp>_<name>.sql with up and down sections.")

    @Argument(help: "What the migration does, in lowercase letters, digits and underscores (add_user_sessions).")
    var name: String

    @Option(name: .customLong("dir"), help: "Migrations folder (env MIGRATIONS_DIR; default migrations).")
    var directory: String?

    func validate() throws {
        guard !name.isEmpty, name.utf8.allSatisfy({ ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) || $0 == 95 }) else {
            throw ValidationError("the name may contain only lowercase letters, digits and underscores, like add_user_sessions; got '\(name)'")
        }
    }

    func run() throws {
        try reporting {
            let folder = directory ?? ProcessInfo.processInfo.environment["MIGRATIONS_DIR"] ?? "migrations"
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            let now = Date()
            let path = "\(folder)/\(UTCTimestamp.version(now))_\(name).sql"
            try Self.createNew(path, contents: Self.template(name: name, now: now))
            Terminal.line("Created \(path)")
        }
    }

    static func template(name: String, now: Date) -> String {
        """
        -- \(name) (created \(UTCTimestamp.display(now)) UTC)
        -- migrate:up
        -- Safe by default: IF NOT EXISTS, new columns nullable or with a default,
        -- foreign keys NOT VALID (then VALIDATE), and indexes on busy tables with
        -- CREATE INDEX CONCURRENTLY in a migration of its own marked transaction:false.


        -- migrate:down


        """
    }

    /// Writes a new file; never replaces an existing one.
    static func createNew(_ path: String, contents: String) throws {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            if errno == EEXIST { throw CLIError(.failed, "\(path) already exists; it was left as it is") }
            throw CLIError(.failed, "cannot create \(path): \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        let bytes = Array(contents.utf8)
        guard write(descriptor, bytes, bytes.count) == bytes.count else {
            throw CLIError(.failed, "cannot write \(path): \(String(cString: strerror(errno)))")
        }
    }
}
