import IdP
import JSON

/// A status as a scenario or a profile writes it: a code (`401`), a class (`"4xx"`), a negation
/// (`"not 5xx"`, `"!2xx"`) or a list of them (any one matches). Parsed once, at load.
package struct StatusPattern: Sendable, Equatable, CustomStringConvertible {
    enum Term: Sendable, Equatable {
        case code(Int)
        /// `4xx`: the hundreds digit.
        case family(Int)
        indirect case not(Term)
        case anyOf([Term])

        func matches(_ status: Int) -> Bool {
            switch self {
            case .code(let code): return status == code
            case .family(let digit): return status / 100 == digit
            case .not(let term): return !term.matches(status)
            case .anyOf(let terms): return terms.contains { $0.matches(status) }
            }
        }
    }

    let term: Term
    /// As written, for messages (`2xx or 409`).
    package let description: String

    /// nil when `value` is not a status pattern.
    package init?(_ value: JSONValue) {
        guard let term = Self.term(value) else { return nil }
        self.term = term
        switch value {
        case .array(let codes): description = codes.map { $0.stringValue ?? $0.serializedString() }.joined(separator: " or ")
        default: description = value.stringValue ?? value.serializedString()
        }
    }

    private static func term(_ value: JSONValue) -> Term? {
        switch value {
        case .int(let code): return (100...599).contains(code) ? .code(Int(code)) : nil
        case .array(let items):
            var terms: [Term] = []
            for item in items {
                guard let term = term(item) else { return nil }
                terms.append(term)
            }
            return terms.isEmpty ? nil : .anyOf(terms)
        case .string(let text):
            var pattern = Substring(text.replacing(" ", with: "").lowercased())
            var negated = false
            if pattern.hasPrefix("!") {
                pattern = pattern.dropFirst()
                negated = true
            } else if pattern.hasPrefix("not") {
                pattern = pattern.dropFirst(3)
                negated = true
            }
            guard pattern.count == 3, let digit = pattern.first?.wholeNumberValue, (1...5).contains(digit) else { return nil }
            let tail = pattern.dropFirst()
            let term: Term
            if tail == "xx" {
                term = .family(digit)
            } else if tail.allSatisfy(\.isNumber), let code = Int(pattern) {
                term = .code(code)
            } else {
                return nil
            }
            return negated ? .not(term) : term
        default: return nil
        }
    }

    /// For the runner's own defaults, written in code; a pattern that does not parse matches nothing.
    init(literal value: JSONValue) {
        self = StatusPattern(value) ?? StatusPattern(term: .anyOf([]), description: value.serializedString())
    }

    private init(term: Term, description: String) {
        self.term = term
        self.description = description
    }

    /// No status (no answer) matches nothing, not even a negation.
    package func matches(_ status: Int?) -> Bool {
        guard let status else { return false }
        return term.matches(status)
    }
}

extension StatusPattern: ExpressibleByIntegerLiteral, ExpressibleByStringLiteral, ExpressibleByArrayLiteral {
    package init(integerLiteral value: Int) { self.init(literal: .int(Int64(value))) }
    package init(stringLiteral value: String) { self.init(literal: .string(value)) }
    package init(arrayLiteral elements: JSONValue...) { self.init(literal: .array(elements)) }
}

/// A count a check wants: exact, or within bounds.
package struct CountRule: Sendable, Equatable {
    package var exact: Int?
    package var min: Int?
    package var max: Int?

    package init(exact: Int? = nil, min: Int? = nil, max: Int? = nil) {
        self.exact = exact
        self.min = min
        self.max = max
    }

    /// `3` or `{"min": 1, "max": 5}`; nil when `value` is neither.
    init?(_ value: JSONValue) {
        if let exact = value.intValue {
            self.init(exact: Int(exact))
            return
        }
        guard let object = value.objectValue, !object.isEmpty,
            object.allSatisfy({ ["min", "max"].contains($0.key) && $0.value.intValue != nil })
        else { return nil }
        self.init(min: object["min"]?.intValue.map { Int($0) }, max: object["max"]?.intValue.map { Int($0) })
    }

    /// nil when `actual` fits; a sentence otherwise.
    func failure(_ actual: Int?, label: String) -> String? {
        guard let actual else { return "\(label): the app reported no count" }
        if let exact { return actual == exact ? nil : "\(label): expected \(exact), got \(actual)" }
        if let min, actual < min { return "\(label): expected at least \(min), got \(actual)" }
        if let max, actual > max { return "\(label): expected at most \(max), got \(actual)" }
        return nil
    }
}

/// An organization a list must hold (by fixture ref or `${…}`), with the role it must carry.
package struct OrganizationEntry: Sendable {
    package var organization: String
    package var role: String?
}

/// `{"name": "Location", "present"|"contains"|"not_contains"|"equals": …}` on a response header.
package struct HeaderCondition: Sendable {
    package var name: String
    package var present: Bool?
    package var contains: String?
    package var notContains: String?
    package var equals: String?
}

