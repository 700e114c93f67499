extension StringProtocol {
    /// Without leading and trailing blanks (spaces, tabs and other horizontal
    /// white space), or any white space with `newlines`. FoundationEssentials,
    /// which the CLI links instead of Foundation, has no `trimmingCharacters`.
    public func trimmed(newlines: Bool = false) -> String {
        let isTrimmed: (Character) -> Bool = { $0.isWhitespace && (newlines || !$0.isNewline) }
        guard let first = firstIndex(where: { !isTrimmed($0) }) else { return "" }
        let last = lastIndex(where: { !isTrimmed($0) })!
        return String(self[first...last])
    }
}
