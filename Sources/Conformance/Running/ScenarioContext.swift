import Foundation
import HTTP
import IdP
import JOSE
import JSON

/// What a response step captured.
struct Captured: Sendable {
    var status: Int?
    var body: [UInt8]
    var json: JSONValue?
    var error: String?
    /// Response headers (`Location`, `Set-Cookie`, …), readable by checks.
    var headers: [(name: String, value: String)] = []
    /// The probe request sent after a login, when the profile has one: identity is read there.
    var probe: Probe?
    /// Every status on the way (a code-flow login's redirects within the app); empty: just `status`.
    var chain: [Int] = []
    /// The first answer's headers when redirects were followed (the callback's own `Set-Cookie`, `Location`).
    var firstHeaders: [(name: String, value: String)] = []
    /// The `Authorization` header the request carried, to send the probe as the same caller.
    var sentAuthorization: String?

    struct Probe: Sendable {
        var status: Int?
        var body: [UInt8]
        var json: JSONValue?
    }

    var bodyText: String { String(decoding: body, as: UTF8.self) }

    /// Where profile fields are read: the probe's answer when there was one, else this answer.
    var fieldJSON: JSONValue? { probe.map(\.json) ?? json }
    var fieldText: String { probe.map { String(decoding: $0.body, as: UTF8.self) } ?? bodyText }

    func header(_ name: String) -> String? { headers.first { $0.name.lowercased() == name.lowercased() }?.value }

    var setCookies: [String] { headers.filter { $0.name.lowercased() == "set-cookie" }.map(\.value) }

    /// Every status the login produced: the redirect chain and the probe.
    var allStatuses: [Int] { (chain.isEmpty ? [status].compactMap { $0 } : chain) + [probe?.status].compactMap { $0 } }
}

/// A harness problem inside a scenario (unknown name, IdP refused a setup call): verdict error.
struct StepError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// The profile lacks what a step or check needs (a hook, a mapped value): the check or the
/// scenario is not applicable, never failed.
struct NotApplicable: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A wait longer than `--max-wait`: the scenario is skipped with a reason naming the profile
/// value that asks for it, rather than cut short.
struct WaitTooLong: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// The names a scenario binds as it runs, and the transcript of what it sent.
final class ScenarioContext {
    let scenario: Scenario
    let idp: MockIdP
    let app: AppTarget
    let runID: String
    var users: [String: User] = [:]
    var tokens: [String: MintedToken] = [:]
    /// What each token was minted from, so a code-flow login can bind it (and refreshes re-mint it).
    var tokenRequests: [String: TokenRequest] = [:]
    /// The `user` object the authenticate answer carries for a token, when it is not the token's own user.
    var userObjects: [String: String] = [:]
    /// Code-flow logins by token name: a second callback with the same token replays its URL.
    var browserLogins: [String: LoginDriver.BrowserLogin] = [:]
    /// Cookies saved by `cookies` steps, replayed by a probe in a fresh browser.
    var cookieSnapshots: [String: [CookieJar.Cookie]] = [:]
    var responses: [String: Captured] = [:]
    var responseLists: [String: [Captured]] = [:]
    var kids: [String: String] = [:]
    var marks: [String: Int] = [:]
    /// When each mark was set (monotonic nanoseconds), for allowances that grow with time.
    var markTimes: [String: UInt64] = [:]
    var transcript: [Exchange] = []
    var findings: [Finding] = []
    /// Checks that could not be evaluated against this app, with the reason.
    var notApplicable: [String] = []
    /// Waits longer than this skip the scenario (`--max-wait`).
    var maxWait: Double = 120
    /// The shared batch's job slots, given up while this scenario sleeps in a wait.
    var jobSlots: JobSlots?
    var freshCounter = 0
    /// Set when the scenario changed the mock's keys, so the runner can let the app's cache settle.
    var keysChanged = false

    init(scenario: Scenario, idp: MockIdP, app: AppTarget) {
        self.scenario = scenario
        self.idp = idp
        self.app = app
        runID = String(idp.ids.ulid().suffix(10)).lowercased()
    }

    // MARK: Names and ${…} references

    /// Replaces `${…}` references in every string of a JSON value. A string that is exactly one
    /// reference takes the referenced value's JSON type (so `"${r.count}"` can be a number).
    func resolve(_ value: JSONValue) throws -> JSONValue {
        switch value {
        case .string(let text): return try resolveString(text)
        case .array(let elements): return .array(try elements.map(resolve))
        case .object(let object):
            return .object(JSONObject(try object.members.map { (key: try text($0.key), value: try resolve($0.value)) }))
        default: return value
        }
    }

