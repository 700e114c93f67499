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
            let suggestion = Self.suggestedName(name)
            throw ValidationError("the name may contain only lowercase letters, digits and underscores; got '\(name)'"
                                  + (suggestion.map { ": try railyard new \($0)" } ?? ", like add_user_sessions"))
        }
    }

    /// `add-user-prefs` or `Add User Prefs` as a usable name: `add_user_prefs`.
    static func suggestedName(_ name: String) -> String? {
        let words = name.lowercased().split { !($0.isASCII && ($0.isLetter || $0.isNumber)) }
        let suggestion = words.joined(separator: "_")
        return suggestion.isEmpty || suggestion == name ? nil : suggestion
    }

    /// The folder new files go to: --dir, MIGRATIONS_DIR, else `migrations`
    /// (or this folder, when it is a `migrations` folder itself).
    static func folder(_ directory: String?) -> String {
        if let folder = directory ?? ProcessInfo.processInfo.environment["MIGRATIONS_DIR"] { return folder }
        let here = FileManager.default.currentDirectoryPath
        return here.split(separator: "/").last == "migrations" && !FileManager.default.fileExists(atPath: "migrations") ? "." : "migrations"
    }

    func run() throws {
        try reporting {
            let folder = Self.folder(directory)
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            let (path, now) = try Self.freshPath(in: folder, name: name)
            try Self.createNew(path, contents: Self.template(name: name, now: now))
            Terminal.line("Created \(path)")
        }
    }

    /// A path whose timestamp no file in `folder` uses yet: two files made
    /// in one second take the next second, never one version twice.
    static func freshPath(in folder: String, name: String, from start: Date = Date()) throws -> (String, Date) {
        let taken = Set(((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).compactMap {
            (try? MigrationFileName($0))?.version
        })
        var now = start
        while taken.contains(UTCTimestamp.version(now)) { now = now.addingTimeInterval(1) }
        return ("\(folder)/\(UTCTimestamp.version(now))_\(name).sql", now)
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
