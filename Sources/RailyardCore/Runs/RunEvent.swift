import FoundationEssentials

/// One change in a run, as the event streams send it. `sequence` orders a
/// run's events and is the same on every replica: it is derived from what
/// changed (which step, which wait), not from when a server noticed it.
public struct RunEvent: Sendable, Codable {
    public enum Kind: String, Sendable, Codable, CaseIterable {
        /// The run exists (its origin; steps once planned come in `plan`).
        case run
        /// The migrations the run will apply, in order.
        case plan
        /// A step started or ended.
        case step
        /// A lock wait began (`wait` set) or ended (`wait` null).
        case wait
        /// A line of the run's log.
        case log
        /// The run ended; `run` is its final state, `run.error` says where it failed.
        case end
    }

    public var runID: String
    public var sequence: Int
    public var kind: Kind
    /// What a person reads in a log pane.
    public var message: String
    public var run: Run?
    public var position: Int?
    public var step: RunStep?
    public var wait: LockWait?

    enum CodingKeys: String, CodingKey {
        case kind = "type", message, run, position, step, wait
        case runID = "run_id", sequence = "seq"
    }

    public init(runID: String, sequence: Int, kind: Kind, message: String, run: Run? = nil,
                position: Int? = nil, step: RunStep? = nil, wait: LockWait? = nil) {
        self.runID = runID
        self.sequence = sequence
        self.kind = kind
        self.message = message
        self.run = run
        self.position = position
        self.step = step
        self.wait = wait
    }

    /// The stream's event id: the run and the sequence, so that one id
    /// resumes either stream on any replica.
    public var id: String { "\(runID):\(sequence)" }

    /// `runID:sequence` (or a bare sequence, for a run's own stream); the
    /// sequence is 1 to 18 digits, nothing else.
    public static func parseID(_ text: String) -> (runID: String?, sequence: Int)? {
        let colon = text.lastIndex(of: ":")
        let digits = colon.map { text[text.index(after: $0)...] } ?? text[...]
        guard (1...18).contains(digits.utf8.count), digits.utf8.allSatisfy({ (0x30...0x39).contains($0) }),
              let sequence = Int(digits) else { return nil }
        guard let colon else { return (nil, sequence) }
        let runID = String(text[..<colon]).lowercased()
        guard runID.utf8.count == 36, UUID(uuidString: runID) != nil else { return nil }
        return (runID, sequence)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(runID, forKey: .runID)
        try container.encode(sequence, forKey: .sequence)
        try container.encode(kind, forKey: .kind)
        try container.encode(message, forKey: .message)
        try container.encodeIfPresent(run, forKey: .run)
        try container.encodeIfPresent(position, forKey: .position)
        try container.encodeIfPresent(step, forKey: .step)
        // A wait event always says what the run waits for now: null when it no longer waits.
        if kind == .wait { try container.encode(wait, forKey: .wait) }
    }
}
