import Dispatch
import FoundationEssentials
import Glibc
import IdP
import JSON

/// Decides whether an expectation holds; a failure is a sentence saying what was expected, what
/// was seen, and where.
struct ExpectationEvaluator {
    let context: ScenarioContext

    /// nil when the expectation holds.
    func failure(of expectation: Expectation) throws -> String? {
        switch expectation.subject {
        case .response(let name, let check):
            return try response(name, try check.resolved(by: context))
        case .responses(let name, let check):
            return try responses(name, try check.resolved(by: context))
        case .same(let names, let ignore):
            return try same(names, ignore: ignore)
        case .introspect(let user, let check):
            return try introspect(user, try check.resolved(by: context))
        case .journal(let check):
            return try journal(try check.resolved(by: context))
        case .canary(let check):
            return try canary(check)
        case .anyOf(let alternatives):
            var reasons: [String] = []
            var unknown: [String] = []
            for alternative in alternatives {
                do {
                    guard let reason = try failure(of: alternative) else { return nil }
                    reasons.append(reason)
                } catch ScenarioStop.notApplicable(let reason) {
                    unknown.append(reason)
                }
            }
            // An alternative that could not be evaluated might have held.
            if !unknown.isEmpty { throw ScenarioStop.notApplicable(unknown.joined(separator: "; ")) }
            return "none of the accepted outcomes held: " + reasons.enumerated().map { "(\($0.offset + 1)) \($0.element)" }.joined(separator: "; ")
        case .allOf(let all):
            var unknown: ScenarioStop?
            for expectation in all {
                do {
                    if let reason = try failure(of: expectation) { return reason }
                } catch let missing as ScenarioStop where missing.isNotApplicable {
                    unknown = unknown ?? missing
                }
            }
            if let unknown { throw unknown }
            return nil
        case .idpSession(let name, let ended):
            return try idpSession(name, ended: ended)
        }
    }

    /// `workspace_id` may be null for a user without a workspace of their own unless the profile
    /// declares `capabilities.every_user_has_workspace`.
    private func mayBeNull(_ fieldName: String) -> Bool {
        fieldName == "workspace_id" && !context.app.profile.everyUserHasWorkspace
    }

    // MARK: Status

    private func seen(_ captured: Captured) -> String {
        if let error = captured.error { return "no answer (\(error))" }
        return "\(captured.status ?? 0) \(Clipped.text(captured.bodyText))"
    }

    // MARK: One response

    private func captured(_ name: String) throws -> Captured { try context.bindings.response(name) }

    private func response(_ name: String, _ check: ResponseCheck) throws -> String? {
        let response = try captured(name)
        if let wanted = check.outcome, let reason = try OutcomeJudge(profile: context.app.profile).failure(wanted, response, label: name) {
            return reason
        }
        if let wanted = check.status, !wanted.matches(response.status) {
            return "\(name): expected status \(wanted), got \(seen(response))"
        }
        if let header = check.header, let reason = self.header(header, response, label: name) { return reason }
        if check.onlyAppOrIdPRedirects, let reason = offsiteRedirect(response, label: name) { return reason }
        if let fieldName = check.field, let reason = try field(fieldName, of: name, response, check) { return reason }
        if let wanted = check.organizations {
            if let reason = try organizations(wanted, in: try listItems("organizations", response), label: "\(name).organizations") { return reason }
        }
        if let (otherName, fields) = check.notContains, let reason = try leak(of: fields, from: otherName, into: response, label: name) {
            return reason
        }
        if let needle = check.bodyContains, !response.bodyText.contains(needle) {
            return "\(name): expected the body to contain '\(needle)', got \(seen(response))"
        }
        if let rule = check.sessionCookie, let reason = try sessionCookie(rule, response) { return "\(name): \(reason)" }
        return nil
    }

