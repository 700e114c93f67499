import Foundation
import RailyardEngine

/// The drift count `status` shows, kept in the user's cache folder under
/// what it was computed from: the database, the schema file's text, the
/// live catalogs' fingerprint and Railyard's version. A repeated `status`
/// reuses it instead of dumping the schema again; any DDL, an edited
/// schema file or another database is a new key. Keys are hashed (the
/// conninfo may hold a password). A cache: failing to read or write it
/// only costs the dump.
struct DriftMemo {
    let file: URL
    static let capacity = 32

    /// `$XDG_CACHE_HOME/railyard`, else `~/.cache/railyard`.
    static func inUserCache() -> DriftMemo? {
        let base = Environment.value("XDG_CACHE_HOME").map { URL(fileURLWithPath: $0) }
            ?? Environment.value("HOME").map { URL(fileURLWithPath: $0).appendingPathComponent(".cache") }
        return base.map { DriftMemo(file: $0.appendingPathComponent("railyard").appendingPathComponent("status-drift.json")) }
    }

    static func key(conninfo: String, schema: String, fingerprint: String) -> String {
        SHA256.hex(Array([conninfo, SHA256.hex(Array(schema.utf8)), fingerprint, RailyardVersion.current].joined(separator: "\n").utf8))
    }

    private struct Entry: Codable {
        var key: String
        var count: Int
    }

    func count(for key: String) -> Int? {
        entries().first { $0.key == key }?.count
    }

    /// Keeps the newest `capacity` entries.
    func remember(_ count: Int, for key: String) {
        let kept = [Entry(key: key, count: count)] + entries().filter { $0.key != key }.prefix(Self.capacity - 1)
        try? FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try? JSONEncoder().encode(kept).write(to: file, options: .atomic)
    }

    private func entries() -> [Entry] {
        (try? Data(contentsOf: file)).flatMap { try? JSONDecoder().decode([Entry].self, from: $0) } ?? []
    }
}
