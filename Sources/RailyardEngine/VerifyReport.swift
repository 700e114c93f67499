import Foundation
import RailyardCore

/// What `verify` found replaying the migrations on a shadow database.
public struct VerifyReport: Sendable, Codable {
    public enum Check: String, Sendable, Codable {
        /// The migration applied from nothing, in order.
        case replay
        /// Its up section applied a second time (rolled back).
        case rerun
        /// Its down section (or generated scaffold) after up (rolled back).
        case down
        /// The replayed schema against the committed schema file.
        case schemaFile = "schema_file"
    }

    public struct Finding: Sendable, Codable {
        public var check: Check
        public var severity: Diagnostic.Severity
        public var filename: String?
        public var line: Int?
        public var column: Int?
        public var sqlstate: String?
        public var message: String
        /// What changed, as a unified diff.
        public var diff: String?

        /// "file:line:column: message" (the parts that are known).
        public var place: String {
            var place = filename ?? ""
            if let line { place += ":\(line)" + (column.map { ":\($0)" } ?? "") }
            return place
        }
    }

    /// Where it replayed.
    public var shadow: String
    public var migrations: Int
    public var replayed: Int
    public var findings: [Finding]
    public var schemaFile: String
    public var milliseconds: Int

    enum CodingKeys: String, CodingKey {
        case shadow, migrations, replayed, findings, milliseconds
        case schemaFile = "schema_file"
    }

    public func count(_ severity: Diagnostic.Severity) -> Int {
        findings.filter { $0.severity == severity }.count
    }
}

/// How `verify` runs.
public struct VerifyOptions: Sendable {
    /// A server to create a scratch database on; nil: a throwaway cluster.
    public var shadowURL: String?
    /// Migrations that are not safe to re-run are errors, not warnings.
    public var strict = false
    /// Write the replayed schema to the schema file instead of comparing.
    public var writeSchemaFile = false

    public init(shadowURL: String? = nil, strict: Bool = false, writeSchemaFile: Bool = false) {
        self.shadowURL = shadowURL
        self.strict = strict
        self.writeSchemaFile = writeSchemaFile
    }
}
