import Testing
@testable import RailyardCore

@Suite("Schema files and drift")
struct SchemaFileTests {
    static let users = SchemaObject(kind: "table", name: "public.users", definition: "CREATE TABLE public.users (\n    id integer NOT NULL,\n    email text\n);")
    static let index = SchemaObject(kind: "index", name: "public.users_email_idx", definition: "CREATE INDEX users_email_idx ON public.users USING btree (email);")
    static let function = SchemaObject(kind: "function", name: "public.f()", definition: """
        CREATE OR REPLACE FUNCTION public.f()
         RETURNS integer
         LANGUAGE sql
        AS $function$
        -- table: not an object line, it follows no blank line
        SELECT 1

        $function$;
        """)

    @Test func renderedFilesParseBackToTheSameObjects() {
        let file = SchemaFile(objects: [Self.function, Self.users, Self.index])
        let text = file.rendered()
        #expect(text.hasPrefix(SchemaFile.header))
        #expect(text.contains("\n-- table: public.users\nCREATE TABLE public.users (\n"))
        #expect(SchemaFile.parse(text) == file)
        #expect(SchemaFile.parse(text.replacingOccurrences(of: "\n", with: "\r\n")) == file, "a checkout with CRLF line endings")
        #expect(SchemaFile.parse(SchemaFile.parse(text).rendered()).rendered() == text)
    }

    @Test func driftNamesExactlyTheObjectsThatDiffer() {
        let expected = SchemaFile(objects: [Self.function, Self.users])
        var changedUsers = Self.users
        changedUsers.definition = "CREATE TABLE public.users (\n    id integer NOT NULL\n);"
        let actual = SchemaFile(objects: [Self.function, changedUsers, Self.index])
        let drift = SchemaDrift.compare(expected: expected, actual: actual, expectedLabel: "schema.sql", actualLabel: "live")
        #expect(drift.objects.map { "\($0.change.rawValue) \($0.kind) \($0.name)" } == ["changed table public.users", "added index public.users_email_idx"])
        #expect(drift.objects[0].diff == """
            --- schema.sql
            +++ live
            @@ -1,5 +1,4 @@
             -- table: public.users
             CREATE TABLE public.users (
            -    id integer NOT NULL,
            -    email text
            +    id integer NOT NULL
             );

            """)
        #expect(drift.diff.hasPrefix("--- schema.sql\n+++ live\n@@ "))
        #expect(SchemaDrift.compare(expected: expected, actual: expected, expectedLabel: "a", actualLabel: "b").isEmpty)
        let removed = SchemaDrift.compare(expected: actual, actual: expected, expectedLabel: "a", actualLabel: "b")
        #expect(removed.objects.map(\.change) == [.changed, .removed])
    }

    @Test func unifiedDiffsApplyBackToTheNewText() {
        var generator = SplitMix64(state: 7)
        for _ in 0..<300 {
            let old = (0..<Int.random(in: 0...40, using: &generator)).map { _ in Substring("line \(Int.random(in: 0...8, using: &generator))") }
            var new = old
            for _ in 0..<Int.random(in: 0...6, using: &generator) {
                switch Int.random(in: 0...2, using: &generator) {
                case 0 where !new.isEmpty: new.remove(at: Int.random(in: 0..<new.count, using: &generator))
                case 1: new.insert("new \(Int.random(in: 0...99, using: &generator))", at: Int.random(in: 0...new.count, using: &generator))
                default: if !new.isEmpty { new[Int.random(in: 0..<new.count, using: &generator)] = "changed" }
                }
            }
            let diff = UnifiedDiff.lines(old, new, expectedLabel: "a", actualLabel: "b")
            #expect(diff.isEmpty == (old == new))
            if !diff.isEmpty { #expect(Self.apply(diff, to: old) == new, "\(old) → \(new):\n\(diff)") }
        }
    }

    /// Applies a unified diff as `patch` would, checking every context and removed line.
    static func apply(_ diff: String, to old: [Substring]) -> [Substring]? {
        var lines = diff.split(separator: "\n", omittingEmptySubsequences: false).dropFirst(2)
        if lines.last == "" { lines.removeLast() }
        var result: [Substring] = []
        var position = 0
        for line in lines {
            if line.hasPrefix("@@ ") {
                let oldStart = Int(line.dropFirst(4).prefix { $0.isNumber }) ?? 0
                let oldCount = line.split(separator: " ")[1].contains(",") ? Int(line.split(separator: " ")[1].split(separator: ",")[1]) ?? 0 : 1
                let start = oldCount == 0 ? oldStart : oldStart - 1
                guard start >= position, start <= old.count else { return nil }
                result += old[position..<start]
                position = start
            } else if line.hasPrefix("+") {
                result.append(line.dropFirst())
            } else {
                guard position < old.count, old[position] == line.dropFirst() else { return nil }
                if line.hasPrefix(" ") { result.append(old[position]) }
                position += 1
            }
        }
        return result + old[position...]
    }
}