    func resolveString(_ text: String) throws -> JSONValue {
        guard text.contains("${") else { return .string(text) }
        if text.hasPrefix("${"), text.hasSuffix("}"), text.dropFirst(2).firstIndex(of: "$") == nil, text.filter({ $0 == "}" }).count == 1 {
            return try lookup(String(text.dropFirst(2).dropLast()))
        }
        var output = ""
        var rest = Substring(text)
        while let start = rest.range(of: "${") {
            output += rest[..<start.lowerBound]
            guard let end = rest[start.upperBound...].firstIndex(of: "}") else { throw StepError("unclosed ${ in '\(text)'") }
            let value = try lookup(String(rest[start.upperBound..<end]))
            output += value.stringValue ?? value.serializedString()
            rest = rest[rest.index(after: end)...]
        }
        return .string(output + rest)
    }

    func text(_ template: String) throws -> String {
        let value = try resolveString(template)
        return value.stringValue ?? value.serializedString()
    }

    func lookup(_ reference: String) throws -> JSONValue {
        let parts = reference.split(separator: ".", maxSplits: 1).map(String.init)
        let name = parts[0]
        let rest = parts.count > 1 ? parts[1] : nil
        if name == "run" { return .string(runID) }
        if name == "now" || name.hasPrefix("now+") || name.hasPrefix("now-") {
            // ${now}, ${now+300}, ${now-60}: the mock's clock in Unix seconds, for raw payloads.
            let offset = name.dropFirst(3)
            guard offset.isEmpty || Int64(offset.replacingOccurrences(of: "+", with: "")) != nil else { throw StepError("${\(name)}: use ${now}, ${now+N} or ${now-N}") }
            return .int(idp.clock.now() + (Int64(offset.replacingOccurrences(of: "+", with: "")) ?? 0))
        }
        if name == "idp" {
            switch rest {
            case "base_url": return .string(idp.baseURL)
            case "issuer": return .string(idp.issuer)
            case "jwks_url": return .string(idp.jwksURL)
            case "client_id": return .string(idp.configuration.clientID)
            case "kid": return .string(idp.keys.activeKey.kid)
            default: throw StepError("${idp.\(rest ?? "")}: use base_url, issuer, jwks_url, client_id or kid")
            }
        }
        if name == "profile" {
            switch rest {
            case "email_claim":
                guard let claim = app.profile.emailClaim else { throw NotApplicable("the profile declares no capabilities.email_claim") }
                return .string(claim)
            default: throw StepError("${profile.\(rest ?? "")}: use email_claim")
            }
        }
        if name == "org" {
            guard let rest else { throw StepError("${org} needs a fixture ref: ${org.acme.id} or ${org.acme.app_id}") }
            let pieces = rest.split(separator: ".", maxSplits: 1).map(String.init)
            guard let organization = idp.directory.resolveOrganization(pieces[0]) else { throw StepError("no organization '\(pieces[0])' in the mock") }
            switch pieces.count > 1 ? pieces[1] : "id" {
            case "id": return .string(organization.id)
            case "app_id": return organization.externalID.map(JSONValue.string) ?? .null
            case "name": return .string(organization.name)
            case let other: throw StepError("${org.\(pieces[0]).\(other)}: use id, app_id or name")
            }
        }
        if let user = users[name] { return try userField(user, rest, name: name) }
        if let token = tokens[name] {
            guard let rest else { return .string(token.token) }
            if rest.hasPrefix("header.") { return token.header[String(rest.dropFirst("header.".count))] ?? .null }
            return token.claims[rest] ?? .null
        }
        if let response = responses[name] {
            guard let rest else { throw StepError("${\(name)} is a response: name a field, e.g. ${\(name).workspace_id}") }
            if rest == "status" { return response.status.map { .int(Int64($0)) } ?? .null }
            if rest.hasPrefix("header.") { return response.header(String(rest.dropFirst("header.".count))).map(JSONValue.string) ?? .null }
            return try field(rest, in: response) ?? .null
        }
        if let kid = kids[name] { return .string(kid) }
        // A fixture ref (`${alice.email}`) counts only with a field, and after every bound name.
        if rest != nil, let fixture = idp.directory.user(ref: name) { return try userField(fixture, rest, name: name) }
        throw StepError("${\(reference)}: '\(name)' is not bound by an earlier step")
    }

    private func userField(_ user: User, _ field: String?, name: String) throws -> JSONValue {
        switch field ?? "id" {
        case "id": return .string(user.id)
        case "email": return .string(user.email)
        case "app_id": return user.externalID.map(JSONValue.string) ?? .null
        case let other: throw StepError("${\(name).\(other)}: a user has id, email and app_id")
        }
    }

    /// A response value by profile field name (`workspace_id`) or JSON Pointer (`/a/b`); a name
    /// the profile does not map makes the check not applicable.
    func field(_ name: String, in response: Captured) throws -> JSONValue? {
        if name.hasPrefix("/") { return response.fieldJSON?.value(atPointer: name) }
        guard let mapping = app.profile.responseFields[name] else {
            throw NotApplicable("the profile maps no response field '\(name)' (add it under \"response\" to check it)")
        }
        return mapping.value(json: response.fieldJSON, text: response.fieldText)
    }

