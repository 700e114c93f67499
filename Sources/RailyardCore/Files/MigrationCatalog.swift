import Dispatch
import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif

/// Every migration in a folder, parsed and ordered by version, with the
/// problems found in the folder and its files.
public struct MigrationCatalog: Sendable {
    public var directory: URL
    public var files: [MigrationFile]
    public var diagnostics: [Diagnostic]
    /// Entries that are not `*.sql` files and so are not migrations.
    public var ignored: [String]
    /// Every well-named `.sql` file, parsed or not, for the duplicate check.
    private var named: [MigrationFileName] = []

    public struct DirectoryError: Error, Sendable, CustomStringConvertible {
        public var path: String
        public var reason: String
        public var description: String {
            "cannot read migrations directory \(path): \(reason) (set MIGRATIONS_DIR or pass --dir)"
        }
    }

    private init(directory: URL) {
        self.directory = directory
        self.files = []
        self.diagnostics = []
        self.ignored = []
    }

    /// Reads the folder. `checksum` hashes each file's normalized up section.
    /// Files are read and parsed on every core; the result does not depend on
    /// it. Without `keepingStatements`, each file drops its statements as soon
    /// as it is parsed, so their memory is reused by the next file's.
    public static func load(directory: URL, checksum: @escaping @Sendable ([UInt8]) -> String,
                            keepingStatements: Bool = true) throws(DirectoryError) -> MigrationCatalog {
        var cache = ParseCache()
        return try load(directory: directory, checksum: checksum, keepingStatements: keepingStatements, cache: &cache)
    }

    /// What earlier loads parsed, by file name and the file's size, change
    /// time and inode: a file unchanged since is not read or parsed again.
    public struct ParseCache: Sendable {
        fileprivate var entries: [String: (stamp: FileStamp, entry: Entry)] = [:]
        /// How many files the last load read and parsed.
        public fileprivate(set) var parsedByLastLoad = 0

        public init() {}
    }

    /// `load`, reusing the parses in `cache` of files that did not change, and updating it.
    public static func load(directory: URL, checksum: @escaping @Sendable ([UInt8]) -> String, keepingStatements: Bool = true,
                            cache: inout ParseCache) throws(DirectoryError) -> MigrationCatalog {
        let names: [String]
        switch DirectoryListing.names(directory.path) {
        case .success(let found): names = found.sorted()
        case .failure(let error): throw DirectoryError(path: directory.path, reason: error.reason)
        }
        var catalog = MigrationCatalog(directory: directory)
        let folder = directory.path.hasSuffix("/") ? directory.path : directory.path + "/"
        let candidates = names.filter { name in
            if name.hasSuffix(".sql") { return true }
            if !name.hasPrefix(".") { catalog.ignored.append(name) }
            return false
        }
        var entries = [(stamp: FileStamp?, entry: Entry)?](repeating: nil, count: candidates.count)
        let previous = cache.entries
        let workers = max(1, min(ProcessInfo.processInfo.activeProcessorCount, 8, candidates.count / 64))
        entries.withUnsafeMutableBufferPointer { slots in
            let slots = UncheckedSendable(slots)
            DispatchQueue.concurrentPerform(iterations: workers) { worker in
                for index in stride(from: worker, to: candidates.count, by: workers) {
                    let name = candidates[index]
                    let stamp = FileStamp(path: folder + name)
                    if let stamp, let known = previous[name], known.stamp == stamp {
                        slots.value[index] = (stamp, known.entry)
                        continue
                    }
                    let entry = Entry(name: name, path: folder + name, checksum: checksum)
                    slots.value[index] = (stamp, keepingStatements ? entry : entry.withoutStatements())
                }
            }
        }
        var kept: [String: (stamp: FileStamp, entry: Entry)] = [:]
        var parsed = 0
        for (name, slot) in zip(candidates, entries) {
            guard let (stamp, entry) = slot else { continue }
            catalog.add(entry)
            if let stamp {
                if previous[name]?.stamp != stamp { parsed += 1 }
                // A parse kept with its statements is reused only by loads that keep them too.
                if !keepingStatements { kept[name] = (stamp, entry) }
            } else {
                parsed += 1
            }
        }
        cache.entries = kept
        cache.parsedByLastLoad = parsed
        catalog.finish()
        return catalog
    }

