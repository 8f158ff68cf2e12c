import Foundation
import IdP
import JSON

/// Decides whether an expectation holds; a failure is a sentence saying what was expected, what
/// was seen, and where.
struct ExpectationEvaluator {
    let context: ScenarioContext

    /// nil when the expectation holds.
    func failure(of expectation: Expectation) throws -> String? {
        let conditions = try context.resolve(.object(expectation.conditions)).objectValue ?? [:]
        switch expectation.subject {
        case .response(let name):
            return try response(name, conditions)
        case .responses(let name):
            return try responses(name, conditions)
        case .same(let names, let ignore):
            return try same(names, ignore: ignore)
        case .introspect(let user):
            return try introspect(user, conditions)
        case .journal:
            return try journal(conditions)
        case .anyOf(let alternatives):
            var reasons: [String] = []
            var unknown: [String] = []
            for alternative in alternatives {
                do {
                    guard let reason = try failure(of: alternative) else { return nil }
                    reasons.append(reason)
                } catch let missing as NotApplicable {
                    unknown.append(missing.description)
                }
            }
            // An alternative that could not be evaluated might have held.
            if !unknown.isEmpty { throw NotApplicable(unknown.joined(separator: "; ")) }
            return "none of the accepted outcomes held: " + reasons.enumerated().map { "(\($0.offset + 1)) \($0.element)" }.joined(separator: "; ")
        case .allOf(let all):
            var unknown: NotApplicable?
            for expectation in all {
                do {
                    if let reason = try failure(of: expectation) { return reason }
                } catch let missing as NotApplicable {
                    unknown = unknown ?? missing
                }
            }
            if let unknown { throw unknown }
            return nil
        }
    }

    // MARK: Status

    static func statusMatches(_ status: Int?, _ wanted: JSONValue) -> Bool {
        guard let status else { return false }
        switch wanted {
        case .int(let code): return status == Int(code)
        case .array(let codes): return codes.contains { statusMatches(status, $0) }
        case .string(let pattern):
            let trimmed = pattern.replacingOccurrences(of: " ", with: "").lowercased()
            if trimmed.hasPrefix("not") || trimmed.hasPrefix("!") {
                return !statusMatches(status, .string(String(trimmed.drop { $0 != "x" && !$0.isNumber })))
            }
            if trimmed.count == 3, trimmed.hasSuffix("xx"), let first = trimmed.first?.wholeNumberValue {
                return status / 100 == first
            }
            return Int(trimmed) == status
        default: return false
        }
    }

    static func describeStatus(_ wanted: JSONValue) -> String {
        switch wanted {
        case .array(let codes): return codes.map { $0.stringValue ?? $0.serializedString() }.joined(separator: " or ")
        default: return wanted.stringValue ?? wanted.serializedString()
        }
    }

    private func seen(_ captured: Captured) -> String {
        if let error = captured.error { return "no answer (\(error))" }
        return "\(captured.status ?? 0) \(Clipped.text(captured.bodyText))"
    }

    // MARK: One response

    private func captured(_ name: String) throws -> Captured {
        guard let response = context.responses[name] else { throw StepError("expect: no response named '\(name)'") }
        return response
    }

