/// What to apply, and whether the database and the folder agree enough to
/// apply anything at all.
public enum Planner {
    public struct Options: Sendable {
        /// Apply up to and including this version.
        public var target: String?
        /// Run even when applied migrations were changed or are missing.
        public var allowChanged = false
        /// Resume failed non-transactional migrations.
        public var retryFailed = false
        /// Refuse pending migrations older than the newest applied one.
        public var strictOrder = false
        /// Refuse a database ahead of the folder too.
        public var strict = false

        public init(target: String? = nil, allowChanged: Bool = false, retryFailed: Bool = false, strictOrder: Bool = false,
                    strict: Bool = false) {
            self.target = target
            self.allowChanged = allowChanged
            self.retryFailed = retryFailed
            self.strictOrder = strictOrder
            self.strict = strict
        }
    }

    /// A migration to run; `resumeAt` skips statements a failed
    /// non-transactional attempt already committed.
    public struct Step: Sendable {
        public var file: MigrationFile
        public var resumeAt: Int
        public var outOfOrder: Bool
    }

    public struct Plan: Sendable {
        public var states: [MigrationState]
        public var steps: [Step]
    }

    public enum Refusal: Error, Sendable, CustomStringConvertible {
        case changed([MigrationState])
        case missing([MigrationState])
        case failed([MigrationState])
        case outOfOrder([MigrationState])
        case unknownTarget(String)
        /// Failed migrations whose statements before the resume point changed.
        case resumePointChanged([MigrationState])
        /// Applied migrations newer than every file (the database is ahead), refused in strict mode
        /// or when pending files would run around them.
        case ahead([MigrationState], pending: [MigrationState])

        public var description: String {
            switch self {
            case .changed(let states):
                "applied migration changed since it was applied: \(Self.names(states))"
            case .missing(let states):
                "applied migration has no file in the folder: \(Self.names(states))"
            case .failed(let states):
                "migration failed partway in an earlier run: \(Self.names(states))"
            case .outOfOrder(let states):
                "pending migration older than the newest applied one, refused in strict order: \(Self.names(states))"
            case .unknownTarget(let version):
                "no migration has version \(version)"
            case .ahead(let states, let pending) where pending.isEmpty:
                "the database is ahead of this folder (applied migrations with no file, newer than every file: \(Self.names(states))), refused in strict mode"
            case .ahead(let states, let pending):
                "the database is ahead of this folder (applied migrations with no file, newer than every file: \(Self.names(states))), and older pending migrations would run around them: \(Self.names(pending))"
            case .resumePointChanged(let states):
                "a failed migration's statements that already ran have changed since: \(Self.names(states)). Resuming would run one twice, skip one, or mark it applied with nothing run: restore the file as it was when it failed (put new statements after the failed one), or finish the migration by hand"
            }
        }

        static func names(_ states: [MigrationState]) -> String {
            states.map(\.filename).joined(separator: ", ")
        }
    }

