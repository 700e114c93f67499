import FoundationEssentials
import RailyardCore

/// The JSON shape of a migration list, shared by `status --json` and the API.
public struct MigrationListing: Sendable, Codable {
    public struct Entry: Sendable, Codable {
        /// The version, or for a name that is not a 14-digit timestamp the whole stem.
        public var id: String
        public var version: String
        public var name: String
        public var filename: String
        public var status: MigrationStatus
        public var checksum: String?
        public var appliedAt: Date?
        public var executionMs: Int?
        public var transactional: Bool
        public var outOfOrder: Bool
        public var error: String?
        /// For a renamed migration: the file name it was applied under.
        public var renamedFrom: String?

        enum CodingKeys: String, CodingKey {
            case id, version, name, filename, status, checksum, transactional, error
            case appliedAt = "applied_at", executionMs = "execution_ms", outOfOrder = "out_of_order", renamedFrom = "renamed_from"
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            version = try container.decode(String.self, forKey: .version)
            id = try container.decodeIfPresent(String.self, forKey: .id) ?? version
            name = try container.decode(String.self, forKey: .name)
            filename = try container.decode(String.self, forKey: .filename)
            status = try container.decode(MigrationStatus.self, forKey: .status)
            checksum = try container.decodeIfPresent(String.self, forKey: .checksum)
            appliedAt = try container.decodeIfPresent(Date.self, forKey: .appliedAt)
            executionMs = try container.decodeIfPresent(Int.self, forKey: .executionMs)
            transactional = try container.decode(Bool.self, forKey: .transactional)
            outOfOrder = try container.decode(Bool.self, forKey: .outOfOrder)
            error = try container.decodeIfPresent(String.self, forKey: .error)
            renamedFrom = try container.decodeIfPresent(String.self, forKey: .renamedFrom)
        }

        init(state: MigrationState) {
            id = state.id
            version = state.version
            name = state.name
            filename = state.filename
            status = state.status
            checksum = state.checksum
            appliedAt = state.record?.appliedAt
            executionMs = state.record?.executionMs
            transactional = state.transactional
            outOfOrder = state.outOfOrder
            error = state.record?.error
            renamedFrom = state.status == .renamed ? state.record?.filename : nil
        }
    }

    public struct Summary: Sendable, Codable {
        public var total = 0, applied = 0, pending = 0, changed = 0, missing = 0, failed = 0, ahead = 0, renamed = 0
        /// Objects of the live schema that differ from the committed schema
        /// file; nil when there is no schema file (or it was not compared).
        public var drift: Int?

        public init() {}

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            total = try container.decode(Int.self, forKey: .total)
            applied = try container.decode(Int.self, forKey: .applied)
            pending = try container.decode(Int.self, forKey: .pending)
            changed = try container.decode(Int.self, forKey: .changed)
            missing = try container.decode(Int.self, forKey: .missing)
            failed = try container.decode(Int.self, forKey: .failed)
            ahead = try container.decodeIfPresent(Int.self, forKey: .ahead) ?? 0
            renamed = try container.decodeIfPresent(Int.self, forKey: .renamed) ?? 0
            drift = try container.decodeIfPresent(Int.self, forKey: .drift)
        }

        /// The counts in words: "3 applied, 1 pending, 1 ahead".
        public var counts: String {
            var counts = ["\(applied) applied", "\(pending) pending"]
            if changed > 0 { counts.append("\(changed) changed") }
            if missing > 0 { counts.append("\(missing) missing") }
            if failed > 0 { counts.append("\(failed) failed") }
            if renamed > 0 { counts.append("\(renamed) renamed") }
            if let drift, drift > 0 { counts.append("schema drift in \(drift) object\(drift == 1 ? "" : "s") (see drift)") }
            if ahead > 0 { counts.append("\(ahead) ahead (the database has migrations newer than this folder: an older version is deployed)") }
            return counts.joined(separator: ", ")
        }
    }

    public var migrations: [Entry]
    public var summary: Summary
    public var diagnostics: [Diagnostic]

    public init(states: [MigrationState], diagnostics: [Diagnostic] = []) {
        migrations = states.map(Entry.init(state:))
        var summary = Summary()
        summary.total = states.count
        for state in states {
            switch state.status {
            case .applied: summary.applied += 1
            case .pending: summary.pending += 1
            case .changed: summary.changed += 1
            case .missing: summary.missing += 1
            case .failed: summary.failed += 1
            case .ahead: summary.ahead += 1
            case .renamed: summary.renamed += 1
            }
        }
        self.summary = summary
        self.diagnostics = diagnostics
    }

    public init(migrations: [Entry], summary: Summary, diagnostics: [Diagnostic]) {
        self.migrations = migrations
        self.summary = summary
        self.diagnostics = diagnostics
    }
}

extension MigrationListing.Entry {
    /// The status in words, for tables: "pending (out of order)", "renamed (applied as …)".
    public var statusText: String {
        var text = status.rawValue
        if outOfOrder { text += " (out of order)" }
        if let renamedFrom { text += " (applied as \(renamedFrom))" }
        return text
    }
}

extension MigrationListing {
    /// Files that could not be read as migrations, each with its first error:
    /// (filename, "line:column: message").
    public var invalidFiles: [(filename: String, problem: String)] {
        var seen = Set<String>()
        return diagnostics.filter { $0.severity == .error }.compactMap { diagnostic in
            guard seen.insert(diagnostic.file).inserted, !migrations.contains(where: { $0.filename == diagnostic.file }) else { return nil }
            return (diagnostic.file, "\(diagnostic.line):\(diagnostic.column): \(diagnostic.message)")
        }
    }

    /// What keeps the database from matching the folder, one line each:
    /// every migration that is not applied and every file with an error.
    /// Empty when a deploy gate may pass.
    public var unsettled: [String] {
        migrations.filter { ![.applied, .ahead, .renamed].contains($0.status) }.map { "\($0.filename) is \($0.status.rawValue)" }
            + diagnostics.filter { $0.severity == .error }.map { "\($0.file) is invalid: \($0.message)" }
    }
}
