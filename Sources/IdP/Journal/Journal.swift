import JSON
import Synchronization

/// Something the mock noticed about a request, such as an app-side ID sent where an IdP ID belongs.
package struct JournalFlag: Sendable, Equatable {
    package enum Kind: String, Sendable, CaseIterable {
        case idSpaceViolation = "id_space_violation"
        case faultInjected = "fault_injected"
        /// A WorkOS API route the mock does not implement (answered 501): the app relies on
        /// something this mock cannot vouch for.
        case unimplemented
        /// An authorize request with neither `state` nor a PKCE `code_challenge` (AuthorizeHygiene).
        case authorizeUnprotected = "authorize_unprotected"
        /// A `state` (without PKCE) worth under 64 bits.
        case stateGuessable = "state_guessable"
        /// A `state` (without PKCE) the client sent before.
        case stateReused = "state_reused"
        /// An `openid` scope without `nonce` (and without PKCE).
        case nonceMissing = "nonce_missing"
        /// A `redirect_uri` that is not exactly a registered one.
        case redirectURIUnregistered = "redirect_uri_unregistered"
    }

    package var kind: Kind
    /// `app_id_in_idp_field`, `wrong_prefix`, `unknown_id`, `not_an_id`, or the fault's id.
    package var reason: String
    package var field: String
    package var value: String

    package var json: JSONValue {
        ["kind": .string(kind.rawValue), "reason": .string(reason), "field": .string(field), "value": .string(value)]
    }
}

/// One request the mock received and what it answered.
package struct JournalEntry: Sendable, Equatable {
    package var sequence: Int
    package var timeMillis: Int64
    package var requestID: String
    package var method: String
    package var path: String
    package var query: String
    package var headers: [(name: String, value: String)]
    package var status: Int
    package var flags: [JournalFlag]
    /// The body of a 4xx/5xx answer (first KiB), so a report can say why the mock refused the app.
    package var errorBody: String? = nil
    /// Query parameters and body members the route does not document (`query NAME`, `body NAME`):
    /// answered as WorkOS does, by ignoring them, and kept here so a test can see them.
    package var unknownParameters: [String] = []
    /// The `sid` of the session an authenticate answer signed in or refreshed, so a scenario can
    /// count the requests of its own login among those of logins running beside it.
    package var sessionID: String? = nil

    package static func == (lhs: JournalEntry, rhs: JournalEntry) -> Bool {
        lhs.sequence == rhs.sequence && lhs.requestID == rhs.requestID && lhs.status == rhs.status && lhs.flags == rhs.flags
    }

    package var json: JSONValue {
        [
            "sequence": .int(Int64(sequence)),
            "time": .string(MockClock.iso8601(millis: timeMillis)),
            "request_id": .string(requestID),
            "method": .string(method),
            "path": .string(path),
            "query": .string(query),
            "headers": .object(JSONObject(headers.map { (key: $0.name, value: JSONValue.string($0.value)) })),
            "status": .int(Int64(status)),
            "flags": .array(flags.map(\.json)),
            "error_body": errorBody.map(JSONValue.string) ?? .null,
            "unknown_parameters": .array(unknownParameters.map(JSONValue.string)),
            "session_id": sessionID.map(JSONValue.string) ?? .null,
        ]
    }

    package func has(_ kind: JournalFlag.Kind) -> Bool { flags.contains { $0.kind == kind } }
}

