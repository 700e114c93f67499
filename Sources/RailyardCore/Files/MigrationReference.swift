/// A migration named by a user: its version (digits) or its id (the file
/// name without `.sql`), found among files or states.
public enum MigrationReference {
    public enum Resolution<Item> {
        case found(Item)
        case none
        /// The digits are shared by several legacy files; the id tells them apart.
        case ambiguous([Item])

        /// The one item named, if there is one.
        public var found: Item? {
            if case .found(let item) = self { return item }
            return nil
        }
    }

    /// The item whose id is `reference`, else the only one with those digits.
    public static func resolve<Item>(_ reference: String, in items: [Item], id: (Item) -> String) -> Resolution<Item> {
        if let exact = items.first(where: { VersionOrder.same(id($0), reference) }) { return .found(exact) }
        let matching = items.filter { VersionOrder.matches(id($0), reference) }
        switch matching.count {
        case 0: return .none
        case 1: return .found(matching[0])
        default: return .ambiguous(matching)
        }
    }

    /// The words for several migrations sharing a version.
    public static func ambiguity(_ reference: String, ids: [String]) -> String {
        "version \(reference) names \(ids.count) migrations (\(ids.joined(separator: ", "))): name one by its file name without .sql"
    }
}
