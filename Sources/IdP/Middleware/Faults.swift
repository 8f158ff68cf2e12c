import JSON
import Synchronization

/// A failure the mock injects on matching requests: a fixed answer, added latency, or a
/// connection dropped without an answer.
package struct FaultRule: Sendable, Equatable {
    package enum Action: Sendable, Equatable {
        case respond(status: Int, body: JSONValue?)
        case delay(milliseconds: Int)
        case drop
        /// The route answers, then its JSON answer loses these top-level members (a token
        /// response without `user`).
        case omitMembers([String])
        /// The route answers, then only the first N bytes of its body are sent, with a matching
        /// `Content-Length` (a complete HTTP answer carrying cut JSON).
        case truncateBody(bytes: Int)
        /// The route answers, then its JWKS gains N generated RSA keys before the real ones (a
        /// JWKS of 1,000 keys, or of megabytes).
        case jwksExtraKeys(Int)
        /// The route answers, then its JSON object gains a `mockidp_padding` string member making
        /// it N bytes bigger (a 5 MB JWKS whose keys are the real ones).
        case padBytes(Int)
    }

    package var id: String
    package var method: String?
    /// An exact path, or a prefix ending in `*` (`/sso/jwks/*`).
    package var path: String
    package var action: Action
    /// How many more requests it applies to; nil until cleared.
    package var remaining: Int?

    package init(id: String, method: String? = nil, path: String, action: Action, times: Int? = nil) {
        self.id = id
        self.method = method
        self.path = path
        self.action = action
        remaining = times
    }

    func matches(method: String, path: String) -> Bool {
        if let wanted = self.method, wanted.uppercased() != method.uppercased() { return false }
        if self.path.hasSuffix("*") { return path.hasPrefix(self.path.dropLast()) }
        return self.path == path
    }

    package var json: JSONValue {
        var object: JSONObject = ["id": .string(id), "method": method.map(JSONValue.string) ?? .null, "path": .string(path)]
        switch action {
        case .respond(let status, let body):
            object["status"] = .int(Int64(status))
            object["body"] = body ?? .null
        case .delay(let milliseconds):
            object["latency_ms"] = .int(Int64(milliseconds))
        case .drop:
            object["drop"] = true
        case .omitMembers(let names):
            object["omit_members"] = .array(names.map(JSONValue.string))
        case .truncateBody(let bytes):
            object["truncate_body"] = .int(Int64(bytes))
        case .jwksExtraKeys(let count):
            object["jwks_extra_keys"] = .int(Int64(count))
        case .padBytes(let bytes):
            object["pad_bytes"] = .int(Int64(bytes))
        }
        object["remaining"] = remaining.map { .int(Int64($0)) } ?? .null
        return .object(object)
    }
}

/// The armed faults. Each matching request consumes one use of the first rule that matches.
package final class FaultInjector: Sendable {
    private let rules = Mutex<[FaultRule]>([])
    /// How many rules are armed: lets the common case (none) skip the lock on every request.
    private let armedCount = Atomic<Int>(0)

    package init() {}

    package func arm(_ rule: FaultRule) {
        rules.withLock { rules in
            rules.append(rule)
            armedCount.store(rules.count, ordering: .releasing)
        }
    }

    package func clear(id: String? = nil) {
        rules.withLock { rules in
            if let id { rules.removeAll { $0.id == id } } else { rules.removeAll() }
            armedCount.store(rules.count, ordering: .releasing)
        }
    }

    package var armed: [FaultRule] { rules.withLock { $0 } }

    /// The fault to apply to this request, if any; a rule that runs out of uses is removed.
    package func take(method: String, path: String) -> FaultRule? {
        if armedCount.load(ordering: .acquiring) == 0 { return nil }
        return rules.withLock { rules in
            guard let index = rules.firstIndex(where: { $0.matches(method: method, path: path) }) else { return nil }
            let rule = rules[index]
            if let remaining = rule.remaining {
                if remaining <= 1 { rules.remove(at: index) } else { rules[index].remaining = remaining - 1 }
            }
            armedCount.store(rules.count, ordering: .releasing)
            return rule
        }
    }
}

extension FaultRule {
    package static let fields: Set<String> = [
        "path", "method", "status", "body", "latency_ms", "drop", "times", "omit_members", "truncate_body", "jwks_extra_keys", "pad_bytes",
    ]

    /// The `/_mock/faults` body and the scenario `idp_fault` step:
    /// `{"path": "/sso/jwks/*", "method"?, "status"?, "body"?, "latency_ms"?, "drop"?, "omit_members"?, "truncate_body"?,
    /// "jwks_extra_keys"?, "pad_bytes"?, "times"?}`: exactly one action.
    package init(json: JSONValue, id: String) throws(IdPError) {
        let fields = try BodyFields(json)
        try fields.refuseUnknown(Self.fields)
        let path = try fields.requiredString("path")
        let action: Action
        // The answer-shaping actions stand alone (status, latency_ms and drop keep their old precedence).
        let shaping = ["omit_members", "truncate_body", "jwks_extra_keys", "pad_bytes"].filter { fields.has($0) }
        let classic = ["drop", "status", "latency_ms"].filter { fields.has($0) }
        guard shaping.isEmpty || shaping.count + classic.count == 1 else {
            throw .invalidParameters("a fault takes one action, got \((shaping + classic).joined(separator: ", ")) (arm one fault for each)")
        }
        if let names = try fields.array("omit_members") {
            let members = names.compactMap(\.stringValue)
            guard members.count == names.count, !members.isEmpty, members.count <= Limits.faultOmittedMembers else {
                throw .invalidParameters("omit_members must be 1 to \(Limits.faultOmittedMembers) member names (strings)")
            }
            action = .omitMembers(members)
        } else if let bytes = try fields.int("truncate_body", in: Limits.faultTruncateBytes) {
            action = .truncateBody(bytes: Int(bytes))
        } else if let count = try fields.int("jwks_extra_keys", in: Limits.faultJWKSExtraKeys) {
            action = .jwksExtraKeys(Int(count))
        } else if let bytes = try fields.int("pad_bytes", in: Limits.faultPadBytes) {
            action = .padBytes(Int(bytes))
        } else if try fields.bool("drop") == true {
            action = .drop
        } else if let status = try fields.int("status", in: Limits.faultStatus) {
            action = .respond(status: Int(status), body: fields.object["body"])
        } else if let latency = try fields.int("latency_ms", in: Limits.faultLatencyMillis) {
            action = .delay(milliseconds: Int(latency))
        } else {
            throw .invalidParameters("a fault needs status, latency_ms, drop, omit_members, truncate_body, jwks_extra_keys or pad_bytes")
        }
        var times: Int?
        if let count = try fields.int("times", in: Limits.faultTimes) { times = Int(count) }
        self.init(id: id, method: try fields.string("method"), path: path, action: action, times: times)
    }
}