    var idpHost: String? { URLComponents(string: idp.baseURL)?.host }

    func tokenText(_ name: String) throws -> String {
        if let token = tokens[name] { return token.token }
        let resolved = try resolveString(name)
        guard let text = resolved.stringValue, text.split(separator: ".").count >= 2 else {
            throw StepError("token '\(name)' is not minted by an earlier step")
        }
        return text
    }

    // MARK: Sending

    static let reportedHeaders: Set<String> = ["location", "set-cookie", "content-type", "www-authenticate", "retry-after"]

    /// The headers a report shows, each value cut to 200 characters (a sealed session is kilobytes).
    static func reported(_ fields: [(name: String, value: String)]) -> [(name: String, value: String)] {
        fields.filter { reportedHeaders.contains($0.name.lowercased()) }.map { field in
            // A cookie's value is cut, never its attributes (Secure, HttpOnly, SameSite matter to a reader).
            let cut = field.name.lowercased() == "set-cookie" ? (field.value.firstIndex(of: ";") ?? field.value.endIndex) : field.value.endIndex
            let head = field.value[..<cut], tail = field.value[cut...]
            guard head.count > 200 else { return field }
            return (name: field.name, value: String(head.prefix(120)) + "…(\(head.utf8.count) bytes)" + tail)
        }
    }

    /// The mock's 4xx/5xx answers to the app since `sequence`, for the report.
    func idpAnswers(since sequence: Int) -> [String] {
        idp.journal.entries(Journal.Filter(sinceSequence: sequence)).filter { $0.status >= 400 || $0.status == 0 }.map { entry in
            "\(entry.status == 0 ? "dropped" : String(entry.status)) to \(entry.method) \(entry.path)" + (entry.errorBody.map { " " + String($0.prefix(300)) } ?? "")
        }
    }

    func send(_ request: ClientRequest, step: String, token: String?) -> Captured {
        let started = DispatchTime.now().uptimeNanoseconds
        var exchange = Exchange(step: step, method: request.method, url: request.url,
                                requestHeaders: request.headers.fields.map { (name: $0.name, value: $0.name.lowercased() == "authorization" ? "Bearer <token>" : $0.value) },
                                requestBody: String(decoding: request.body, as: UTF8.self),
                                tokenText: token)
        let mark = idp.journal.lastSequence
        var captured: Captured
        do {
            let response = try app.client.send(request)
            captured = Captured(status: response.status, body: response.body, json: try? response.json(), error: nil, headers: response.headers.fields)
            exchange.status = response.status
            exchange.responseBytes = response.body
            exchange.responseHeaders = Self.reported(response.headers.fields)
        } catch {
            captured = Captured(status: nil, body: [], json: nil, error: error.description)
            exchange.error = error.description
        }
        captured.sentAuthorization = request.headers["Authorization"]
        exchange.micros = Int((DispatchTime.now().uptimeNanoseconds - started) / 1000)
        exchange.idpAnswers = idpAnswers(since: mark)
        transcript.append(exchange)
        return captured
    }

    /// Fires requests at once over pre-opened connections (the race primitive), in order.
    func sendConcurrently(_ requests: [ClientRequest], step: String, tokens: [String?]) -> [Captured] {
        let mark = idp.journal.lastSequence
        let results = app.client.sendConcurrently(requests)
        let answers = idpAnswers(since: mark)
        var captured: [Captured] = []
        for (index, result) in results.enumerated() {
            let request = requests[index]
            var exchange = Exchange(step: "\(step) #\(index + 1)", method: request.method, url: request.url, requestHeaders: [],
                                    requestBody: "", tokenText: tokens[index])
            switch result {
            case .success(let response):
                var one = Captured(status: response.status, body: response.body, json: try? response.json(), error: nil, headers: response.headers.fields)
                one.sentAuthorization = request.headers["Authorization"]
                captured.append(one)
                exchange.status = response.status
                exchange.responseBytes = response.body
                exchange.responseHeaders = Self.reported(response.headers.fields)
            case .failure(let error):
                captured.append(Captured(status: nil, body: [], json: nil, error: error.description))
                exchange.error = error.description
            }
            if index == 0 { exchange.idpAnswers = answers }
            transcript.append(exchange)
        }
        return captured
    }

    /// The token's header and payload as JSON, for the report; never trusted for anything else.
    static func decodeForReport(_ token: String) -> JSONValue {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        func segment(_ index: Int) -> JSONValue {
            guard parts.count > index, let bytes = try? Base64URL.decode(parts[index]) else { return .null }
            return (try? JSONValue.parse(bytes)) ?? .string(String(decoding: bytes, as: UTF8.self))
        }
        return ["header": segment(0), "payload": segment(1), "signature_bytes": .int(Int64(parts.count > 2 ? ((try? Base64URL.decode(parts[2]))?.count ?? -1) : -1))]
    }
}