    /// What says a file has not changed since it was parsed.
    fileprivate struct FileStamp: Equatable, Sendable {
        var size: Int64
        var inode: UInt64
        var changedSeconds: Int
        var changedNanoseconds: Int
        var modifiedSeconds: Int
        var modifiedNanoseconds: Int

        init?(path: String) {
            var status = stat()
            guard stat(path, &status) == 0 else { return nil }
            size = Int64(status.st_size)
            inode = UInt64(status.st_ino)
            changedSeconds = status.st_ctim.tv_sec
            changedNanoseconds = status.st_ctim.tv_nsec
            modifiedSeconds = status.st_mtim.tv_sec
            modifiedNanoseconds = status.st_mtim.tv_nsec
        }
    }

    /// One `.sql` entry of the folder, read and parsed.
    fileprivate enum Entry: Sendable {
        /// Not a regular file (a directory, a FIFO, …): ignored.
        case notAFile(String)
        case badName(Diagnostic)
        /// The parse is nil when the file cannot be read.
        case named(String, MigrationFileName, MigrationFile.Parsed?)

        init(name: String, path: String, checksum: ([UInt8]) -> String) {
            switch FileBytes.read(path) {
            case .notAFile:
                self = .notAFile(name)
            case .file(let contents):
                self = Entry(name: name, bytes: contents, checksum: checksum)
            case nil:
                self = Entry(name: name, bytes: nil, checksum: checksum)
            }
        }

        func withoutStatements() -> Entry {
            guard case .named(let name, let fileName, var parsed?) = self else { return self }
            parsed.file = parsed.file?.withoutStatements()
            return .named(name, fileName, parsed)
        }

        init(name: String, bytes: [UInt8]?, checksum: ([UInt8]) -> String) {
            do {
                let fileName = try MigrationFileName(name)
                self = .named(name, fileName, bytes.map { MigrationFile.parse(fileName: fileName, bytes: $0, checksum: checksum) })
            } catch {
                self = .badName(Diagnostic(rule: "file-name", file: name, message: error.description, hint: error.hint))
            }
        }
    }

    /// Builds a catalog from in-memory files (name → contents), as `load` would.
    public static func from(files: [(name: String, contents: String)], checksum: ([UInt8]) -> String) -> MigrationCatalog {
        var catalog = MigrationCatalog(directory: URL(fileURLWithPath: "."))
        for file in files {
            catalog.add(Entry(name: file.name, bytes: Array(file.contents.utf8), checksum: checksum))
        }
        catalog.finish()
        return catalog
    }

    private mutating func add(_ entry: Entry) {
        switch entry {
        case .notAFile(let name):
            ignored.append(name)
        case .badName(let diagnostic):
            diagnostics.append(diagnostic)
        case .named(let name, let fileName, nil):
            named.append(fileName)
            diagnostics.append(Diagnostic(rule: "unreadable", file: name, message: "the file cannot be read",
                                          hint: "check its permissions"))
        case .named(_, let fileName, let parsed?):
            named.append(fileName)
            diagnostics += parsed.diagnostics
            if let file = parsed.file { files.append(file) }
        }
    }

    private mutating func finish() {
        ignored.sort()
        files = VersionOrder.sorted(files) { $0.id }
        named = VersionOrder.sorted(named) { $0.id }
        var index = 1
        while index < named.count {
            if VersionOrder.same(named[index - 1].id, named[index].id) {
                diagnostics.append(Diagnostic(
                    rule: "duplicate-version", file: named[index].filename,
                    message: "version \(named[index].version) is also used by \(named[index - 1].filename)",
                    hint: "give one of them a new version (railyard new creates a fresh timestamp)"))
            }
            index += 1
        }
        diagnostics.sort { ($0.file, $0.line, $0.column) < ($1.file, $1.line, $1.column) }
    }

    public var hasErrors: Bool { diagnostics.hasErrors }

    /// The file a version or id names.
    public func file(_ reference: String) -> MigrationReference.Resolution<MigrationFile> {
        MigrationReference.resolve(reference, in: files, id: \.id)
    }
}
