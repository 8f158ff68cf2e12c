import JSON

/// One page of `GET /_mock/journal`: at most `limit` entries after `since`, and where to go on.
struct JournalPage {
    let journal: Journal
    let filter: Journal.Filter
    let limit: Int

    var json: JSONValue {
        // One more than asked says whether another page follows without a second scan.
        let found = journal.entries(filter, limit: limit + 1)
        let page = found.prefix(limit)
        var object: JSONObject = [
            "object": "list",
            "data": .array(page.map(\.json)),
            "has_more": .bool(found.count > limit),
            "last_sequence": .int(Int64(journal.lastSequence)),
        ]
        object["next_since"] = page.last.map { .int(Int64($0.sequence)) } ?? .null
        return .object(object)
    }
}
