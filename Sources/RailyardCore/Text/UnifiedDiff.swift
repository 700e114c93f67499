/// A line diff in the unified format (`diff -u`, three lines of context).
public enum UnifiedDiff {
    enum Edit: Equatable {
        case same(Substring), removed(Substring), added(Substring)
    }

    /// The unified diff turning `expected` into `actual`; "" when they are equal.
    public static func lines(_ expected: [Substring], _ actual: [Substring], expectedLabel: String, actualLabel: String,
                             context: Int = 3) -> String {
        let edits = self.edits(expected, actual)
        guard edits.contains(where: { if case .same = $0 { false } else { true } }) else { return "" }
        var output = "--- \(expectedLabel)\n+++ \(actualLabel)\n"
        var index = 0
        var oldLine = 1, newLine = 1
        while index < edits.count {
            guard let firstChange = edits[index...].firstIndex(where: { if case .same = $0 { false } else { true } }) else { break }
            let start = max(index, firstChange - context)
            for skipped in edits[index..<start] { if case .same = skipped { oldLine += 1; newLine += 1 } }
            // The hunk ends after `context` unchanged lines that no change follows within 2 × context.
            var end = firstChange
            var sameRun = 0
            while end < edits.count {
                if case .same = edits[end] { sameRun += 1 } else { sameRun = 0 }
                end += 1
                if sameRun > 2 * context { end -= sameRun - context; break }
            }
            if end == edits.count, sameRun > context { end -= sameRun - context }
            let hunk = edits[start..<end]
            let oldCount = hunk.filter { if case .added = $0 { false } else { true } }.count
            let newCount = hunk.filter { if case .removed = $0 { false } else { true } }.count
            output += "@@ -\(range(oldLine, oldCount)) +\(range(newLine, newCount)) @@\n"
            for edit in hunk {
                switch edit {
                case .same(let line): output += " \(line)\n"
                case .removed(let line): output += "-\(line)\n"
                case .added(let line): output += "+\(line)\n"
                }
            }
            oldLine += oldCount
            newLine += newCount
            index = end
        }
        return output
    }

    static func range(_ start: Int, _ count: Int) -> String {
        count == 1 ? "\(start)" : "\(count == 0 ? start - 1 : start),\(count)"
    }

    /// The shortest edit script, by longest common subsequence; the common
    /// head and tail are matched first, so long equal files cost little.
    static func edits(_ old: [Substring], _ new: [Substring]) -> [Edit] {
        var head = 0
        while head < old.count, head < new.count, old[head] == new[head] { head += 1 }
        var tail = 0
        while tail < old.count - head, tail < new.count - head, old[old.count - 1 - tail] == new[new.count - 1 - tail] { tail += 1 }
        let a = old[head..<(old.count - tail)], b = new[head..<(new.count - tail)]
        var middle: [Edit] = []
        if a.isEmpty || b.isEmpty {
            middle = a.map(Edit.removed) + b.map(Edit.added)
        } else {
            let a = Array(a), b = Array(b)
            // lengths[i][j]: the LCS of a[i...] and b[j...].
            var lengths = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
            for i in stride(from: a.count - 1, through: 0, by: -1) {
                for j in stride(from: b.count - 1, through: 0, by: -1) {
                    lengths[i][j] = a[i] == b[j] ? lengths[i + 1][j + 1] + 1 : max(lengths[i + 1][j], lengths[i][j + 1])
                }
            }
            var i = 0, j = 0
            while i < a.count || j < b.count {
                if i < a.count, j < b.count, a[i] == b[j] {
                    middle.append(.same(a[i])); i += 1; j += 1
                } else if i < a.count, j == b.count || lengths[i + 1][j] >= lengths[i][j + 1] {
                    middle.append(.removed(a[i])); i += 1  // removals first, as diff -u prints them
                } else {
                    middle.append(.added(b[j])); j += 1
                }
            }
        }
        return old[..<head].map(Edit.same) + middle + old[(old.count - tail)...].map(Edit.same)
    }
}
