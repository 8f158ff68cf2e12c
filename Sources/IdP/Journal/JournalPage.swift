import Dispatch
import JSON

/// One page of `GET /_mock/journal`: at most `limit` entries after `since` and at most
/// `Limits.journalPageBytes` of them (always at least one), and where to go on. Pages are built
/// `Limits.journalConcurrentPages` at a time, so fifty clients asking for 10,000 entries at once
/// cost a few pages of memory, not fifty.
struct JournalPage {
    let journal: Journal
    let filter: Journal.Filter
    let limit: Int
    var byteBudget = Limits.journalPageBytes

    private static let gate = DispatchSemaphore(value: Limits.journalConcurrentPages)

    /// The page as the response body. Blocks while the gate is full: each connection has a
    /// thread of its own, never a Swift task.
    var response: [UInt8] {
        Self.gate.wait()
        defer { Self.gate.signal() }
        return json.serialized()
    }

    var json: JSONValue {
        // One more than asked says whether another page follows without a second scan.
        let found = journal.entries(filter, limit: limit + 1)
        var taken = 0
        var bytes = 0
        for entry in found.prefix(limit) {
            bytes += Self.estimatedBytes(entry)
            if taken > 0 && bytes > byteBudget { break }
            taken += 1
        }
        let page = found.prefix(taken)
        var object: JSONObject = [
            "object": "list",
            "data": .array(page.map(\.json)),
            "has_more": .bool(found.count > taken),
            "last_sequence": .int(Int64(journal.lastSequence)),
        ]
        object["next_since"] = page.last.map { .int(Int64($0.sequence)) } ?? .null
        return .object(object)
    }

    /// What an entry adds to the page once written: its strings plus the member names around them.
    static func estimatedBytes(_ entry: JournalEntry) -> Int {
        JournalBudget.cost(entry) + (entry.errorBody?.utf8.count ?? 0) + (entry.sessionID?.utf8.count ?? 0) + 200
    }
}