    /// Every migration's status, in version order. Rows match files by id,
    /// then by file name; a pending file with the checksum of an applied row
    /// that matched nothing is that migration renamed.
    public static func states(files: [MigrationFile], records: [AppliedMigration]) -> [MigrationState] {
        var recordsByID: [Substring: Int] = [:]
        var recordsByFilename: [String: Int] = [:]
        for (index, record) in records.enumerated() {
            recordsByID[VersionOrder.normalized(record.id)] = index
            recordsByFilename[record.filename] = index
        }
        let newestApplied = records.filter { $0.state == .applied }.map(\.id).max(by: VersionOrder.less)
        var matched = [Int?](repeating: nil, count: files.count)
        var used = Set<Int>()
        for (position, file) in files.enumerated() {
            if let index = recordsByID[VersionOrder.normalized(file.id)] ?? recordsByFilename[file.filename], !used.contains(index) {
                matched[position] = index
                used.insert(index)
            }
        }
        var renamedFrom: [Int: Int] = [:]
        if used.count < records.count {
            var unmatchedByChecksum: [String: Int] = [:]
            for (index, record) in records.enumerated() where !used.contains(index) && record.state == .applied {
                if let checksum = record.checksum { unmatchedByChecksum[checksum] = unmatchedByChecksum[checksum] ?? index }
            }
            for (position, file) in files.enumerated() where matched[position] == nil {
                if let index = unmatchedByChecksum.removeValue(forKey: file.checksum) {
                    renamedFrom[position] = index
                    used.insert(index)
                }
            }
        }
        var states: [MigrationState] = []
        states.reserveCapacity(max(files.count, records.count))
        for (position, file) in files.enumerated() {
            let record = (matched[position] ?? renamedFrom[position]).map { records[$0] }
            let status: MigrationStatus
            var outOfOrder = false
            switch record {
            case nil:
                status = .pending
                if let newestApplied, VersionOrder.less(file.id, newestApplied) { outOfOrder = true }
            case _? where renamedFrom[position] != nil:
                status = .renamed
            case let record? where record.state == .failed:
                status = .failed
            case let record?:
                status = record.checksum == file.checksum ? .applied : .changed
            }
            states.append(MigrationState(id: file.id, version: file.version, name: file.name, filename: file.filename,
                                         status: status, outOfOrder: outOfOrder, file: file, record: record))
        }
        let newestFile = files.map(\.id).max(by: VersionOrder.less)
        for (index, record) in records.enumerated() where !used.contains(index) {
            let id = record.id
            let ahead = newestFile.map { VersionOrder.less($0, id) } ?? true
            states.append(MigrationState(id: id, version: String(VersionOrder.digits(id)), name: record.name, filename: record.filename,
                                         status: record.state == .failed ? .failed : ahead ? .ahead : .missing,
                                         outOfOrder: false, file: nil, record: record))
        }
        // A catalog's files come in version order: then there is nothing to sort.
        let inOrder = states.indices.dropFirst().allSatisfy { !VersionOrder.less(states[$0].id, states[$0 - 1].id) }
        if inOrder { return states }
        return VersionOrder.sorted(states) { $0.id }
    }

    /// True when `state` is within a run up to `target` (a version or an id).
    static func isWithin(_ state: MigrationState, target: String) -> Bool {
        if VersionOrder.isValid(target) { return !VersionOrder.less(target, String(VersionOrder.digits(state.id))) }
        return !VersionOrder.less(target, state.id)
    }

    /// The steps to run, or why nothing may run.
    public static func plan(files: [MigrationFile], records: [AppliedMigration], options: Options = .init()) throws(Refusal) -> Plan {
        let states = states(files: files, records: records)
        if let target = options.target, !states.contains(where: { VersionOrder.matches($0.id, target) }) {
            throw .unknownTarget(target)
        }
        let changed = states.filter { $0.status == .changed }
        let missing = states.filter { $0.status == .missing }
        if !options.allowChanged && !changed.isEmpty { throw .changed(changed) }
        if !options.allowChanged && !missing.isEmpty { throw .missing(missing) }
        let ahead = states.filter { $0.status == .ahead }
        if !ahead.isEmpty {
            let pending = states.filter { $0.status == .pending }
            if options.strict || (!pending.isEmpty && !options.allowChanged) { throw .ahead(ahead, pending: pending) }
        }
        let failed = states.filter { $0.status == .failed }
        if !options.retryFailed && !failed.isEmpty { throw .failed(failed) }
        if options.retryFailed, let orphan = failed.first(where: { $0.file == nil }) { throw .missing([orphan]) }
        let inScope = options.target.map { target in states.filter { isWithin($0, target: target) } } ?? states
        let outOfOrder = inScope.filter { $0.status == .pending && $0.outOfOrder }
        if options.strictOrder && !outOfOrder.isEmpty { throw .outOfOrder(outOfOrder) }
        let steps = inScope.compactMap { state -> Step? in
            guard let file = state.file else { return nil }
            switch state.status {
            case .pending:
                return Step(file: file, resumeAt: 0, outOfOrder: state.outOfOrder)
            case .failed:
                return Step(file: file, resumeAt: state.record?.failedStatement ?? 0, outOfOrder: false)
            default:
                return nil
            }
        }
        return Plan(states: states, steps: steps)
    }
}