    private func response(_ name: String, _ conditions: JSONObject) throws -> String? {
        let response = try captured(name)
        if let wanted = conditions["outcome"]?.stringValue, let reason = try OutcomeJudge(profile: context.app.profile).failure(wanted, response, label: name) {
            return reason
        }
        if let wanted = conditions["status"], !Self.statusMatches(response.status, wanted) {
            return "\(name): expected status \(Self.describeStatus(wanted)), got \(seen(response))"
        }
        if let header = conditions["header"]?.objectValue {
            if let reason = try self.header(header, response, label: name) { return reason }
        }
        if let scope = conditions["redirects"] {
            guard scope.stringValue == "app_or_idp" else { throw StepError("redirects must be \"app_or_idp\"") }
            if let reason = offsiteRedirect(response, label: name) { return reason }
        }
        if let fieldName = conditions["field"]?.stringValue {
            let value = try context.field(fieldName, in: response)
            let shown = value?.serializedString() ?? "(missing)"
            if let wanted = conditions["equals"], value != wanted {
                return "\(name).\(fieldName): expected \(wanted.serializedString()), got \(shown)"
            }
            if let unwanted = conditions["not_equals"], value == unwanted {
                return "\(name).\(fieldName): expected anything but \(unwanted.serializedString())"
            }
            if conditions["not_null"]?.boolValue == true, value == nil || value?.isNull == true {
                return "\(name).\(fieldName): expected a value, got \(shown) in \(seen(response))"
            }
            if conditions["is_null"]?.boolValue == true, let value, !value.isNull {
                return "\(name).\(fieldName): expected null or absent, got \(shown)"
            }
            if let space = conditions["id_space"]?.stringValue, let reason = idSpace(space, value, "\(name).\(fieldName)") {
                return reason
            }
            if let reference = conditions["app_id_of"]?.stringValue {
                guard let organization = context.idp.directory.resolveOrganization(reference) else { throw StepError("app_id_of: no organization '\(reference)'") }
                if value?.stringValue != organization.externalID {
                    return "\(name).\(fieldName): expected the app's ID of organization '\(reference)' (\(organization.externalID ?? "none")), got \(shown)"
                        + (value?.stringValue == organization.id ? " — that is the IdP's ID for it: the two ID spaces are mixed" : "")
                }
            }
        }
        if let wanted = conditions["organizations"]?.arrayValue {
            if let reason = try organizations(wanted, in: try listItems("organizations", response), label: "\(name).organizations") { return reason }
        }
        if let other = conditions["not_contains"]?.objectValue {
            guard let otherName = other["response"]?.stringValue else { throw StepError("not_contains needs a response name") }
            let source = try captured(otherName)
            // Each field the profile maps is compared; unmapped ones are left out, and only when
            // none is mapped can the check not be made.
            var unmapped: [String] = []
            let fields = (other["fields"]?.arrayValue ?? []).compactMap(\.stringValue)
            for fieldName in fields {
                let value: JSONValue?
                do { value = try context.field(fieldName, in: source) } catch is NotApplicable {
                    unmapped.append(fieldName)
                    continue
                }
                guard let leaked = value?.stringValue, !leaked.isEmpty else { continue }
                if response.bodyText.contains(leaked) {
                    return "\(name) contains \(otherName)'s \(fieldName) ('\(leaked)'): one user received another user's data"
                }
            }
            if !fields.isEmpty, unmapped.count == fields.count {
                throw NotApplicable("the profile maps none of \(fields.joined(separator: ", ")) (add them under \"response\" to check them)")
            }
        }
        if let needle = conditions["body_contains"]?.stringValue, !response.bodyText.contains(needle) {
            return "\(name): expected the body to contain '\(needle)', got \(seen(response))"
        }
        return nil
    }

    /// A redirect (the login's first answer or its last) to an origin that is neither the app's
    /// nor the IdP's, resolved as a browser does (`//host`, `/\\host`, absolute URLs).
    private func offsiteRedirect(_ response: Captured, label: String) -> String? {
        let app = context.app.baseURL
        for headers in [response.firstHeaders, response.headers] {
            for location in headers.filter({ $0.name.lowercased() == "location" }).map(\.value) {
                let target = LoginDriver.resolve(location, against: app)
                if LoginDriver.sameOrigin(target, app) || LoginDriver.sameOrigin(target, context.idp.baseURL) { continue }
                return "\(label): redirected to \(target) (Location: \(location)), an origin that is neither the app's (\(app)) nor the IdP's"
            }
        }
        return nil
    }

    /// `{"name": "Location", "contains"|"not_contains"|"equals"|"present": …}` on a response header.
    private func header(_ condition: JSONObject, _ response: Captured, label: String) throws -> String? {
        guard let name = condition["name"]?.stringValue else { throw StepError("header needs a name") }
        let headers = response.firstHeaders.isEmpty ? response.headers : response.firstHeaders + response.headers
        let values = headers.filter { $0.name.lowercased() == name.lowercased() }.map(\.value)
        if let present = condition["present"]?.boolValue, present == values.isEmpty {
            return "\(label): expected header \(name) \(present ? "present" : "absent"), got \(values.isEmpty ? "none" : values.joined(separator: " | "))"
        }
        if let needle = condition["contains"]?.stringValue, !values.contains(where: { $0.contains(needle) }) {
            return "\(label): expected a \(name) header containing '\(needle)', got \(values.isEmpty ? "none" : values.joined(separator: " | "))"
        }
        if let needle = condition["not_contains"]?.stringValue, let bad = values.first(where: { $0.contains(needle) }) {
            return "\(label): expected no \(name) header containing '\(needle)', got \(bad)"
        }
        if let wanted = condition["equals"]?.stringValue, !values.contains(wanted) {
            return "\(label): expected \(name): \(wanted), got \(values.isEmpty ? "none" : values.joined(separator: " | "))"
        }
        return nil
    }

