extension StringProtocol {
    /// The text without leading and trailing spaces, tabs and line breaks: what header and list
    /// parsing needs, without Foundation's `CharacterSet` (the binary links FoundationEssentials only).
    package func trimmingWhitespace() -> String {
        guard let first = firstIndex(where: { !$0.isWhitespace }), let last = lastIndex(where: { !$0.isWhitespace }) else { return "" }
        return String(self[first...last])
    }
}

extension StringProtocol {
    /// Whether `needle`'s UTF-8 bytes occur in this text's: exact byte matching, for IDs and other
    /// ASCII, without the grapheme-aware search of `contains(_:)` (a hundred times slower; it was
    /// a fifth of `serve`'s start-up in the fixture check).
    package func containsBytes(of needle: some StringProtocol) -> Bool {
        let haystack = Array(utf8)
        let pattern = Array(needle.utf8)
        guard !pattern.isEmpty else { return true }
        guard haystack.count >= pattern.count else { return false }
        for start in 0...(haystack.count - pattern.count) where haystack[start] == pattern[0] {
            if haystack[start..<(start + pattern.count)].elementsEqual(pattern) { return true }
        }
        return false
    }
}