/// The conditions on one response. String and value members may hold `${…}` references,
/// resolved when the check runs (`resolved(by:)`).
package struct ResponseCheck: Sendable {
    package var outcome: Outcome?
    package var status: StatusPattern?
    package var header: HeaderCondition?
    /// `"redirects": "app_or_idp"`: no redirect may leave the app's and the IdP's origins.
    package var onlyAppOrIdPRedirects = false
    package var field: String?
    package var equals: JSONValue?
    package var notEquals: JSONValue?
    package var notNull = false
    package var isNull = false
    package var idSpace: IDSpaceRule?
    package var appIDOf: String?
    package var organizations: [OrganizationEntry]?
    package var notContains: (response: String, fields: [String])?
    package var bodyContains: String?
    /// `includes`: the field is an array holding this URL (an empty path and `/` are one, RFC 3986 §6.2.3).
    package var includes: String?
    /// A rule every session cookie the login set must follow.
    package var sessionCookie: SessionCookieRule?
}

/// The conditions on the responses of a `parallel` step.
package struct ResponsesCheck: Sendable {
    package var outcome: Outcome?
    package var status: StatusPattern?
    package var distinct: (field: String, count: Int?)?
    package var nonNull: (field: String, min: Int?, max: Int?)?
}

/// What the app's introspection hook must report for a user.
package struct IntrospectCheck: Sendable {
    /// `workspaces`, `members`, `api_keys`, in that order.
    package var counters: [(name: IntrospectCondition, count: CountRule)] = []
    package var email: JSONValue?
    package var membershipCount: CountRule?
    package var memberships: [OrganizationEntry]?
}

/// How many requests the app sent the mock, among those a filter selects.
package struct JournalCheck: Sendable {
    package var flag: JournalFlag.Kind?
    package var pathPrefix: String?
    package var method: String?
    package var since: String?
    package var sessionOf: String?
    package var count = CountRule(exact: 0)
    package var refetchAllowance = false
    /// The members as written (but `count`), for the failure message.
    package var order: [JournalCondition] = []

    /// `path_prefix /x, since m`: what was counted.
    var filterDescription: String {
        order.compactMap { condition -> String? in
            let value: String?
            switch condition {
            case .flag: value = flag?.rawValue
            case .pathPrefix: value = pathPrefix
            case .method: value = method
            case .since: value = since
            case .sessionOf: value = sessionOf
            case .refetchAllowance: value = refetchAllowance ? "true" : "false"
            case .count: value = nil
            }
            return value.map { "\(condition.rawValue) \($0)" }
        }.joined(separator: ", ")
    }
}

/// How many requests the runner's canary listener got from this scenario (URLs under
/// `${canary.base_url}/${run}/`): none, for a correct app.
package struct CanaryCheck: Sendable {
    package var count = CountRule(exact: 0)
}

// MARK: - Parsing

extension ScenarioLoader {
    static func parseResponseCheck(_ reader: JSONReader) throws(ConfigError) -> ResponseCheck {
        var check = ResponseCheck()
        check.outcome = try outcome(reader)
        check.status = try status(reader)
        if let header = reader.child("header") {
            try header.checkKeys(["name", "present", "contains", "not_contains", "equals"])
            check.header = HeaderCondition(
                name: try header.requiredString("name"), present: try header.bool("present"),
                contains: try header.string("contains"), notContains: try header.string("not_contains"),
                equals: try header.string("equals"))
        }
        if let scope = try reader.string("redirects") {
            guard scope == "app_or_idp" else { throw reader.error("redirects", "'\(scope)' is not app_or_idp") }
            check.onlyAppOrIdPRedirects = true
        }
        check.field = try reader.string("field")
        check.equals = reader.value["equals"]
        check.notEquals = reader.value["not_equals"]
        check.notNull = try reader.bool("not_null") ?? false
        check.isNull = try reader.bool("is_null") ?? false
        if let space = try reader.string("id_space") {
            check.idSpace = try Vocabulary.parse(space, as: IDSpaceRule.self, what: "id_space") { reader.error("id_space", $0) }
        }
        check.appIDOf = try reader.string("app_id_of")
        check.bodyContains = try reader.string("body_contains")
        check.includes = try reader.string("includes")
        if let rule = try reader.string("session_cookie") {
            check.sessionCookie = try Vocabulary.parse(rule, as: SessionCookieRule.self, what: "session cookie rule") {
                reader.error("session_cookie", $0)
            }
        }
        if reader.value["organizations"] != nil { check.organizations = try organizationEntries(reader, "organizations") }
        if let other = reader.child("not_contains") {
            guard other.object != nil, let name = try other.string("response") else {
                throw reader.error("not_contains", "must be {\"response\": name, \"fields\": [..]}")
            }
            check.notContains = (name, try other.strings("fields") ?? [])
        }
        if check.field == nil {
            let needsField: [(ResponseCondition, Bool)] = [
                (.equals, check.equals != nil), (.notEquals, check.notEquals != nil),
                (.notNull, reader.value["not_null"] != nil), (.isNull, reader.value["is_null"] != nil),
                (.idSpace, check.idSpace != nil), (.appIDOf, check.appIDOf != nil),
                (.includes, check.includes != nil),
            ]
            if let (condition, _) = needsField.first(where: \.1) {
                throw reader.error(condition.rawValue, "applies to a field: add \"field\": \"/json/pointer\" or a profile name")
            }
        }
        return check
    }

