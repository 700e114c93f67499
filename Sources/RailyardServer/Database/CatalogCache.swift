import Foundation
import RailyardCore
import RailyardEngine
#if canImport(Glibc)
import Glibc
#endif

/// The parsed migrations folder (files without their statements), kept until a file in it is added, removed
/// or changed (names, sizes and modification times are compared, at most
/// once a second: a change shows within a second).
final class CatalogCache: @unchecked Sendable {  // its state is guarded by `lock`; `loading` lets one thread parse at a time
    private struct Entry: Equatable {
        var name: String
        var size: Int64
        var modified: Int64
    }

    private let lock = NSLock()
    private let loading = NSLock()
    private var cached: (fingerprint: [Entry], catalog: MigrationCatalog, generation: Int)?
    /// The files parsed so far: when the folder changes, only the changed files are parsed again.
    private var parses = MigrationCatalog.ParseCache()
    private var generations = 0
    private var lastLook = Date.distantPast
    static let lookEvery: TimeInterval = 1

    func catalog(_ migrator: Migrator) throws -> MigrationCatalog {
        try catalogAndGeneration(migrator).catalog
    }

    /// The catalog and a number that changes whenever it is read anew (0
    /// when the folder could not be fingerprinted: never reuse it).
    func catalogAndGeneration(_ migrator: Migrator) throws -> (catalog: MigrationCatalog, generation: Int) {
        if let recent = recentlyChecked() { return recent }
        // One thread looks at (and parses) the folder; the others wait for it.
        loading.lock()
        defer { loading.unlock() }
        if let recent = recentlyChecked() { return recent }
        defer { lock.withLock { lastLook = Date() } }
        let fingerprint = Self.fingerprint(migrator.configuration.directory.path)
        if let fingerprint, let cached = lock.withLock({ cached }), cached.fingerprint == fingerprint {
            return (cached.catalog, cached.generation)
        }
        // Kept without statements (routes that need them reparse one file);
        // the parse's garbage goes back to the system.
        var parses = lock.withLock { self.parses }
        let catalog = try migrator.loadCatalog(cache: &parses)
        lock.withLock { self.parses = parses }
        _ = glibcMallocTrim(0)
        guard let fingerprint else { return (catalog, 0) }
        return lock.withLock {
            generations += 1
            cached = (fingerprint, catalog, generations)
            return (catalog, generations)
        }
    }

    private func recentlyChecked() -> (catalog: MigrationCatalog, generation: Int)? {
        lock.withLock {
            guard let cached, Date().timeIntervalSince(lastLook) < Self.lookEvery else { return nil }
            return (cached.catalog, cached.generation)
        }
    }

    private static func fingerprint(_ directory: String) -> [Entry]? {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return nil }
        var entries: [Entry] = []
        entries.reserveCapacity(names.count)
        for name in names.sorted() {
            var info = stat()
            guard stat(directory + "/" + name, &info) == 0 else { return nil }
            entries.append(Entry(name: name, size: Int64(info.st_size),
                                 modified: Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec)))
        }
        return entries
    }
}

/// glibc's `malloc_trim`: hands freed heap pages back to the system.
@_silgen_name("malloc_trim")
private func glibcMallocTrim(_ pad: Int) -> Int32
