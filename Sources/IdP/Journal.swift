import JSON
import Synchronization

/// Something the mock noticed about a request, such as an app-side ID sent where an IdP ID belongs.
public struct JournalFlag: Sendable, Equatable {
    public enum Kind: String, Sendable {
        case idSpaceViolation = "id_space_violation"
        case faultInjected = "fault_injected"
    }

    public var kind: Kind
    /// `app_id_in_idp_field`, `wrong_prefix`, `unknown_id`, `not_an_id`, or the fault's id.
    public var reason: String
    public var field: String
    public var value: String

    public var json: JSONValue {
        ["kind": .string(kind.rawValue), "reason": .string(reason), "field": .string(field), "value": .string(value)]
    }
}

/// One request the mock received and what it answered.
public struct JournalEntry: Sendable, Equatable {
    public var sequence: Int
    public var timeMillis: Int64
    public var requestID: String
    public var method: String
    public var path: String
    public var query: String
    public var headers: [(name: String, value: String)]
    public var status: Int
    public var flags: [JournalFlag]

    public static func == (lhs: JournalEntry, rhs: JournalEntry) -> Bool {
        lhs.sequence == rhs.sequence && lhs.requestID == rhs.requestID && lhs.status == rhs.status && lhs.flags == rhs.flags
    }

    public var json: JSONValue {
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
        ]
    }

    public func has(_ kind: JournalFlag.Kind) -> Bool { flags.contains { $0.kind == kind } }
}

/// The record of every request, so a test can ask "what did the app send me?".
public final class Journal: Sendable {
    public struct Filter: Sendable {
        public var method: String?
        public var pathPrefix: String?
        public var sinceSequence: Int?
        public var flag: JournalFlag.Kind?

        public init(method: String? = nil, pathPrefix: String? = nil, sinceSequence: Int? = nil, flag: JournalFlag.Kind? = nil) {
            self.method = method
            self.pathPrefix = pathPrefix
            self.sinceSequence = sinceSequence
            self.flag = flag
        }

        func matches(_ entry: JournalEntry) -> Bool {
            if let method, entry.method.uppercased() != method.uppercased() { return false }
            if let pathPrefix, !entry.path.hasPrefix(pathPrefix) { return false }
            if let sinceSequence, entry.sequence <= sinceSequence { return false }
            if let flag, !entry.has(flag) { return false }
            return true
        }
    }

    /// The oldest entries are dropped past this, so a long-running mock keeps bounded memory.
    public let capacity: Int
    private struct State {
        var entries: [JournalEntry] = []
        var nextSequence = 1
    }
    private let state = Mutex(State())

    public init(capacity: Int = 50_000) { self.capacity = capacity }

    /// The entry's sequence number is assigned here.
    @discardableResult
    public func record(_ entry: JournalEntry) -> Int {
        state.withLock { state in
            var entry = entry
            entry.sequence = state.nextSequence
            state.nextSequence += 1
            state.entries.append(entry)
            if state.entries.count > capacity { state.entries.removeFirst(state.entries.count - capacity) }
            return entry.sequence
        }
    }

    public func entries(_ filter: Filter = Filter()) -> [JournalEntry] {
        state.withLock { $0.entries.filter(filter.matches) }
    }

    /// The sequence number of the newest entry: a mark to filter "since" later.
    public var lastSequence: Int { state.withLock { $0.nextSequence - 1 } }

    public func clear() { state.withLock { $0.entries.removeAll() } }
}