    private func idSpace(_ space: String, _ value: JSONValue?, _ label: String) -> String? {
        guard let text = value?.stringValue else { return "\(label): expected an ID, got \(value?.serializedString() ?? "(missing)")" }
        let directory = context.idp.directory
        switch space {
        case "app":
            if directory.idpSideIDs.contains(text) || (IDSpace.of(text) == .idp && !directory.appSideIDs.contains(text)) {
                return "\(label): '\(text)' is an IdP ID where the app's own ID belongs"
            }
            return nil
        case "not_idp":
            if directory.idpSideIDs.contains(text) || IDSpace.of(text) == .idp { return "\(label): '\(text)' is an IdP ID" }
            return nil
        case "idp":
            return IDSpace.of(text) == .idp ? nil : "\(label): '\(text)' is not an IdP ID"
        default:
            return "\(label): id_space must be app, not_idp or idp"
        }
    }

    private func listItems(_ fieldName: String, _ response: Captured) throws -> [(id: String?, role: String?)] {
        guard case .list(let arrayPointer, let idPointer, let rolePointer)? = context.app.profile.responseFields[fieldName] else {
            throw NotApplicable("the profile maps no list '\(fieldName)' (add {\"array\", \"id\", \"role\"} under \"response\" to check it)")
        }
        let items = response.fieldJSON?.value(atPointer: arrayPointer)?.arrayValue ?? []
        return items.map { item in (item.value(atPointer: idPointer)?.stringValue, rolePointer.flatMap { item.value(atPointer: $0)?.stringValue }) }
    }

    /// The list must hold exactly these organizations, by the app's ID for each.
    private func organizations(_ wanted: [JSONValue], in items: [(id: String?, role: String?)], label: String) throws -> String? {
        let directory = context.idp.directory
        var expected: [(id: String, role: String?, ref: String)] = []
        for entry in wanted {
            guard let reference = entry["organization"]?.stringValue, let organization = directory.resolveOrganization(reference) else {
                throw StepError("organizations: each entry needs an organization ref known to the mock")
            }
            expected.append((organization.externalID ?? "", entry["role"]?.stringValue, reference))
        }
        let seenIDs = items.map { $0.id ?? "null" }
        for want in expected {
            guard let match = items.first(where: { $0.id == want.id }) else {
                let idpID = directory.resolveOrganization(want.ref)?.id ?? ""
                let hint = seenIDs.contains(idpID) ? " (found the IdP's ID \(idpID) instead: the ID spaces are mixed)" : ""
                return "\(label): expected organization '\(want.ref)' as app ID \(want.id), got [\(seenIDs.joined(separator: ", "))]\(hint)"
            }
            if let role = want.role, match.role != role {
                return "\(label): expected role '\(role)' in '\(want.ref)', got '\(match.role ?? "none")'"
            }
        }
        if items.count != expected.count {
            let extra = seenIDs.filter { id in !expected.contains { $0.id == id } }
            let owners = extra.map { id in directory.organization(externalID: id).map { "\(id) (the app's ID of '\($0.ref ?? $0.name)')" } ?? id }
            return "\(label): expected exactly [\(expected.map(\.ref).joined(separator: ", "))], also got [\(owners.joined(separator: ", "))] — a membership in the wrong tenant"
        }
        return nil
    }

    // MARK: Several responses

    private func responses(_ name: String, _ conditions: JSONObject) throws -> String? {
        guard let list = context.responseLists[name] else { throw StepError("expect: no parallel responses named '\(name)'") }
        if let wanted = conditions["outcome"]?.stringValue {
            let judge = OutcomeJudge(profile: context.app.profile)
            var bad: [(Int, String)] = []
            for (index, item) in list.enumerated() {
                if let reason = try judge.failure(wanted, item, label: "\(name) #\(index + 1)") { bad.append((index, reason)) }
            }
            if let first = bad.first {
                return "\(name): expected every login \(wanted); \(bad.count) of \(list.count) were not, e.g. \(first.1)"
            }
        }
        if let wanted = conditions["status"] {
            let bad = list.enumerated().filter { !Self.statusMatches($0.element.status, wanted) }
            if let first = bad.first {
                return "\(name): expected every status \(Self.describeStatus(wanted)); \(bad.count) of \(list.count) were not, e.g. #\(first.offset + 1): \(seen(first.element))"
            }
        }
        if let distinct = conditions["distinct"]?.objectValue, let fieldName = distinct["field"]?.stringValue {
            var values: Set<String> = []
            for item in list {
                if let value = try context.field(fieldName, in: item), !value.isNull { values.insert(value.serializedString()) }
            }
            if let count = distinct["count"]?.intValue, values.count != Int(count) {
                return "\(name): expected \(count) distinct \(fieldName) across \(list.count) responses, got \(values.count): \(values.sorted().prefix(5).joined(separator: ", "))"
            }
        }
        if let nonNull = conditions["non_null"]?.objectValue, let fieldName = nonNull["field"]?.stringValue {
            var count = 0
            for item in list where try context.field(fieldName, in: item).map({ !$0.isNull }) ?? false { count += 1 }
            if let max = nonNull["max"]?.intValue, count > Int(max) {
                return "\(name): expected at most \(max) responses with \(fieldName), got \(count)"
            }
            if let min = nonNull["min"]?.intValue, count < Int(min) {
                return "\(name): expected at least \(min) responses with \(fieldName), got \(count)"
            }
        }
        return nil
    }

