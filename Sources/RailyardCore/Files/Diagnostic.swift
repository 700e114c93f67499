/// A problem found in a migration file, with where it is and what to do.
public struct Diagnostic: Sendable, Codable, Hashable, CustomStringConvertible {
    public enum Severity: String, Sendable, Codable, Comparable {
        case info, warning, error

        public static func < (a: Severity, b: Severity) -> Bool {
            let order: [Severity] = [.info, .warning, .error]
            return order.firstIndex(of: a)! < order.firstIndex(of: b)!
        }
    }

    /// Stable rule id, such as `transaction-control`.
    public var rule: String
    public var severity: Severity
    /// The file name (not the path).
    public var file: String
    public var line: Int
    public var column: Int
    public var message: String
    public var hint: String?

    public init(rule: String, severity: Severity = .error, file: String, at location: SourceLocation = .init(line: 1, column: 1), message: String, hint: String? = nil) {
        self.rule = rule
        self.severity = severity
        self.file = file
        self.line = location.line
        self.column = location.column
        self.message = message
        self.hint = hint
    }

    public var description: String {
        var text = "\(file):\(line):\(column): \(severity.rawValue)[\(rule)]: \(message)"
        if let hint { text += "\n  hint: \(hint)" }
        return text
    }
}

extension Array where Element == Diagnostic {
    public var errors: [Diagnostic] { filter { $0.severity == .error } }
    public var hasErrors: Bool { contains { $0.severity == .error } }
}
