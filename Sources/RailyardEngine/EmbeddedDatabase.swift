import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The private PostgreSQL cluster used when `DATABASE_URL` is unset: created
/// with `initdb` under `.railyard/postgres`, listening only on a Unix socket,
/// started as the `postgres` user when running as root, and stopped when the
/// last Railyard process using it lets go.
public final class EmbeddedDatabase: @unchecked Sendable {  // used by one thread at a time: start, then stop; other processes are kept out by file locks
    public let stateDirectory: URL
    private let log: (String) -> Void
    private var usersLock: Int32 = -1
    private var paths: Paths?

    struct Paths {
        var binaries: URL
        var dataDirectory: String
        var socketDirectory: String
        var runAs: String?
    }

    /// Server settings added to the start command (`-c fsync=off` for a throwaway cluster).
    private let serverOptions: String

    public init(stateDirectory: URL, serverOptions: String = "", log: @escaping (String) -> Void = { _ in }) {
        self.stateDirectory = stateDirectory
        self.serverOptions = serverOptions
        self.log = log
    }

    deinit { stop() }

    /// Starts the cluster if it is not running; returns a libpq conninfo.
    public func start() throws -> String {
        let paths = try resolvePaths()
        self.paths = paths
        let startLock = try lockFile("embedded-start.lock", exclusive: true)
        defer { unlock(startLock) }
        try prepareDirectory(paths.dataDirectory, owner: paths.runAs)
        if !FileManager.default.fileExists(atPath: paths.dataDirectory + "/PG_VERSION") {
            log("Creating the embedded PostgreSQL cluster in \(paths.dataDirectory)")
            try run(paths, "initdb", ["-D", paths.dataDirectory, "-U", "postgres", "--auth-local=peer",
                                      "--auth-host=reject", "-E", "UTF8", "--no-locale"])
        }
        try prepareDirectory(paths.socketDirectory, owner: paths.runAs)
        if try !isRunning(paths) {
            try writeAuthentication(paths)
            log("Starting the embedded PostgreSQL (socket in \(paths.socketDirectory))")
            // The port said outright: the server would otherwise take PGPORT from the environment.
            let options = "-p 5432 -c listen_addresses='' -c unix_socket_directories='\(paths.socketDirectory)' -c unix_socket_permissions=0700 \(serverOptions)"
            try run(paths, "pg_ctl", ["start", "-w", "-t", "60", "-D", paths.dataDirectory,
                                      "-l", paths.dataDirectory + "/railyard-server.log", "-o", options])
        }
        usersLock = try lockFile("embedded-users.lock", exclusive: false)
        return "host=\(paths.socketDirectory) port=5432 dbname=postgres user=postgres"
    }

    /// Lets go of the cluster, stopping it when no other process uses it.
    public func stop() {
        guard usersLock >= 0, let paths else { return }
        unlock(usersLock)
        usersLock = -1
        guard let startLock = try? lockFile("embedded-start.lock", exclusive: true) else { return }
        defer { unlock(startLock) }
        guard let probe = try? lockFile("embedded-users.lock", exclusive: true, wait: false) else { return }
        defer { unlock(probe) }
        log("Stopping the embedded PostgreSQL")
        try? run(paths, "pg_ctl", ["stop", "-w", "-m", "fast", "-D", paths.dataDirectory])
    }

    /// Only this process's OS user (and the server's own) may connect, as
    /// `postgres`, over the socket: peer authentication through a user map.
    /// Rewritten before every start, so a cluster made with `trust` by an
    /// older Railyard is closed too.
    private func writeAuthentication(_ paths: Paths) throws {
        let me = getpwuid(geteuid()).map { String(cString: $0.pointee.pw_name) } ?? "root"
        let osUsers = Set([me, paths.runAs ?? me])
        let files = [
            "pg_hba.conf": "# Written by Railyard: the embedded cluster takes local peer connections only.\nlocal all all peer map=railyard\n",
            "pg_ident.conf": "# Written by Railyard: OS users that may connect as postgres.\n"
                + osUsers.sorted().map { "railyard \($0) postgres\n" }.joined(),
        ]
        for (name, contents) in files {
            let path = paths.dataDirectory + "/" + name
            do {
                try Data(contents.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
            } catch {
                throw EngineError.embedded("cannot write \(path): \(error.localizedDescription)")
            }
            if let runAs = paths.runAs, let user = getpwnam(runAs) {
                chown(path, user.pointee.pw_uid, user.pointee.pw_gid)
            }
            chmod(path, 0o600)
        }
    }

    // MARK: Paths

    private func resolvePaths() throws -> Paths {
        let binaries = try Self.serverBinaries()
        let runAs: String? = geteuid() == 0 ? "postgres" : nil
        if runAs != nil && getpwnam("postgres") == nil {
            throw EngineError.embedded("running as root needs the 'postgres' system user to run the server (install postgresql)")
        }
        do {
            try PrivateDirectory.prepare(stateDirectory.path, strict: false)
        } catch {
            throw EngineError.embedded(error.description)
        }
        let link = stateDirectory.appendingPathComponent("postgres").path
        var dataDirectory = link
        if let destination = try? FileManager.default.destinationOfSymbolicLink(atPath: link) {
            dataDirectory = destination
        } else if let runAs, !FileManager.default.fileExists(atPath: link), !canReach(stateDirectory.path, as: runAs) {
            // The checkout is not reachable by `postgres` (say, under a 0700
            // home): keep the cluster in a place it can reach, linked from here.
            let outside = "/var/tmp/railyard-\(Self.shortHash(stateDirectory.path))"
            try prepareDirectory(outside, owner: runAs)
            dataDirectory = outside + "/postgres"
            try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: dataDirectory)
        }
        if dataDirectory != link {
            // Linked to a cluster outside the state folder: its folder must be private too.
            try prepareDirectory((dataDirectory as NSString).deletingLastPathComponent, owner: runAs)
        }
        var socketDirectory = dataDirectory
        if (socketDirectory + "/.s.PGSQL.5432").utf8.count > 100 {
            socketDirectory = "/tmp/railyard-\(Self.shortHash(dataDirectory))"
        }
        return Paths(binaries: binaries, dataDirectory: dataDirectory, socketDirectory: socketDirectory, runAs: runAs)
    }

