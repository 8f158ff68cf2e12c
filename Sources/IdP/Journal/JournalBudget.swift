/// What one journal entry may hold, so memory is bounded by bytes rather than by entry count:
/// an app (or a fuzzer) sending 8 KB query strings must not grow the mock by 8 KB per request.
enum JournalBudget {
    /// `text` cut to `limit` UTF-8 bytes (on a scalar boundary) with a marker that gives the
    /// original length, so a reader sees that it was cut and by how much.
    static func clip(_ text: String, limit: Int = Limits.journalFieldBytes) -> String {
        let length = text.utf8.count
        guard length > limit else { return text }
        let utf8 = text.utf8
        var end = utf8.index(utf8.startIndex, offsetBy: limit)
        while end > utf8.startIndex, end.samePosition(in: text.unicodeScalars) == nil { end = utf8.index(before: end) }
        return String(text.unicodeScalars[..<end]) + "…[cut: \(length) bytes]"
    }

    /// An estimate of what the entry costs in memory: its strings plus a fixed overhead.
    static func cost(_ entry: JournalEntry) -> Int {
        var bytes = 160 + entry.requestID.utf8.count + entry.method.utf8.count + entry.path.utf8.count + entry.query.utf8.count
        for header in entry.headers { bytes += 32 + header.name.utf8.count + header.value.utf8.count }
        for flag in entry.flags { bytes += 64 + flag.reason.utf8.count + flag.field.utf8.count + flag.value.utf8.count }
        for name in entry.unknownParameters { bytes += 16 + name.utf8.count }
        return bytes
    }

    /// The entry with every free-form string clipped.
    static func clipped(_ entry: JournalEntry) -> JournalEntry {
        guard needsClipping(entry) else { return entry }
        var entry = entry
        entry.path = clip(entry.path)
        entry.query = clip(entry.query)
        entry.headers = entry.headers.map { (name: clip($0.name, limit: 128), value: clip($0.value)) }
        entry.flags = entry.flags.map { flag in
            var flag = flag
            flag.value = clip(flag.value)
            flag.field = clip(flag.field, limit: 128)
            return flag
        }
        if entry.unknownParameters.count > 32 {
            let total = entry.unknownParameters.count
            entry.unknownParameters = Array(entry.unknownParameters.prefix(32)) + ["…[cut: \(total) parameters]"]
        }
        entry.unknownParameters = entry.unknownParameters.map { clip($0, limit: 256) }
        return entry
    }

    /// Most entries are short: checking first spares rebuilding their arrays.
    private static func needsClipping(_ entry: JournalEntry) -> Bool {
        let limit = Limits.journalFieldBytes
        return entry.path.utf8.count > limit || entry.query.utf8.count > limit || entry.unknownParameters.count > 32
            || entry.headers.contains { $0.name.utf8.count > 128 || $0.value.utf8.count > limit }
            || entry.flags.contains { $0.value.utf8.count > limit || $0.field.utf8.count > 128 }
            || entry.unknownParameters.contains { $0.utf8.count > 256 }
    }
}
