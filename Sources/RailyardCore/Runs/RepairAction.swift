/// Setting the tracking table right without editing it by hand.
public enum RepairAction: String, Sendable, Codable, CaseIterable {
    /// A changed migration: record the file's current checksum (the edit changed nothing that matters).
    case accept
    /// A failed migration finished by hand: record it applied.
    case resolve
    /// A missing (or ahead) migration: forget its row.
    case forget

    /// The status a migration must have for this action.
    public var expected: Set<MigrationStatus> {
        switch self {
        case .accept: [.changed]
        case .resolve: [.failed]
        case .forget: [.missing, .ahead]
        }
    }
}