    /// Where `initdb` and `pg_ctl` are: `PATH`, else the newest `/usr/lib/postgresql/<n>/bin`.
    static func serverBinaries() throws -> URL {
        let manager = FileManager.default
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        for directory in path.split(separator: ":") where manager.isExecutableFile(atPath: "\(directory)/initdb") {
            // A symlinked initdb (Debian keeps the real ones per version) leads to its siblings.
            let real = URL(fileURLWithPath: "\(directory)/initdb").resolvingSymlinksInPath().deletingLastPathComponent()
            if manager.isExecutableFile(atPath: real.appendingPathComponent("pg_ctl").path) { return real }
        }
        let root = "/usr/lib/postgresql"
        let versions = ((try? manager.contentsOfDirectory(atPath: root)) ?? []).compactMap(Int.init).sorted(by: >)
        for version in versions where manager.isExecutableFile(atPath: "\(root)/\(version)/bin/initdb") {
            return URL(fileURLWithPath: "\(root)/\(version)/bin")
        }
        throw EngineError.embedded("PostgreSQL server binaries (initdb, pg_ctl) not found in PATH or /usr/lib/postgresql/*/bin: install postgresql")
    }

    private func canReach(_ path: String, as user: String) -> Bool {
        (try? Self.execute("/usr/sbin/runuser", ["-u", user, "--", "test", "-x", path])) == 0
    }

    private func prepareDirectory(_ path: String, owner: String?) throws {
        do {
            try PrivateDirectory.prepare(path, owner: owner)
        } catch {
            throw EngineError.embedded(error.description)
        }
    }

    // MARK: Processes

    private func isRunning(_ paths: Paths) throws -> Bool {
        let (executable, arguments) = command(paths, "pg_ctl", ["status", "-D", paths.dataDirectory])
        return try Self.execute(executable, arguments) == 0
    }

    private func run(_ paths: Paths, _ tool: String, _ arguments: [String]) throws {
        let (executable, fullArguments) = command(paths, tool, arguments)
        var output = ""
        let status = try Self.execute(executable, fullArguments, output: &output)
        guard status == 0 else {
            throw EngineError.embedded("\(tool) failed (exit \(status)): \(output.suffix(2000))\n  see \(paths.dataDirectory)/railyard-server.log")
        }
    }

    private func command(_ paths: Paths, _ tool: String, _ arguments: [String]) -> (String, [String]) {
        let binary = paths.binaries.appendingPathComponent(tool).path
        guard let runAs = paths.runAs else { return (binary, arguments) }
        // The postgres user may not be able to enter the current directory.
        return ("/usr/sbin/runuser", ["-u", runAs, "--", "/bin/sh", "-c", "cd / && exec \"$0\" \"$@\"", binary] + arguments)
    }

    @discardableResult
    static func execute(_ executable: String, _ arguments: [String]) throws -> Int32 {
        var ignored = ""
        return try execute(executable, arguments, output: &ignored)
    }

    /// Runs a program and waits for it, collecting its output through a
    /// file: the server that `pg_ctl start` leaves running would hold a pipe
    /// open forever.
    static func execute(_ executable: String, _ arguments: [String], output: inout String) throws -> Int32 {
        let outputPath = NSTemporaryDirectory() + "railyard-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).out"
        defer { try? FileManager.default.removeItem(atPath: outputPath) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        // The child starts with default signal handling and nothing blocked,
        // whatever this process ignores (migrate catches SIGTERM) or its thread blocks.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for number in [SIGTERM, SIGINT, SIGPIPE, SIGHUP, SIGQUIT] { sigaddset(&defaults, number) }
        var unblocked = sigset_t()
        sigemptyset(&unblocked)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setsigmask(&attributes, &unblocked)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, executable, &actions, &attributes, argv, environ)
        guard spawned == 0 else {
            throw EngineError.embedded("cannot run \(executable): \(String(cString: strerror(spawned)))")
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            guard errno == EINTR else { throw EngineError.embedded("waiting for \(executable) failed") }
        }
        output = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        let exited = status & 0x7f == 0
        return exited ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    }

    // MARK: File locks

    private func lockFile(_ name: String, exclusive: Bool, wait: Bool = true) throws -> Int32 {
        let path = stateDirectory.appendingPathComponent(name).path
        let descriptor = open(path, O_CREAT | O_RDWR | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw EngineError.embedded("cannot open \(path): \(String(cString: strerror(errno)))")
        }
        let operation = (exclusive ? LOCK_EX : LOCK_SH) | (wait ? 0 : LOCK_NB)
        while flock(descriptor, operation) != 0 {
            if errno == EINTR { continue }
            close(descriptor)
            throw EngineError.embedded("\(path) is locked")
        }
        return descriptor
    }

    private func unlock(_ descriptor: Int32) {
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }

    static func shortHash(_ text: String) -> String {
        var hash: UInt64 = 0xcbf29ce484222325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100000001b3
        }
        return String(String(hash, radix: 16).prefix(12))
    }
}