    static func parseResponsesCheck(_ reader: JSONReader) throws(ConfigError) -> ResponsesCheck {
        var check = ResponsesCheck()
        check.outcome = try outcome(reader)
        check.status = try status(reader)
        if let distinct = reader.child("distinct"), distinct.object != nil, let field = try distinct.string("field") {
            check.distinct = (field, try distinct.int("count"))
        }
        if let nonNull = reader.child("non_null"), nonNull.object != nil, let field = try nonNull.string("field") {
            check.nonNull = (field, try nonNull.int("min"), try nonNull.int("max"))
        }
        return check
    }

    static func parseIntrospectCheck(_ reader: JSONReader) throws(ConfigError) -> IntrospectCheck {
        var check = IntrospectCheck()
        for counter in [IntrospectCondition.workspaces, .members, .apiKeys] {
            if let count = try countRule(reader, counter.rawValue) { check.counters.append((counter, count)) }
        }
        check.email = reader.value["email"]
        check.membershipCount = try countRule(reader, "membership_count")
        if reader.value["memberships"] != nil { check.memberships = try organizationEntries(reader, "memberships") }
        return check
    }

    static func parseJournalCheck(_ reader: JSONReader) throws(ConfigError) -> JournalCheck {
        let object = try reader.requireObject()
        var check = JournalCheck()
        for key in object.keys {
            let condition = try Vocabulary.parse(key, as: JournalCondition.self, what: "journal condition") { reader.error(key, $0) }
            if condition != .count { check.order.append(condition) }
        }
        if let flag = try reader.string("flag") {
            check.flag = try Vocabulary.parse(flag, as: JournalFlag.Kind.self, what: "journal flag") { reader.error("flag", $0) }
        }
        check.pathPrefix = try reader.string("path_prefix")
        check.method = try reader.string("method")
        if let since = reader.value["since"] {
            guard let name = since.stringValue else { throw reader.error("since", "must be a mark name") }
            check.since = name
        }
        if let count = reader.value["count"] {
            guard let rule = CountRule(count) else { throw reader.error("count", "must be a whole number or {\"min\": n, \"max\": n}") }
            check.count = rule
        }
        if let allowance = reader.value["refetch_allowance"] {
            guard allowance == .bool(true) else { throw reader.error("refetch_allowance", "must be true, or left out") }
            guard check.since != nil, check.count.max != nil else {
                throw reader.error("refetch_allowance", "raises a count's max by the refetches allowed since a mark: give since and count.max")
            }
            check.refetchAllowance = true
        }
        if let session = reader.value["session_of"] {
            guard let name = session.stringValue else { throw reader.error("session_of", "must be a token name") }
            check.sessionOf = name
        }
        return check
    }

    static func parseCanaryCheck(_ reader: JSONReader) throws(ConfigError) -> CanaryCheck {
        try reader.checkKeys(["count"])
        var check = CanaryCheck()
        if let count = reader.value["count"] {
            guard let rule = CountRule(count) else { throw reader.error("count", "must be a whole number or {\"min\": n, \"max\": n}") }
            check.count = rule
        }
        return check
    }

    private static func outcome(_ reader: JSONReader) throws(ConfigError) -> Outcome? {
        guard let value = reader.value["outcome"] else { return nil }
        guard let outcome = value.stringValue.flatMap(Outcome.init(rawValue:)) else {
            let names = Outcome.allCases.map(\.rawValue)
            throw reader.error(
                "outcome",
                "'\(value.stringValue ?? value.serializedString())' is not one of \(names.joined(separator: ", "))"
                    + Vocabulary.suggestion(for: value.stringValue ?? "", among: names))
        }
        return outcome
    }

    private static func status(_ reader: JSONReader) throws(ConfigError) -> StatusPattern? {
        guard let value = reader.value["status"] else { return nil }
        guard let pattern = StatusPattern(value) else {
            throw reader.error("status", "\(value.serializedString()) is not a status: use 200, \"2xx\", \"!5xx\" or a list of them")
        }
        return pattern
    }

    private static func countRule(_ reader: JSONReader, _ key: String) throws(ConfigError) -> CountRule? {
        guard let value = reader.value[key] else { return nil }
        guard let rule = CountRule(value) else { throw reader.error(key, "must be a whole number or {\"min\": n, \"max\": n}") }
        return rule
    }

    private static func organizationEntries(_ reader: JSONReader, _ key: String) throws(ConfigError) -> [OrganizationEntry] {
        guard let list = reader.value[key]?.arrayValue else { throw reader.error(key, "must be a list of {\"organization\": ref, \"role\": slug}") }
        var entries: [OrganizationEntry] = []
        for (index, item) in list.enumerated() {
            let entry = JSONReader(item, file: reader.file, step: reader.step, path: reader.join("\(key)[\(index)]"))
            try entry.checkKeys(["organization", "role"])
            entries.append(OrganizationEntry(organization: try entry.requiredString("organization"), role: try entry.string("role")))
        }
        return entries
    }
}
