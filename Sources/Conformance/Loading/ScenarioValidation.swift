import JSON

/// Everything about a scenario that can be checked before it runs, so an authoring mistake is an
/// exit 2 naming file, step and field instead of a run-time error (or, worse, a verdict on the
/// app): the id pattern, every `${…}` reference bound by an earlier step, every token, response
/// and mark name used after it is bound, and the shape of every check's values. Value ranges
/// are checked while parsing (`ReaderLimits`).
struct ScenarioValidation {
    let file: String
    /// Every name some step binds, with the step that binds it, to tell "later" from "nowhere".
    private var everywhere: [String: String] = [:]
    private var bound: Set<String> = []
    private var marks: Set<String> = []

    static let builtinRoots: Set<String> = ["run", "now", "idp", "profile", "org"]

    /// The schema's `id` pattern: `family.name`, lower case.
    static func checkID(_ id: String, file: String) throws(ConfigError) {
        let parts = id.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        let family = parts.first.map(String.init) ?? ""
        let rest = parts.count > 1 ? String(parts[1]) : ""
        let familyOK = !family.isEmpty && family.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" }
        let restOK = !rest.isEmpty && rest.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" || $0 == "." }
        guard familyOK && restOK else {
            throw ConfigError(file: file, field: "id", message: "'\(id)' does not match ^[a-z0-9-]+\\.[a-z0-9.-]+$ (family.name, lower case)")
        }
    }

    init(file: String, steps: [JSONValue]) {
        self.file = file
        collect(steps, prefix: "steps")
    }

    private mutating func collect(_ steps: [JSONValue], prefix: String) {
        for (index, step) in steps.enumerated() {
            guard let (kind, body) = Self.split(step) else { continue }
            let location = "\(prefix)[\(index)]"
            if let name = Self.boundName(kind, body), everywhere[name] == nil { everywhere[name] = location }
            if kind == "repeat", let inner = body["steps"]?.arrayValue { collect(inner, prefix: "\(location).repeat.steps") }
        }
    }

    static func split(_ step: JSONValue) -> (String, JSONValue)? {
        guard let object = step.objectValue, object.count == 1, let member = object.members.first else { return nil }
        return (member.key, member.value)
    }

    static func boundName(_ kind: String, _ body: JSONValue) -> String? {
        kind == "mark" ? body.stringValue : body["as"]?.stringValue
    }

    mutating func check(_ steps: [JSONValue], prefix: String = "steps") throws(ConfigError) {
        for (index, step) in steps.enumerated() {
            guard let (kind, body) = Self.split(step) else { continue }
            let location = "\(prefix)[\(index)]"
            try checkReferences(in: body, step: location, path: kind)
            switch kind {
            case "callback", "parallel", "credentials", "cookies", "logout", "revoke_session":
                try checkToken(body["token"], step: location, field: "\(kind).token")
            case "probe":
                try checkToken(body["token"], step: location, field: "probe.token")
                if let name = body["cookies"]?.stringValue, !bound.contains(name) { throw notBound(name, location, "probe.cookies", what: "cookie snapshot") }
            case "wait":
                try checkToken(body["until_expired"], step: location, field: "wait.until_expired")
            case "expect":
                try checkExpectation(body, step: location, path: "expect")
            case "repeat":
                if let inner = body["steps"]?.arrayValue { try check(inner, prefix: "\(location).repeat.steps") }
            default: break
            }
            if kind == "mark", let name = body.stringValue { marks.insert(name) }
            if let name = Self.boundName(kind, body) { bound.insert(name) }
        }
    }

    private func error(_ step: String, _ field: String, _ message: String) -> ConfigError {
        ConfigError(file: file, step: step, field: field, message: message)
    }

    private func notBound(_ name: String, _ step: String, _ field: String, what: String) -> ConfigError {
        if let later = everywhere[name] {
            return error(step, field, "\(what) '\(name)' is bound only by a later step (\(later)); bind it before it is used")
        }
        return error(step, field, "\(what) '\(name)' is not bound by any step")
    }

    /// `${name}` and `${name.field}` in every string of the step.
    private func checkReferences(in value: JSONValue, step: String, path: String) throws(ConfigError) {
        switch value {
        case .string(let text):
            var rest = Substring(text)
            while let start = rest.range(of: "${") {
                guard let end = rest[start.upperBound...].firstIndex(of: "}") else { throw error(step, path, "unclosed ${ in '\(text)'") }
                try checkReference(String(rest[start.upperBound..<end]), step: step, field: path)
                rest = rest[rest.index(after: end)...]
            }
        case .array(let items):
            for (index, item) in items.enumerated() { try checkReferences(in: item, step: step, path: "\(path)[\(index)]") }
        case .object(let object):
            for member in object { try checkReferences(in: member.value, step: step, path: "\(path).\(member.key)") }
        default: break
        }
    }

