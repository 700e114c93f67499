import RailyardCore

/// `GET /api/runs`: the run type itself is RailyardCore's `Run`, the same
/// from the engine to the CLI.
public struct RunList: Sendable, Codable {
    public var runs: [Run]

    public init(runs: [Run]) {
        self.runs = runs
    }
}