    private func same(_ names: [String], ignore: [String]) throws -> String? {
        if context.app.profile.codeFlow != nil {
            throw NotApplicable("a code-flow app cannot answer a replayed callback identically (its second code exchange fails at the mock); outcomes and introspection judge the replay")
        }
        let first = try captured(names[0])
        for name in names.dropFirst() {
            let other = try captured(name)
            if first.status != other.status {
                return "\(names[0]) and \(name) differ: status \(first.status.map(String.init) ?? "none") vs \(other.status.map(String.init) ?? "none")"
            }
            if ignore.isEmpty {
                if first.body != other.body {
                    return "\(names[0]) and \(name) differ (a replay must return the identical body); first difference: \(Self.firstDifference(first.json, other.json) ?? "in the bytes")\n       \(names[0]): \(Clipped.text(first.bodyText))\n       \(name): \(Clipped.text(other.bodyText))"
                }
            } else {
                let left = Self.removing(ignore, from: first.json), right = Self.removing(ignore, from: other.json)
                if left != right {
                    return "\(names[0]) and \(name) differ outside \(ignore.joined(separator: ", ")): \(Self.firstDifference(left, right) ?? "")"
                }
            }
        }
        return nil
    }

    static func removing(_ pointers: [String], from value: JSONValue?) -> JSONValue? {
        guard var value else { return nil }
        for pointer in pointers { value = remove(pointer.split(separator: "/").map(String.init), from: value) }
        return value
    }

    private static func remove(_ path: [String], from value: JSONValue) -> JSONValue {
        guard let key = path.first else { return value }
        guard case .object(var object) = value, let child = object[key] else { return value }
        if path.count == 1 { object[key] = nil } else { object[key] = remove(Array(path.dropFirst()), from: child) }
        return .object(object)
    }

    /// The JSON Pointer of the first member that differs, to point a reader at it.
    static func firstDifference(_ left: JSONValue?, _ right: JSONValue?, path: String = "") -> String? {
        guard let left, let right else { return left == right ? nil : (path.isEmpty ? "/" : path) }
        if case .object(let a) = left, case .object(let b) = right {
            // Document order, so the pointer names the first member a reader meets.
            var keys = a.keys
            for key in b.keys where !keys.contains(key) { keys.append(key) }
            for key in keys {
                if let difference = firstDifference(a[key], b[key], path: path + "/" + key) { return difference }
            }
            return nil
        }
        return left == right ? nil : "\(path.isEmpty ? "/" : path): \(left.serializedString()) vs \(right.serializedString())"
    }

    // MARK: Introspection and journal

    private func introspect(_ userName: String, _ conditions: JSONObject) throws -> String? {
        guard let introspection = context.app.profile.introspection else { throw NotApplicable("the profile declares no capabilities.introspection") }
        guard let user = context.users[userName] ?? context.idp.directory.resolveUser(userName) else { throw StepError("introspect: no user '\(userName)'") }
        let path = introspection.call.path.replacingOccurrences(of: "{idp_user_id}", with: user.id)
            .replacingOccurrences(of: "{email}", with: user.email)
        let captured = context.send(context.app.request(method: introspection.call.method, path: path, token: nil, body: nil), step: "introspect \(userName)", token: nil)
        guard captured.status == 200, let json = captured.json else {
            throw StepError("introspection for \(userName) answered \(seen(captured))")
        }
        func value(_ name: String) throws -> JSONValue? {
            guard let mapping = introspection.fields[name] else {
                throw NotApplicable("the profile's capabilities.introspection maps no '\(name)'")
            }
            return mapping.value(json: json, text: captured.bodyText)
        }
        for counter in ["workspaces", "members", "api_keys"] {
            guard let wanted = conditions[counter] else { continue }
            let actual = try value(counter)?.intValue.map { Int($0) }
            if let reason = Self.count(actual, matches: wanted, label: "\(userName): \(counter)") { return reason }
        }
        if let wanted = conditions["email"], try value("email") != wanted {
            return "\(userName): expected email \(wanted.serializedString()), got \(try value("email")?.serializedString() ?? "(missing)")"
        }
        var items: [(id: String?, role: String?)] = []
        if conditions["membership_count"] != nil || conditions["memberships"] != nil {
            guard case .list(let array, let id, let role)? = introspection.fields["memberships"] else {
                throw NotApplicable("the profile's capabilities.introspection maps no 'memberships' list")
            }
            items = (json.value(atPointer: array)?.arrayValue ?? []).map { item in (item.value(atPointer: id)?.stringValue, role.flatMap { item.value(atPointer: $0)?.stringValue }) }
        }
        if let wanted = conditions["membership_count"], let reason = Self.count(items.count, matches: wanted, label: "\(userName): memberships") {
            return reason
        }
        if let wanted = conditions["memberships"]?.arrayValue {
            return try organizations(wanted, in: items, label: "\(userName): memberships")
        }
        return nil
    }