    /// `session_cookie`: the cookies the login's callback chain left set (or the profile's
    /// named ones) follow `rule` (SessionCookieJudge).
    private func sessionCookie(_ rule: SessionCookieRule, _ response: Captured) throws -> String? {
        let profile = context.app.profile
        guard profile.codeFlow != nil, !response.hops.isEmpty else {
            throw ScenarioStop.notApplicable("session cookies are judged on a browser login's callback (a code-flow profile)")
        }
        if rule == .secure, !context.app.baseURL.lowercased().hasPrefix("https://"), !profile.sessionCookies.productionHTTPS {
            throw ScenarioStop.notApplicable(
                "the app is served over http and its profile does not declare session_cookies.production_https: true, "
                    + "so Secure is not required here")
        }
        let names = profile.sessionCookies.names
        let cookies = SessionCookieJudge.sessionCookies(response.hops, names: names)
        guard !cookies.isEmpty else {
            throw ScenarioStop.notApplicable(
                names.map { "the login set none of the profile's session cookies (\($0.joined(separator: ", ")))" }
                    ?? "the login's callback left no cookie set (a CSRF/XSRF cookie aside): this app keeps no cookie session to judge")
        }
        let host = URLComponents(string: context.app.baseURL)?.host ?? ""
        let urls = response.hops.flatMap { hop in [hop.url] + (hop.location.map { [LoginDriver.resolve($0, against: hop.url)] } ?? []) }
        return SessionCookieJudge.failure(rule, cookies, appHost: host, urls: urls)
    }

    /// `idp_session`: the session of the token's login, from the mock's own state; ended means
    /// revoked or expired *and* none of its refresh tokens is honoured by the refresh grant.
    private func idpSession(_ name: String, ended wanted: Bool) throws -> String? {
        let token = try context.bindings.token(name, for: "idp_session")
        guard let sid = token.sessionID ?? token.claims["sid"]?.stringValue else {
            throw ScenarioStop.harness("idp_session: token '\(name)' carries no sid")
        }
        let standing = context.idp.sessionStanding(sid)
        guard standing.exists else { throw ScenarioStop.harness("idp_session: the mock has no session \(sid) (token '\(name)')") }
        guard wanted else { return standing.ended ? "the IdP session \(sid) of \(name)'s login has ended; it should still be active" : nil }
        guard standing.ended else {
            return "the IdP session \(sid) of \(name)'s login is still active after the app's logout: the app never ended it at the IdP "
                + "(GET /user_management/sessions/logout?session_id=…, POST /user_management/sessions/revoke, or /oauth2/logout with "
                + "id_token_hint), so the IdP signs the user straight back in and the session's refresh token keeps working"
        }
        if let live = standing.refreshTokens.first(where: context.idp.refreshIsHonoured) {
            return "the IdP session \(sid) has ended but its refresh token \(live.prefix(8))… is still honoured by the refresh grant"
        }
        return nil
    }

    private func field(_ fieldName: String, of name: String, _ response: Captured, _ check: ResponseCheck) throws -> String? {
        let value = try context.field(fieldName, in: response)
        let shown = value?.serializedString() ?? "(missing)"
        if let wanted = check.equals, value != wanted {
            return "\(name).\(fieldName): expected \(wanted.serializedString()), got \(shown)"
        }
        if let unwanted = check.notEquals, value == unwanted {
            return "\(name).\(fieldName): expected anything but \(unwanted.serializedString())"
        }
        let absent = value == nil || value?.isNull == true
        if absent, mayBeNull(fieldName), check.notNull || check.idSpace != nil {
            // A user without a workspace of their own answers null; there is no ID to judge.
            return nil
        }
        if check.notNull, absent {
            return "\(name).\(fieldName): expected a value, got \(shown) in \(seen(response))"
        }
        if check.isNull, let value, !value.isNull {
            return "\(name).\(fieldName): expected null or absent, got \(shown)"
        }
        if let wanted = check.includes, !(value?.arrayValue ?? []).contains(where: { Self.sameURL($0.stringValue, wanted) }) {
            return "\(name).\(fieldName): expected an array that includes '\(wanted)', got \(shown)"
        }
        if let space = check.idSpace, let reason = idSpace(space, value, "\(name).\(fieldName)") {
            return reason
        }
        if let reference = check.appIDOf {
            guard let organization = context.idp.directory.resolveOrganization(reference) else {
                throw ScenarioStop.harness("app_id_of: no organization '\(reference)'")
            }
            if value?.stringValue != organization.externalID {
                return
                    "\(name).\(fieldName): expected the app's ID of organization '\(reference)' (\(organization.externalID ?? "none")), got \(shown)"
                    + (value?.stringValue == organization.id ? " — that is the IdP's ID for it: the two ID spaces are mixed" : "")
            }
        }
        return nil
    }