/// The record of every request, so a test can ask "what did the app send me?".
package final class Journal: Sendable {
    package struct Filter: Sendable {
        package var method: String?
        package var pathPrefix: String?
        package var sinceSequence: Int?
        package var flag: JournalFlag.Kind?
        package var sessionID: String?

        package init(
            method: String? = nil, pathPrefix: String? = nil, sinceSequence: Int? = nil, flag: JournalFlag.Kind? = nil,
            sessionID: String? = nil
        ) {
            self.method = method
            self.pathPrefix = pathPrefix
            self.sinceSequence = sinceSequence
            self.flag = flag
            self.sessionID = sessionID
        }

        func matches(_ entry: JournalEntry) -> Bool {
            if let method, entry.method.uppercased() != method.uppercased() { return false }
            if let pathPrefix, !entry.path.hasPrefix(pathPrefix) { return false }
            if let sinceSequence, entry.sequence <= sinceSequence { return false }
            if let flag, !entry.has(flag) { return false }
            if let sessionID, entry.sessionID != sessionID { return false }
            return true
        }
    }

    /// The oldest entries are dropped past this many, or past `byteBudget` bytes (estimated),
    /// whichever comes first, so a long-running mock keeps bounded memory.
    package let capacity: Int
    package let byteBudget: Int
    /// Entries are spread over shards by sequence number: every request records one, and a
    /// single lock shared by every connection thread became the server's bottleneck.
    private let shards: [Shard]
    private final class Shard: Sendable {
        struct Contents {
            var entries: [JournalEntry] = []
            var costs: [Int] = []
            var bytes = 0
        }
        let contents = Mutex(Contents())
    }
    private let nextSequence = Atomic<Int>(1)

    package init(capacity: Int = 50_000, byteBudget: Int = Limits.journalBytesDefault, shardCount: Int = 16) {
        self.capacity = capacity
        self.byteBudget = byteBudget
        shards = (0..<shardCount).map { _ in Shard() }
    }

    /// The entry's sequence number is assigned here; long fields are clipped (`JournalBudget`).
    @discardableResult
    package func record(_ entry: JournalEntry) -> Int {
        var entry = JournalBudget.clipped(entry)
        entry.sequence = nextSequence.wrappingAdd(1, ordering: .relaxed).oldValue
        let cost = JournalBudget.cost(entry)
        let shardCapacity = max(1, capacity / shards.count)
        let shardBytes = max(1, byteBudget / shards.count)
        let sequence = entry.sequence
        shards[sequence % shards.count].contents.withLock { contents in
            contents.entries.append(entry)
            contents.costs.append(cost)
            contents.bytes += cost
            // Trim in chunks (down to 3/4 of the budget) so a full journal costs amortized O(1)
            // per request, not a memmove each.
            guard contents.entries.count > shardCapacity + shardCapacity / 4 || contents.bytes > shardBytes else { return }
            var drop = max(0, contents.entries.count - shardCapacity)
            var bytes = contents.bytes - contents.costs[..<drop].reduce(0, +)
            while drop < contents.entries.count - 1, bytes > shardBytes - shardBytes / 4 {
                bytes -= contents.costs[drop]
                drop += 1
            }
            contents.entries.removeFirst(drop)
            contents.costs.removeFirst(drop)
            contents.bytes = bytes
        }
        return sequence
    }

    /// Matching entries in sequence order; with `limit`, only the first `limit` of them.
    package func entries(_ filter: Filter = Filter(), limit: Int? = nil) -> [JournalEntry] {
        // Each shard holds its entries in sequence order, so a shard contributes at most `limit`.
        let merged = shards.flatMap { shard in
            shard.contents.withLock { contents -> [JournalEntry] in
                var found: [JournalEntry] = []
                // A scenario asks "since my mark" after each request it sends: start there
                // (binary search) instead of walking a journal that other scenarios keep filling.
                var index = filter.sinceSequence.map { since in Self.firstIndex(in: contents.entries, after: since) } ?? 0
                while index < contents.entries.count {
                    if filter.matches(contents.entries[index]) {
                        found.append(contents.entries[index])
                        if let limit, found.count >= limit { break }
                    }
                    index += 1
                }
                return found
            }
        }.sorted { $0.sequence < $1.sequence }
        guard let limit else { return merged }
        return Array(merged.prefix(limit))
    }

    /// The index of the first entry whose sequence is above `sequence` (entries are in sequence order).
    private static func firstIndex(in entries: [JournalEntry], after sequence: Int) -> Int {
        var low = 0
        var high = entries.count
        while low < high {
            let middle = low + (high - low) / 2
            if entries[middle].sequence <= sequence { low = middle + 1 } else { high = middle }
        }
        return low
    }

    /// The estimated bytes the journal holds now.
    package var bytes: Int { shards.reduce(0) { total, shard in total + shard.contents.withLock { $0.bytes } } }

    /// The sequence number of the newest entry: a mark to filter "since" later.
    package var lastSequence: Int { nextSequence.load(ordering: .relaxed) - 1 }

    package func clear() {
        for shard in shards { shard.contents.withLock { $0 = Shard.Contents() } }
    }
}
