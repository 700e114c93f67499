/// A project's lint settings, from `railyard-lint.conf` next to the
/// migrations folder:
///
/// ```
/// # an adopted history: check only what is written from now on
/// since = 000247
/// # a tracker guarantees each file runs once
/// create-table-if-not-exists = off
/// drop-column = error
/// ```
public struct LintConfiguration: Sendable, Equatable {
    public enum Level: String, Sendable {
        case off, warning, error
    }

    public static let fileName = "railyard-lint.conf"

    /// Rule id → level; rules not named keep their own.
    public var levels: [String: Level] = [:]
    /// Lint only files whose version is newer than this.
    public var since: String?

    public init(levels: [String: Level] = [:], since: String? = nil) {
        self.levels = levels
        self.since = since
    }

    public struct Problem: Error, Sendable, CustomStringConvertible {
        public var line: Int
        public var message: String
        public var description: String { "\(LintConfiguration.fileName):\(line): \(message)" }
    }

    /// Reads the file's text; an unknown rule, level or key is an error naming its line.
    public static func parse(_ text: String) throws(Problem) -> LintConfiguration {
        var configuration = LintConfiguration()
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init)?.trimmed() ?? ""
            guard !line.isEmpty else { continue }
            let parts = line.split(separator: "=", maxSplits: 1).map { String($0).trimmed() }
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                throw Problem(line: index + 1, message: "expected 'rule-id = off|warning|error' or 'since = VERSION', not '\(line)'")
            }
            if parts[0] == "since" {
                guard VersionOrder.isValid(parts[1]) else { throw Problem(line: index + 1, message: "since must be a migration version (digits), not '\(parts[1])'") }
                configuration.since = parts[1]
                continue
            }
            guard LintRule(rawValue: parts[0]) != nil else {
                throw Problem(line: index + 1, message: "unknown rule '\(parts[0])'; the rules are " + LintRule.allCases.map(\.rawValue).joined(separator: ", "))
            }
            guard let level = Level(rawValue: parts[1]) else {
                throw Problem(line: index + 1, message: "the level is off, warning or error, not '\(parts[1])'")
            }
            configuration.levels[parts[0]] = level
        }
        return configuration
    }

    /// `findings` with the project's levels and `since` applied. Folder
    /// problems (names, duplicates, syntax) are never turned off.
    public func apply(to findings: [Diagnostic], versions: [String: String]) -> [Diagnostic] {
        findings.compactMap { finding in
            guard LintRule(rawValue: finding.rule) != nil else { return finding }
            if let since, let version = versions[finding.file], !VersionOrder.less(since, version) { return nil }
            var finding = finding
            switch levels[finding.rule] {
            case .off?: return nil
            case .warning?: finding.severity = .warning
            case .error?: finding.severity = .error
            case nil: break
            }
            return finding
        }
    }
}
