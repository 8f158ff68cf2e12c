extension StringProtocol {
    /// The text without leading and trailing spaces, tabs and line breaks: what header and list
    /// parsing needs, without Foundation's `CharacterSet` (the binary links FoundationEssentials only).
    package func trimmingWhitespace() -> String {
        guard let first = firstIndex(where: { !$0.isWhitespace }), let last = lastIndex(where: { !$0.isWhitespace }) else { return "" }
        return String(self[first...last])
    }
}