    static func count(_ actual: Int?, matches wanted: JSONValue, label: String) -> String? {
        guard let actual else { return "\(label): the app reported no count" }
        if let exact = wanted.intValue {
            return actual == Int(exact) ? nil : "\(label): expected \(exact), got \(actual)"
        }
        if let min = wanted["min"]?.intValue, actual < Int(min) { return "\(label): expected at least \(min), got \(actual)" }
        if let max = wanted["max"]?.intValue, actual > Int(max) { return "\(label): expected at most \(max), got \(actual)" }
        return nil
    }

    private func journal(_ conditions: JSONObject) throws -> String? {
        var filter = Journal.Filter(method: conditions["method"]?.stringValue, pathPrefix: conditions["path_prefix"]?.stringValue)
        if let flag = conditions["flag"]?.stringValue {
            guard let kind = JournalFlag.Kind(rawValue: flag) else { throw StepError("journal.flag: '\(flag)' is not id_space_violation or fault_injected") }
            filter.flag = kind
        }
        if let mark = conditions["since"]?.stringValue {
            guard let sequence = context.marks[mark] else { throw StepError("journal.since: no mark '\(mark)'") }
            filter.sinceSequence = sequence
        }
        if let name = conditions["session_of"]?.stringValue {
            guard let token = context.tokens[name] else { throw StepError("journal.session_of: no token '\(name)'") }
            guard let sid = token.sessionID ?? token.claims["sid"]?.stringValue else {
                throw StepError("journal.session_of: token '\(name)' carries no sid")
            }
            filter.sessionID = sid
        }
        let entries = context.idp.journal.entries(filter)
        var wanted = conditions["count"] ?? 0
        if conditions["refetch_allowance"] == .bool(true), let mark = conditions["since"]?.stringValue,
           case .object(var bounds) = wanted, let max = bounds["max"]?.intValue {
            bounds["max"] = .int(max + Int64(try refetchesAllowed(since: mark)))
            wanted = .object(bounds)
        }
        if let reason = Self.count(entries.count, matches: wanted, label: "requests the app sent the IdP (\(describe(conditions)))") {
            let sample = entries.prefix(3).map { entry in
                "\(entry.method) \(entry.path)\(entry.query.isEmpty ? "" : "?" + entry.query)"
                    + entry.flags.map { " [\($0.kind.rawValue): \($0.reason) in \($0.field) = \($0.value)]" }.joined()
            }
            return reason + (sample.isEmpty ? "" : "; e.g. " + sample.joined(separator: "; "))
        }
        return nil
    }

    /// A correct app may fetch the JWKS again once its cache expires or its refetch cooldown
    /// passes: one fetch per such window (the shorter of the two declared values) since `mark`.
    private func refetchesAllowed(since mark: String) throws -> Int {
        let profile = context.app.profile
        let windows = [profile.jwksCacheTTLSeconds, profile.jwksCooldownSeconds].compactMap { $0 }.filter { $0 > 0 }
        guard let window = windows.min() else {
            throw NotApplicable("the profile declares neither capabilities.jwks_cache_ttl_seconds nor jwks_refetch_cooldown_seconds above 0")
        }
        guard let started = context.markTimes[mark] else { throw StepError("journal.since: no mark '\(mark)'") }
        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        return Int((elapsed / window).rounded(.up))
    }

    private func describe(_ conditions: JSONObject) -> String {
        conditions.members.filter { $0.key != "count" }.map { "\($0.key) \($0.value.stringValue ?? $0.value.serializedString())" }.joined(separator: ", ")
    }
}
