// Range checks and unknown-field refusal for control API bodies and query parameters, with
// messages that name the field and the allowed range (limits: `Limits`).
import Essentials
import HTTP
import JSON

/// The control API's policy on unknown fields: refuse them, naming the nearest known one.
package enum UnknownFields {
    /// nil when every key is known; otherwise the message for the first unknown one.
    package static func problem(keys: some Sequence<String>, known: Set<String>) -> String? {
        for key in keys where !known.contains(key) {
            let near = known.sorted().first { editDistance($0, key) <= 2 || ($0.hasPrefix(key) && key.count >= 3) }
            return "unknown field '\(key)'\(near.map { "; did you mean '\($0)'?" } ?? "") (expected one of \(known.sorted().joined(separator: ", ")))"
        }
        return nil
    }
}

extension BodyFields {
    /// A whole number inside `limit`, or a 422 naming the field and the range.
    func int(_ name: String, in limit: NumberRange) throws(IdPError) -> Int64? {
        guard let value = object[name], !value.isNull else { return nil }
        guard let number = value.intValue, limit.contains(number) else {
            throw .invalidParameters(limit.message(name, got: value.serializedString()))
        }
        return number
    }

    /// Refuses a body with a field the route does not know ("did you mean").
    func refuseUnknown(_ known: Set<String>) throws(IdPError) {
        if let problem = UnknownFields.problem(keys: object.keys, known: known) {
            throw .invalidParameters(problem)
        }
    }
}

extension QueryParameters {
    /// A whole-number query parameter inside `limit`, or a 422 naming it and the range.
    func int(_ name: String, in limit: NumberRange) throws(IdPError) -> Int? {
        guard let text = self[name] else { return nil }
        guard let number = Int64(text), limit.contains(number) else {
            throw .invalidParameters(limit.message(name, got: "'\(text)'"))
        }
        return Int(number)
    }
}

/// The fields each `/_mock` directory route reads; anything else is refused ("did you mean"),
/// so a typo is an error rather than a silently ignored setting.
enum ControlFields {
    static let user: Set<String> = UserField.names.union(["id", "ref"])
    static let organization: Set<String> = OrganizationField.names.union(["id", "ref"])
    static let membership: Set<String> = MembershipField.names
}

/// The JSON body of a `/_mock` request, refusing fields outside `known`.
func controlBody(_ request: HTTPRequest, known: Set<String>) throws(IdPError) -> JSONValue {
    let body = try jsonBody(request)
    try BodyFields(body).refuseUnknown(known)
    return body
}

/// Size caps on directory bodies (`Limits`), checked once for every create and update of a user,
/// organization or membership: a 422 names the field and its cap, before anything is stored.
enum DirectoryFieldCaps {
    static func check(_ body: JSONValue) throws(IdPError) {
        guard case .object(let object) = body else { return }  // BodyFields refuses a non-object
        var total = 0
        for member in object {
            let limit =
                switch member.key {
                case UserField.email.rawValue: Limits.emailBytes
                case UserField.profilePictureURL.rawValue: Limits.pictureURLBytes
                default: Limits.directoryFieldBytes
                }
            try check(member.value, field: JournalBudget.clip(member.key, limit: 64), limit: limit, total: &total)
        }
    }

    private static func check(_ value: JSONValue, field: String, limit: Int, total: inout Int) throws(IdPError) {
        switch value {
        case .string(let text):
            let bytes = text.utf8.count
            guard bytes <= limit else { throw refusal("\(field) must be at most \(limit) bytes, got \(bytes)") }
            total += bytes
            guard total <= Limits.directoryBodyBytes else {
                throw refusal("the body's strings must total at most \(Limits.directoryBodyBytes) bytes (reached at \(field))")
            }
        case .array(let items):
            guard items.count <= Limits.directoryFieldItems else {
                throw refusal("\(field) must have at most \(Limits.directoryFieldItems) elements, got \(items.count)")
            }
            for (index, item) in items.enumerated() { try check(item, field: "\(field)[\(index)]", limit: limit, total: &total) }
        case .object(let members):
            guard members.count <= Limits.directoryFieldItems else {
                throw refusal("\(field) must have at most \(Limits.directoryFieldItems) members, got \(members.count)")
            }
            for member in members {
                let name = "\(field).\(JournalBudget.clip(member.key, limit: 64))"
                try check(.string(member.key), field: name + " (its name)", limit: Limits.directoryFieldBytes, total: &total)
                try check(member.value, field: name, limit: Limits.directoryFieldBytes, total: &total)
            }
        default:
            break
        }
    }

    /// Room for one more entry of a kind, or a 422 naming the cap.
    static func roomForOne(_ kind: String, count: Int, cap: Int) throws(IdPError) {
        guard count < cap else {
            throw refusal("the mock holds at most \(cap) \(kind); delete some or POST /_mock/reset first")
        }
    }

    private static func refusal(_ message: String) -> IdPError { .invalidParameters(message) }
}