    /// Equal URLs, where an http(s) URL's empty path and `/` are one (RFC 3986 §6.2.3): an issuer
    /// `http://host:port` may be listed as `http://host:port/` by a correct server.
    static func sameURL(_ given: String?, _ wanted: String) -> Bool {
        guard let given else { return false }
        func normalized(_ url: String) -> String {
            guard let scheme = url.firstRange(of: "://") else { return url }
            return url[scheme.upperBound...].contains("/") ? url : url + "/"
        }
        return normalized(given) == normalized(wanted)
    }

    /// `not_contains`: the response holds none of another response's mapped field values.
    private func leak(of fields: [String], from otherName: String, into response: Captured, label name: String) throws -> String? {
        let source = try captured(otherName)
        // Each field the profile maps is compared; unmapped ones are left out, and only when
        // none is mapped can the check not be made.
        var unmapped: [String] = []
        for fieldName in fields {
            let value: JSONValue?
            do { value = try context.field(fieldName, in: source) } catch ScenarioStop.notApplicable {
                unmapped.append(fieldName)
                continue
            }
            guard let leaked = value?.stringValue, !leaked.isEmpty else { continue }
            if response.bodyText.contains(leaked) {
                return "\(name) contains \(otherName)'s \(fieldName) ('\(leaked)'): one user received another user's data"
            }
        }
        if !fields.isEmpty, unmapped.count == fields.count {
            throw ScenarioStop.notApplicable("the profile maps none of \(fields.joined(separator: ", ")) (add them under \"response\" to check them)")
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
    private func header(_ condition: HeaderCondition, _ response: Captured, label: String) -> String? {
        let name = condition.name
        let headers = response.firstHeaders.isEmpty ? response.headers : response.firstHeaders + response.headers
        let values = headers.filter { $0.name.lowercased() == name.lowercased() }.map(\.value)
        if let present = condition.present, present == values.isEmpty {
            return
                "\(label): expected header \(name) \(present ? "present" : "absent"), got \(values.isEmpty ? "none" : values.joined(separator: " | "))"
        }
        if let needle = condition.contains, !values.contains(where: { $0.contains(needle) }) {
            return "\(label): expected a \(name) header containing '\(needle)', got \(values.isEmpty ? "none" : values.joined(separator: " | "))"
        }
        if let needle = condition.notContains, let bad = values.first(where: { $0.contains(needle) }) {
            return "\(label): expected no \(name) header containing '\(needle)', got \(bad)"
        }
        if let wanted = condition.equals, !values.contains(wanted) {
            return "\(label): expected \(name): \(wanted), got \(values.isEmpty ? "none" : values.joined(separator: " | "))"
        }
        return nil
    }

    private func idSpace(_ space: IDSpaceRule, _ value: JSONValue?, _ label: String) -> String? {
        guard let text = value?.stringValue else { return "\(label): expected an ID, got \(value?.serializedString() ?? "(missing)")" }
        let directory = context.idp.directory
        switch space {
        case .app:
            if directory.idpSideIDs.contains(text) || (IDSpace.of(text) == .idp && !directory.appSideIDs.contains(text)) {
                return "\(label): '\(text)' is an IdP ID where the app's own ID belongs"
            }
            return nil
        case .notIdP:
            if directory.idpSideIDs.contains(text) || IDSpace.of(text) == .idp { return "\(label): '\(text)' is an IdP ID" }
            return nil
        case .idp:
            return IDSpace.of(text) == .idp ? nil : "\(label): '\(text)' is not an IdP ID"
        }
    }

    private func listItems(_ fieldName: String, _ response: Captured) throws -> [(id: String?, role: String?)] {
        guard case .list(let arrayPointer, let idPointer, let rolePointer)? = context.app.profile.responseFields[fieldName] else {
            throw ScenarioStop.notApplicable(
                "the profile maps no list '\(fieldName)' (add {\"array\", \"id\", \"role\"} under \"response\" to check it)")
        }
        let items = response.fieldJSON?.value(atPointer: arrayPointer)?.arrayValue ?? []
        return items.map { item in (item.value(atPointer: idPointer)?.stringValue, rolePointer.flatMap { item.value(atPointer: $0)?.stringValue }) }
    }

    /// The list must hold exactly these organizations, by the app's ID for each.
    private func organizations(_ wanted: [OrganizationEntry], in items: [(id: String?, role: String?)], label: String) throws -> String? {
        let directory = context.idp.directory
        var expected: [(id: String, role: String?, ref: String)] = []
        for entry in wanted {
            guard let organization = directory.resolveOrganization(entry.organization) else {
                throw ScenarioStop.harness("organizations: each entry needs an organization ref known to the mock")
            }
            expected.append((organization.externalID ?? "", entry.role, entry.organization))
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
            return
                "\(label): expected exactly [\(expected.map(\.ref).joined(separator: ", "))], also got [\(owners.joined(separator: ", "))] — a membership in the wrong tenant"
        }
        return nil
    }

    // MARK: Several responses

    private func responses(_ name: String, _ check: ResponsesCheck) throws -> String? {
        guard let list = context.bindings.responseLists[name] else { throw ScenarioStop.harness("expect: no parallel responses named '\(name)'") }
        if let wanted = check.outcome {
            let judge = OutcomeJudge(profile: context.app.profile)
            var bad: [(Int, String)] = []
            for (index, item) in list.enumerated() {
                if let reason = try judge.failure(wanted, item, label: "\(name) #\(index + 1)") { bad.append((index, reason)) }
            }
            if let first = bad.first {
                return "\(name): expected every login \(wanted.rawValue); \(bad.count) of \(list.count) were not, e.g. \(first.1)"
            }
        }
        if let wanted = check.status {
            let bad = list.enumerated().filter { !wanted.matches($0.element.status) }
            if let first = bad.first {
                return
                    "\(name): expected every status \(wanted); \(bad.count) of \(list.count) were not, e.g. #\(first.offset + 1): \(seen(first.element))"
            }
        }
        if let (fieldName, wantedCount) = check.distinct {
            var values: Set<String> = []
            for item in list {
                if let value = try context.field(fieldName, in: item), !value.isNull { values.insert(value.serializedString()) }
            }
            var expected = wantedCount
            if let count = wantedCount, mayBeNull(fieldName) {
                // Users without a workspace answer null: the count is of the IDs that were named.
                let named = try list.filter { try context.field(fieldName, in: $0).map { !$0.isNull } ?? false }.count
                expected = min(count, named)
            }
            if let count = expected, values.count != count {
                let sample = values.sorted().prefix(5).joined(separator: ", ")
                return "\(name): expected \(count) distinct \(fieldName) across \(list.count) responses, got \(values.count): \(sample)"
            }
        }
        if let (fieldName, min, max) = check.nonNull {
            var count = 0
            for item in list where try context.field(fieldName, in: item).map({ !$0.isNull }) ?? false { count += 1 }
            if let max, count > max {
                return "\(name): expected at most \(max) responses with \(fieldName), got \(count)"
            }
            if let min, count < min, !mayBeNull(fieldName) {
                return "\(name): expected at least \(min) responses with \(fieldName), got \(count)"
            }
        }
        return nil
    }

    private func same(_ names: [String], ignore: [String]) throws -> String? {
        if context.app.profile.codeFlow != nil {
            throw ScenarioStop.notApplicable(
                "a code-flow app cannot answer a replayed callback identically (its second code exchange fails at the mock); outcomes and introspection judge the replay"
            )
        }
        let first = try captured(names[0])
        for name in names.dropFirst() {
            let other = try captured(name)
            if first.status != other.status {
                return
                    "\(names[0]) and \(name) differ: status \(first.status.map(String.init) ?? "none") vs \(other.status.map(String.init) ?? "none")"
            }
            if ignore.isEmpty {
                if first.body != other.body {
                    return
                        "\(names[0]) and \(name) differ (a replay must return the identical body); first difference: \(Self.firstDifference(first.json, other.json) ?? "in the bytes")\n       \(names[0]): \(Clipped.text(first.bodyText))\n       \(name): \(Clipped.text(other.bodyText))"
                }
            } else {
                let left = Self.removing(ignore, from: first.json)
                let right = Self.removing(ignore, from: other.json)
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

    private func introspect(_ userName: String, _ check: IntrospectCheck) throws -> String? {
        guard let introspection = context.app.profile.introspection else {
            throw ScenarioStop.notApplicable("the profile declares no capabilities.introspection")
        }
        guard let user = context.bindings.users[userName] ?? context.idp.directory.resolveUser(userName) else {
            throw ScenarioStop.harness("introspect: no user '\(userName)'")
        }
        let path = introspection.call.path.replacing("{idp_user_id}", with: user.id)
            .replacing("{email}", with: user.email)
        let captured = context.wire.send(
            context.app.request(method: introspection.call.method, path: path, token: nil, body: nil), step: "introspect \(userName)", token: nil)
        guard captured.status == 200, let json = captured.json else {
            throw ScenarioStop.harness("introspection for \(userName) answered \(seen(captured))")
        }
        func value(_ name: String) throws -> JSONValue? {
            guard let mapping = introspection.fields[name] else {
                throw ScenarioStop.notApplicable("the profile's capabilities.introspection maps no '\(name)'")
            }
            return mapping.value(json: json, text: captured.bodyText)
        }
        for (counter, wanted) in check.counters {
            let actual = try value(counter.rawValue)?.intValue.map { Int($0) }
            if let reason = wanted.failure(actual, label: "\(userName): \(counter.rawValue)") { return reason }
        }
        if let wanted = check.email, try value("email") != wanted {
            return "\(userName): expected email \(wanted.serializedString()), got \(try value("email")?.serializedString() ?? "(missing)")"
        }
        var items: [(id: String?, role: String?)] = []
        if check.membershipCount != nil || check.memberships != nil {
            guard case .list(let array, let id, let role)? = introspection.fields["memberships"] else {
                throw ScenarioStop.notApplicable("the profile's capabilities.introspection maps no 'memberships' list")
            }
            items = (json.value(atPointer: array)?.arrayValue ?? []).map { item in
                (item.value(atPointer: id)?.stringValue, role.flatMap { item.value(atPointer: $0)?.stringValue })
            }
        }
        if let wanted = check.membershipCount, let reason = wanted.failure(items.count, label: "\(userName): memberships") {
            return reason
        }
        if let wanted = check.memberships {
            return try organizations(wanted, in: items, label: "\(userName): memberships")
        }
        return nil
    }

    private func journal(_ check: JournalCheck) throws -> String? {
        var filter = Journal.Filter(method: check.method, pathPrefix: check.pathPrefix)
        filter.flag = check.flag
        if let mark = check.since {
            filter.sinceSequence = try context.bindings.mark(mark, for: "journal.since")
        }
        if let name = check.sessionOf {
            let token = try context.bindings.token(name, for: "journal.session_of")
            guard let sid = token.sessionID ?? token.claims["sid"]?.stringValue else {
                throw ScenarioStop.harness("journal.session_of: token '\(name)' carries no sid")
            }
            filter.sessionID = sid
        }
        let entries = context.idp.journal.entries(filter)
        var wanted = check.count
        if check.refetchAllowance, let mark = check.since, let max = wanted.max {
            wanted.max = max + (try refetchesAllowed(since: mark))
        }
        if let reason = wanted.failure(entries.count, label: "requests the app sent the IdP (\(check.filterDescription))") {
            let sample = entries.prefix(3).map { entry in
                "\(entry.method) \(entry.path)\(entry.query.isEmpty ? "" : "?" + entry.query)"
                    + entry.flags.map { " [\($0.kind.rawValue): \($0.reason) in \($0.field) = \($0.value)]" }.joined()
            }
            return reason + (sample.isEmpty ? "" : "; e.g. " + sample.joined(separator: "; "))
        }
        return nil
    }

    /// Each hit names the header that carried its URL: the path segment after the run ID.
    private func canary(_ check: CanaryCheck) throws -> String? {
        let hits = try context.sides.canaryListener().hits(run: context.runID)
        let label = "requests the app sent the runner's canary (URLs only a token named, under /\(context.runID)/)"
        guard let reason = check.count.failure(hits.count, label: label) else { return nil }
        let fetches = hits.prefix(5).map { hit -> String in
            let header = hit.path.split(separator: "/").dropFirst().first.map(String.init) ?? "?"
            return "the \(header) header led to \(hit.method) \(hit.path)"
        }
        return reason + (fetches.isEmpty ? "" : ": " + fetches.joined(separator: "; "))
    }

    /// A correct app may fetch the JWKS again once its cache expires or its refetch cooldown
    /// passes: one fetch per such window (the shorter of the two declared values) since `mark`.
    private func refetchesAllowed(since mark: String) throws -> Int {
        let profile = context.app.profile
        let windows = [profile.jwksCacheTTLSeconds, profile.jwksCooldownSeconds].compactMap { $0 }.filter { $0 > 0 }
        guard let window = windows.min() else {
            throw ScenarioStop.notApplicable(
                "the profile declares neither capabilities.jwks_cache_ttl_seconds nor jwks_refetch_cooldown_seconds above 0")
        }
        guard let started = context.bindings.markTimes[mark] else { throw ScenarioStop.harness("journal.since: no mark '\(mark)'") }
        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        return Int((elapsed / window).rounded(.up))
    }
}

// MARK: - `${…}` in a check's values, resolved when it runs

extension ResponseCheck {
    func resolved(by context: ScenarioContext) throws -> ResponseCheck {
        var check = self
        check.header = try header.map { header in
            HeaderCondition(
                name: try context.text(header.name), present: header.present, contains: try header.contains.map(context.text),
                notContains: try header.notContains.map(context.text), equals: try header.equals.map(context.text))
        }
        check.field = try field.map(context.text)
        check.equals = try equals.map(context.resolve)
        check.notEquals = try notEquals.map(context.resolve)
        check.appIDOf = try appIDOf.map(context.text)
        check.organizations = try organizations?.map { try $0.resolved(by: context) }
        check.notContains = try notContains.map { (try context.text($0.response), try $0.fields.map(context.text)) }
        check.bodyContains = try bodyContains.map(context.text)
        check.includes = try includes.map(context.text)
        return check
    }
}

extension ResponsesCheck {
    func resolved(by context: ScenarioContext) throws -> ResponsesCheck {
        var check = self
        check.distinct = try distinct.map { (try context.text($0.field), $0.count) }
        check.nonNull = try nonNull.map { (try context.text($0.field), $0.min, $0.max) }
        return check
    }
}

extension IntrospectCheck {
    func resolved(by context: ScenarioContext) throws -> IntrospectCheck {
        var check = self
        check.email = try email.map(context.resolve)
        check.memberships = try memberships?.map { try $0.resolved(by: context) }
        return check
    }
}

extension JournalCheck {
    func resolved(by context: ScenarioContext) throws -> JournalCheck {
        var check = self
        check.pathPrefix = try pathPrefix.map(context.text)
        check.method = try method.map(context.text)
        check.sessionOf = try sessionOf.map(context.text)
        return check
    }
}

extension OrganizationEntry {
    func resolved(by context: ScenarioContext) throws -> OrganizationEntry {
        OrganizationEntry(organization: try context.text(organization), role: try role.map(context.text))
    }
}
