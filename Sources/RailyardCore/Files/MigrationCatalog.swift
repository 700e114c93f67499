import Foundation

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
    public static func load(directory: URL, checksum: ([UInt8]) -> String) throws(DirectoryError) -> MigrationCatalog {
        let manager = FileManager.default
        var isDirectory: ObjCBool = false
        guard manager.fileExists(atPath: directory.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw DirectoryError(path: directory.path, reason: "no such directory")
        }
        let names: [String]
        do {
            names = try manager.contentsOfDirectory(atPath: directory.path).sorted()
        } catch {
            throw DirectoryError(path: directory.path, reason: error.localizedDescription)
        }
        var catalog = MigrationCatalog(directory: directory)
        for name in names {
            let url = directory.appendingPathComponent(name)
            var entryIsDirectory: ObjCBool = false
            _ = manager.fileExists(atPath: url.path, isDirectory: &entryIsDirectory)
            guard name.hasSuffix(".sql"), !entryIsDirectory.boolValue else {
                if !name.hasPrefix(".") { catalog.ignored.append(name) }
                continue
            }
            catalog.add(name: name, contents: manager.contents(atPath: url.path), checksum: checksum)
        }
        catalog.finish()
        return catalog
    }

    /// Builds a catalog from in-memory files (name → contents), as `load` would.
    public static func from(files: [(name: String, contents: String)], checksum: ([UInt8]) -> String) -> MigrationCatalog {
        var catalog = MigrationCatalog(directory: URL(fileURLWithPath: "."))
        for file in files {
            catalog.add(name: file.name, contents: Data(file.contents.utf8), checksum: checksum)
        }
        catalog.finish()
        return catalog
    }

    private mutating func add(name: String, contents: Data?, checksum: ([UInt8]) -> String) {
        let fileName: MigrationFileName
        do {
            fileName = try MigrationFileName(name)
        } catch {
            diagnostics.append(Diagnostic(rule: "file-name", file: name, message: error.description, hint: error.hint))
            return
        }
        named.append(fileName)
        guard let contents else {
            diagnostics.append(Diagnostic(rule: "unreadable", file: name, message: "the file cannot be read",
                                          hint: "check its permissions"))
            return
        }
        let parsed = MigrationFile.parse(fileName: fileName, bytes: [UInt8](contents), checksum: checksum)
        diagnostics += parsed.diagnostics
        if let file = parsed.file { files.append(file) }
    }

    private mutating func finish() {
        files.sort { VersionOrder.less($0.version, $1.version) }
        named.sort { VersionOrder.less($0.version, $1.version) }
        var index = 1
        while index < named.count {
            if VersionOrder.same(named[index - 1].version, named[index].version) {
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

    public func file(version: String) -> MigrationFile? {
        files.first { VersionOrder.same($0.version, version) }
    }
}