    private func checkReference(_ reference: String, step: String, field: String) throws(ConfigError) {
        let parts = reference.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        let name = parts.first.map(String.init) ?? ""
        if name.hasPrefix("now+") || name.hasPrefix("now-") {
            guard Int64(name.dropFirst(4)) != nil else { throw error(step, field, "${\(reference)}: use ${now}, ${now+N} or ${now-N}") }
            return
        }
        if Self.builtinRoots.contains(name) || bound.contains(name) { return }
        // `${alice.email}` may name a fixture user, which only the mock's fixtures know.
        if parts.count > 1, everywhere[name] == nil { return }
        throw notBound(name, step, field, what: "${\(reference)}:")
    }

    /// A token is a name minted earlier, a `${…}` reference, or a literal compact JWS.
    private func checkToken(_ value: JSONValue?, step: String, field: String) throws(ConfigError) {
        guard let name = value?.stringValue, !name.contains("${"), !name.contains(".") else { return }
        if !bound.contains(name) { throw notBound(name, step, field, what: "token") }
    }

    private func checkResponseName(_ value: JSONValue?, step: String, field: String) throws(ConfigError) {
        guard let name = value?.stringValue else { return }
        if !bound.contains(name) { throw notBound(name, step, field, what: "response") }
    }

    private func checkExpectation(_ value: JSONValue, step: String, path: String) throws(ConfigError) {
        guard let conditions = value.objectValue else { return }
        try checkResponseName(conditions["response"], step: step, field: "\(path).response")
        try checkResponseName(conditions["responses"], step: step, field: "\(path).responses")
        for (index, name) in (conditions["same"]?.arrayValue ?? []).enumerated() {
            try checkResponseName(name, step: step, field: "\(path).same[\(index)]")
        }
        if let status = conditions["status"], !Self.isStatusPattern(status) {
            throw error(step, "\(path).status", "\(status.serializedString()) is not a status: use 200, \"2xx\", \"!5xx\" or a list of them")
        }
        for flag in ["not_null", "is_null"] {
            if let member = conditions[flag], member.boolValue == nil { throw error(step, "\(path).\(flag)", "must be true or false") }
        }
        for text in ["field", "id_space", "app_id_of", "body_contains"] {
            if let member = conditions[text], member.stringValue == nil { throw error(step, "\(path).\(text)", "must be a string, found \(member.typeName)") }
        }
        if conditions["response"] != nil, conditions["field"] == nil {
            for needsField in ["equals", "not_equals", "not_null", "is_null", "id_space", "app_id_of"] where conditions[needsField] != nil {
                throw error(step, "\(path).\(needsField)", "applies to a field: add \"field\": \"/json/pointer\" or a profile name")
            }
        }
        if let other = conditions["not_contains"] {
            guard let object = other.objectValue, object["response"]?.stringValue != nil else {
                throw error(step, "\(path).not_contains", "must be {\"response\": name, \"fields\": [..]}")
            }
            try checkResponseName(object["response"], step: step, field: "\(path).not_contains.response")
        }
        if let journal = conditions["journal"]?.objectValue {
            if let mark = journal["since"] {
                guard let name = mark.stringValue else { throw error(step, "\(path).journal.since", "must be a mark name") }
                if !marks.contains(name) { throw notBound(name, step, "\(path).journal.since", what: "mark") }
            }
            if let count = journal["count"], !Self.isCount(count) {
                throw error(step, "\(path).journal.count", "must be a whole number or {\"min\": n, \"max\": n}")
            }
            if let allowance = journal["refetch_allowance"] {
                guard allowance == .bool(true) else { throw error(step, "\(path).journal.refetch_allowance", "must be true, or left out") }
                guard journal["since"] != nil, journal["count"]?["max"] != nil else {
                    throw error(step, "\(path).journal.refetch_allowance", "raises a count's max by the refetches allowed since a mark: give since and count.max")
                }
            }
            if let name = journal["session_of"] {
                guard name.stringValue != nil else { throw error(step, "\(path).journal.session_of", "must be a token name") }
                try checkToken(name, step: step, field: "\(path).journal.session_of")
            }
        }
        for combinator in ["any_of", "all_of"] {
            for (index, inner) in (conditions[combinator]?.arrayValue ?? []).enumerated() {
                try checkExpectation(inner, step: step, path: "\(path).\(combinator)[\(index)]")
            }
        }
    }

    static func isStatusPattern(_ value: JSONValue) -> Bool {
        switch value {
        case .int(let code): return (100...599).contains(code)
        case .array(let items): return !items.isEmpty && items.allSatisfy(isStatusPattern)
        case .string(let text):
            var pattern = text.replacingOccurrences(of: " ", with: "").lowercased()
            if pattern.hasPrefix("!") { pattern.removeFirst() } else if pattern.hasPrefix("not") { pattern.removeFirst(3) }
            guard pattern.count == 3, let first = pattern.first, ("1"..."5").contains(first) else { return false }
            let tail = pattern.dropFirst()
            return tail == "xx" || tail.allSatisfy(\.isNumber)
        default: return false
        }
    }

    static func isCount(_ value: JSONValue) -> Bool {
        if value.intValue != nil { return true }
        guard let object = value.objectValue, !object.isEmpty else { return false }
        return object.allSatisfy { ["min", "max"].contains($0.key) && $0.value.intValue != nil }
    }
}
