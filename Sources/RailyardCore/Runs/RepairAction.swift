/// Setting the tracking table right without editing it by hand.
public enum RepairAction: String, Sendable, Codable, CaseIterable {
    /// A changed migration: record the file's current checksum (the edit changed nothing that matters);
    /// a renamed one: record its new file name.
    case accept
    /// A failed migration finished by hand: record it applied.
    case resolve
    /// A missing (or ahead) migration: forget its row.
    case forget

    /// The status a migration must have for this action.
    public var expected: Set<MigrationStatus> {
        switch self {
        case .accept: [.changed, .renamed]
        case .resolve: [.failed]
        case .forget: [.missing, .ahead]
        }
    }

    /// What each action does, for help texts.
    public static let explanation = """
        accept: a changed migration keeps the file's current checksum (say, an edited comment); \
        a renamed one is recorded under its new file name. \
        resolve: a failed migration you finished by hand is marked applied. \
        forget: a missing (or ahead) migration's row is removed.
        """

    /// The usage error for a word that is not an action.
    public static func problem(with word: String) -> String? {
        RepairAction(rawValue: word) == nil ? "the action is accept, resolve or forget, not '\(word)'" : nil
    }
}
