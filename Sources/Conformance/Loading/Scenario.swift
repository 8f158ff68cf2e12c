import Essentials
import FoundationEssentials
import Glibc
import IdP
import JSON

/// One conformance case: what to set up, what to send, what must hold. Loaded from a JSON file
/// a reviewer can read in one pass (see scenarios/README.md for the format).
package struct Scenario: Sendable {
    package struct References: Sendable {
        package var bugs: [String] = []
        package var rfc: [String] = []
        package var oidf: [String] = []
    }

    package var file: String
    package var id: String
    package var family: String
    package var title: String
    package var description: String?
    /// When the scenario fails and when it passes, in the file's own words (shown with a failure).
    package var verdict: VerdictRule?
    package var references = References()
    package var requires: [Capability] = []
    package var idSpaces: IDSpaceMode = .strict
    package var steps: [Step]
    /// `${name.field}` references to names no step binds, checked against the mock's fixtures.
    package var fixtureReferences: [FixtureReference] = []
}

/// The scenario's own statement of its verdict: what makes an app fail, and what passes.
package struct VerdictRule: Sendable, Equatable {
    package var failsWhen: String
    package var passesWhen: String
}

package indirect enum Step: Sendable {
    case user(UserStep)
    case mint(MintStep)
    case callback(CallbackStep)
    /// The profile's probe again, in the browser (cookie jar) of a token's earlier login, or in
    /// a fresh browser holding only the cookies a `cookies` step saved.
    case probe(ProbeStep)
    /// Saves the cookies a token's browser holds (now, or right before its callback).
    case cookies(CookieSnapshotStep)
    /// The profile's logout route in a token's browser.
    case logout(name: String, token: String)
    /// Revokes, at the mock, the IdP session (`sid`) of a token.
    case revokeSession(token: String)
    case parallel(ParallelStep)
    case request(RequestStep)
    case credentials(CredentialsStep)
    case keys(KeysStep)
    case idpFault(JSONObject)
    case appFault(JSONObject)
    case clock(advance: Int64)
    case wait(seconds: Double?, jwksTTLPlus: Double?, cooldownPlus: Double?, leewayPlus: Double? = nil)
    /// Until the token is past its `exp` plus the app's declared leeway (and a second for apps
    /// that compare whole seconds), however long its login took.
    case waitUntilExpired(token: String)
    case mark(String)
    case jwtTemplate(String)
    case repeatBlock(times: Int, steps: [Step])
    case expect(Expectation)
    /// Bounds the runner's wait for the app's answers by the profile's declared IdP timeout
    /// plus `plus` seconds (an answer later than that is a hang); nil: the runner's own timeout again.
    case deadline(plus: Double?)
    /// The `/_mock/oauth2/token_overrides` body: the next `/oauth2/token` answers are forged.
    case tokenOverride(JSONObject)
    /// A refresh token of the login's family that the app already rotated, replayed at the mock.
    case replayRefresh(token: String)

    /// The step's JSON key, for messages and transcripts.
    package var kind: StepKind {
        switch self {
        case .user: return .user
        case .mint: return .mint
        case .callback: return .callback
        case .probe: return .probe
        case .cookies: return .cookies
        case .logout: return .logout
        case .revokeSession: return .revokeSession
        case .parallel: return .parallel
        case .request: return .request
        case .credentials: return .credentials
        case .keys: return .keys
        case .idpFault: return .idpFault
        case .appFault: return .appFault
        case .clock: return .clock
        case .wait, .waitUntilExpired: return .wait
        case .mark: return .mark
        case .jwtTemplate: return .jwtTemplate
        case .repeatBlock: return .repeatBlock
        case .expect: return .expect
        case .deadline: return .deadline
        case .tokenOverride: return .tokenOverride
        case .replayRefresh: return .replayRefresh
        }
    }
}

package struct UserStep: Sendable {
    package var name: String
    package var fixture: String?
    package var memberships: [(organization: String, role: String)] = []
}

package struct MintStep: Sendable {
    package var name: String
    /// The `/_mock/tokens` body: `user`, `organization`, `claims`, `omit`, `header`, `sign`, …
    /// with `${…}` references resolved when the step runs.
    package var request: JSONObject
}

package struct CallbackStep: Sendable {
    package var name: String
    package var token: String?
    /// Send the request with no token at all (the "no-token baseline").
    package var noToken: Bool
    /// Code shape: query parameters for the app's login route (`return_to`).
    package var loginQuery: [(name: String, value: String)] = []
    /// Code shape: the callback's `state` as delivered.
    package var state: StateTampering?
    /// Code shape (`"browser": "victim"`): login CSRF — a code from an authorize request the
    /// runner builds as an attacker (no PKCE, its own state), delivered in a browser with no cookies.
    package var freshBrowser = false
    /// Code shape: the authorization response's `iss` as delivered (RFC 9207 mix-up).
    package var iss: IssuerTampering?
}

/// How a callback's `state` is tampered with (RFC 6749 §10.12).
package enum StateTampering: String, Sendable, CaseIterable {
    /// No `state` parameter at all.
    case missing
    /// The issued state with its characters changed.
    case altered
    /// The state of another login the app started (in another browser).
    case otherLogin = "other_login"
}

/// How a callback's `iss` is tampered with (RFC 9207 §2.4: a client that supports it refuses both).
package enum IssuerTampering: String, Sendable, CaseIterable {
    /// No `iss` parameter at all.
    case missing
    /// The attacker IdP's issuer: the response claims to come from another authorization server.
    case attacker
}

package struct ProbeStep: Sendable {
    package var name: String
    package var token: String?
    /// A `cookies` step's snapshot, replayed in a fresh browser.
    package var cookies: String?
}

package struct CookieSnapshotStep: Sendable {
    package var name: String
    package var token: String
    /// `now` or `before_callback` (what the browser held when the IdP sent it back).
    package var beforeCallback: Bool
}

package struct ParallelStep: Sendable {
    package var name: String
    package var count: Int
    /// Each request gets its own token minted from this spec, or all share `token`.
    package var mint: JSONObject?
    package var token: String?
    /// Each request is a new user's first login (bound as `<name>_1` … `<name>_N`).
    package var freshUsers = false
    /// Each request is the probe in a fresh browser holding this `cookies` snapshot: N browsers
    /// of one session at one instant (their cookies afterwards are saved as `<name>#1` … `<name>#N`).
    package var cookies: String? = nil
}

package struct RequestStep: Sendable {
    package var name: String
    package var method: String
    package var path: String
    package var token: String?
    package var body: JSONValue?
}

package struct CredentialsStep: Sendable {
    package var name: String
    package var action: String
    package var organization: String
    package var token: String
    package var credential: String?
}

package struct KeysStep: Sendable {
    package var name: String?
    package var action: String
    package var kid: String?
}

/// A check, parsed at load: exactly one subject (`response`, `responses`, `same`, `introspect`,
/// `journal`, `any_of`, `all_of`) with the conditions that apply to it.
package struct Expectation: Sendable {
    package enum Subject: Sendable {
        case response(String, ResponseCheck)
        case responses(String, ResponsesCheck)
        case same([String], ignore: [String])
        case introspect(String, IntrospectCheck)
        case journal(JournalCheck)
        case anyOf([Expectation])
        case allOf([Expectation])
        /// The IdP session of a token's login: `ended` (true) or still active (false).
        case idpSession(String, ended: Bool)
        case canary(CanaryCheck)

        var kind: CheckKind {
            switch self {
            case .response: return .response
            case .responses: return .responses
            case .same: return .same
            case .introspect: return .introspect
            case .journal: return .journal
            case .anyOf: return .anyOf
            case .allOf: return .allOf
            case .idpSession: return .idpSession
            case .canary: return .canary
            }
        }
    }

    package var subject: Subject
    /// Why this must hold, shown with a failure.
    package var because: String?
    /// The seeded-bug id or reference this check stands for, if it is the catching check.
    package var step: String
    /// `"else": "not_applicable"`: a premise. When it does not hold, the scenario is not
    /// applicable to this app (it never did what the scenario probes) rather than failed.
    package var premise = false

    /// The responses this check reads, in the order it names them.
    package var responseNames: [String] {
        switch subject {
        case .response(let name, _), .responses(let name, _), .introspect(let name, _): return [name]
        case .same(let names, _): return names
        case .journal, .idpSession, .canary: return []
        case .anyOf(let inner), .allOf(let inner):
            var names: [String] = []
            for name in inner.flatMap(\.responseNames) where !names.contains(name) { names.append(name) }
            return names
        }
    }

    /// `"else": "id_token_signature_optional"` on an `outcome: refused` check of a token whose
    /// signature cannot verify: in the id_token role OIDC Core §3.1.3.7 rule 6 lets a client
    /// skip the signature of an id_token it received directly from the token endpoint, so
    /// acceptance is a pass with a note (a 5xx still fails). In any other role the check is as written.
    package var idTokenSignatureOptional = false

    /// The check with `outcome: not_5xx` in place of `refused`, for the id_token role's allowance.
    var relaxedForDirectIDToken: Expectation? {
        guard idTokenSignatureOptional, case .response(let name, var check) = subject, check.outcome == .refused else { return nil }
        check.outcome = .not5xx
        var relaxed = self
        relaxed.subject = .response(name, check)
        relaxed.idTokenSignatureOptional = false
        return relaxed
    }
}

// MARK: - Loading

package enum ScenarioLoader {
    package static func load(file: String) throws(ConfigError) -> Scenario {
        let value = try JSONReader.document(at: file, what: "scenario file")
        return try parse(value, file: file)
    }

    /// A scenario file, or a matrix file (`"matrix": …`) expanded into its scenarios.
    package static func loadAll(file: String) throws(ConfigError) -> [Scenario] {
        try parseAll(try JSONReader.document(at: file, what: "scenario file"), file: file)
    }

    /// What `loadAll` does, for a document already read (e.g. embedded in the binary).
    package static func parseAll(_ value: JSONValue, file: String) throws(ConfigError) -> [Scenario] {
        ScenarioMatrix.isMatrix(value) ? try ScenarioMatrix.expand(value, file: file) : [try parse(value, file: file)]
    }

    package static func parse(_ value: JSONValue, file: String) throws(ConfigError) -> Scenario {
        let root = JSONReader(value, file: file)
        try root.checkKeys(["$schema", "id", "family", "title", "description", "verdict", "references", "requires", "id_spaces", "steps"])
        let id = try root.requiredString("id")
        var scenario = Scenario(
            file: file, id: id, family: try root.string("family") ?? (id.split(separator: ".").first.map(String.init) ?? "default"),
            title: try root.requiredString("title"), description: try root.string("description"), steps: [])
        if let references = root.child("references") {
            try references.checkKeys(["bugs", "rfc", "oidf"])
            scenario.references = Scenario.References(
                bugs: try references.strings("bugs") ?? [], rfc: try references.strings("rfc") ?? [],
                oidf: try references.strings("oidf") ?? [])
        }
        if let verdict = root.child("verdict") {
            try verdict.checkKeys(["fails_when", "passes_when"])
            scenario.verdict = VerdictRule(failsWhen: try verdict.requiredString("fails_when"), passesWhen: try verdict.requiredString("passes_when"))
        }
        // A misspelt capability would make the scenario not applicable on every app, silently.
        for (index, name) in (try root.strings("requires") ?? []).enumerated() {
            scenario.requires.append(try Vocabulary.parse(name, as: Capability.self, what: "capability") { root.error("requires[\(index)]", $0) })
        }
        if let mode = try root.string("id_spaces") {
            guard let parsed = IDSpaceMode(rawValue: mode) else { throw root.error("id_spaces", "'\(mode)' is not strict or adversarial") }
            scenario.idSpaces = parsed
        }
        guard let steps = value["steps"]?.arrayValue, !steps.isEmpty else { throw root.error("steps", "is required and must be a non-empty array") }
        let parsed = try parseSteps(steps, file: file, prefix: "steps")
        scenario.steps = parsed.map(\.step)
        try ScenarioValidation.checkID(id, file: file)
        var validation = ScenarioValidation(file: file, steps: parsed)
        try validation.check(parsed)
        scenario.fixtureReferences = validation.fixtureReferences
        _ = try ScenarioBudget.measure(scenario.steps, file: file)
        return scenario
    }

    static func parseSteps(_ steps: [JSONValue], file: String, prefix: String) throws(ConfigError) -> [ParsedStep] {
        var result: [ParsedStep] = []
        for (index, value) in steps.enumerated() {
            result.append(try parseStep(value, file: file, step: "\(prefix)[\(index)]"))
        }
        return result
    }

    static func parseStep(_ value: JSONValue, file: String, step: String) throws(ConfigError) -> ParsedStep {
        let names = StepKind.allCases.map(\.rawValue)
        guard let object = value.objectValue, object.count == 1, let key = object.members.first?.key, let body = object.members.first?.value else {
            throw ConfigError(
                file: file, step: step, field: "", message: "a step is an object with exactly one key, one of: \(names.joined(separator: ", "))")
        }
        guard let kind = StepKind(rawValue: key) else {
            throw ConfigError(
                file: file, step: step, field: key,
                message: "unknown step\(Vocabulary.suggestion(for: key, among: names)) (one of \(names.joined(separator: ", ")))")
        }
        let reader = JSONReader(body, file: file, step: step, path: key)
        var inner: [ParsedStep] = []
        let parsed: Step
        switch kind {
        case .user: parsed = .user(try UserStep(reading: reader))
        case .mint: parsed = .mint(try MintStep(reading: reader))
        case .callback: parsed = .callback(try CallbackStep(reading: reader))
        case .probe: parsed = .probe(try ProbeStep(reading: reader))
        case .cookies: parsed = .cookies(try CookieSnapshotStep(reading: reader))
        case .logout:
            try reader.checkKeys(["as", "token"])
            parsed = .logout(name: try reader.requiredString("as"), token: try reader.requiredString("token"))
        case .revokeSession:
            try reader.checkKeys(["token"])
            parsed = .revokeSession(token: try reader.requiredString("token"))
        case .parallel: parsed = .parallel(try ParallelStep(reading: reader))
        case .request: parsed = .request(try RequestStep(reading: reader))
        case .credentials: parsed = .credentials(try CredentialsStep(reading: reader))
        case .keys: parsed = .keys(try KeysStep(reading: reader))
        case .idpFault:
            try reader.checkKeys(FaultRule.fields.union(["body_user", "clear", "past_app_timeout_ms"]))
            _ = try reader.int("status", in: Limits.faultStatus, references: true)
            _ = try reader.int("past_app_timeout_ms", in: Limits.faultPastTimeoutMillis)
            if reader.value["past_app_timeout_ms"] != nil, reader.value["latency_ms"] != nil {
                throw reader.error("past_app_timeout_ms", "sets latency_ms itself (the profile's idp_timeout_seconds plus this): give one of them")
            }
            _ = try reader.int("latency_ms", in: Limits.faultLatencyMillis, references: true)
            _ = try reader.int("times", in: Limits.faultTimes, references: true)
            parsed = .idpFault(try reader.requireObject())
        case .appFault:
            try reader.checkKeys(["point", "times", "clear"])
            _ = try reader.int("times", in: Limits.faultTimes, references: true)
            parsed = .appFault(try reader.requireObject())
        case .clock:
            try reader.checkKeys(["advance"])
            guard let seconds = try reader.int("advance", in: Limits.timeOffsetSeconds) else {
                throw reader.error("advance", "is required (seconds, may be negative)")
            }
            parsed = .clock(advance: Int64(seconds))
        case .wait: parsed = try Self.wait(reader)
        case .mark:
            guard let name = body.stringValue else { throw reader.error("", "a mark is a name string") }
            parsed = .mark(name)
        case .jwtTemplate:
            guard let content = body.stringValue else { throw reader.error("", "the template is a string of JSON with {{ }} holes") }
            parsed = .jwtTemplate(content)
        case .repeatBlock:
            try reader.checkKeys(["times", "steps"])
            guard let times = try reader.int("times", in: Limits.repeatTimes).map(Int.init) else {
                throw reader.error("times", "is required, from 1 to 1000")
            }
            guard let steps = body["steps"]?.arrayValue, !steps.isEmpty else {
                throw reader.error("steps", "is required and must be a non-empty array")
            }
            inner = try parseSteps(steps, file: file, prefix: "\(step).repeat.steps")
            parsed = .repeatBlock(times: times, steps: inner.map(\.step))
        case .expect:
            parsed = .expect(try parseExpectation(body, file: file, step: step, path: kind.rawValue))
        case .deadline:
            try reader.checkKeys(["idp_timeout_plus", "clear"])
            let plus = try reader.double("idp_timeout_plus", in: Limits.deadlineMarginSeconds)
            let clear = try reader.bool("clear") ?? false
            guard (plus == nil) == clear else {
                throw reader.error("idp_timeout_plus", "give idp_timeout_plus (seconds past the app's declared IdP timeout) or \"clear\": true")
            }
            parsed = .deadline(plus: plus)
        case .tokenOverride:
            try reader.checkKeys(["times", "client_id", "id_token", "access_token"])
            guard body["id_token"] != nil || body["access_token"] != nil else {
                throw reader.error("", "give id_token and/or access_token, e.g. {\"id_token\": {\"claims\": {\"sub\": \"${v.id}\"}}}")
            }
            parsed = .tokenOverride(try reader.requireObject())
        case .replayRefresh:
            try reader.checkKeys(["token"])
            parsed = .replayRefresh(token: try reader.requiredString("token"))
        }
        return ParsedStep(step: parsed, location: step, body: body, inner: inner)
    }

    private static func wait(_ reader: JSONReader) throws(ConfigError) -> Step {
        try reader.checkKeys(["seconds", "jwks_ttl_plus", "cooldown_plus", "leeway_plus", "until_expired"])
        if let token = reader.value["until_expired"] {
            guard let name = token.stringValue else { throw reader.error("until_expired", "must be the name of a minted token") }
            guard reader.value.objectValue?.count == 1 else {
                throw reader.error("until_expired", "stands alone: the token's exp and the declared leeway say how long")
            }
            return .waitUntilExpired(token: name)
        }
        let seconds = try reader.double("seconds", in: Limits.waitSeconds)
        let ttl = try reader.double("jwks_ttl_plus", in: Limits.waitMarginSeconds)
        let cooldown = try reader.double("cooldown_plus", in: Limits.waitMarginSeconds)
        let leeway = try reader.double("leeway_plus", in: Limits.waitMarginSeconds)
        guard seconds != nil || ttl != nil || cooldown != nil || leeway != nil else {
            throw reader.error(
                "seconds", "say how long: seconds, or jwks_ttl_plus / cooldown_plus / leeway_plus (the app's declared values plus a margin)")
        }
        return .wait(seconds: seconds, jwksTTLPlus: ttl, cooldownPlus: cooldown, leewayPlus: leeway)
    }

    static func parseExpectation(_ value: JSONValue, file: String, step: String, path: String) throws(ConfigError) -> Expectation {
        let reader = JSONReader(value, file: file, step: step, path: path)
        let conditions = try reader.requireObject()
        let because = try reader.string("because")
        var premise = false
        var signatureOptional = false
        if let otherwise = try reader.string("else") {
            switch otherwise {
            case "not_applicable": premise = true
            case "id_token_signature_optional":
                guard reader.value["outcome"]?.stringValue == Outcome.refused.rawValue else {
                    throw reader.error("else", "id_token_signature_optional applies to a response check with \"outcome\": \"refused\"")
                }
                signatureOptional = true
            default: throw reader.error("else", "'\(otherwise)' is not not_applicable or id_token_signature_optional")
            }
        }
        let subjects = conditions.keys.compactMap(CheckKind.init(rawValue:))
        guard let kind = subjects.first else {
            throw reader.error("", "an expectation needs a subject: response, responses, same, introspect, journal, any_of or all_of")
        }
        let allowed = Set(kind.conditions + [kind.rawValue, "because", "else"])
        for key in conditions.keys where !allowed.contains(key) {
            guard CheckKind.everyKey.contains(key) else {
                throw reader.error(
                    key,
                    "unknown condition\(Vocabulary.suggestion(for: key, among: allowed.sorted())) (use one of \(kind.conditions.sorted().joined(separator: ", ")))"
                )
            }
            throw reader.error(key, "does not apply to '\(kind.rawValue)' (use one of \(kind.conditions.sorted().joined(separator: ", ")))")
        }
        let subject: Expectation.Subject
        switch kind {
        case .response: subject = .response(try reader.requiredString("response"), try parseResponseCheck(reader))
        case .responses: subject = .responses(try reader.requiredString("responses"), try parseResponsesCheck(reader))
        case .same:
            let list = try reader.strings("same") ?? []
            guard list.count >= 2 else { throw reader.error("same", "needs at least two response names") }
            subject = .same(list, ignore: try reader.strings("ignore") ?? [])
        case .introspect: subject = .introspect(try reader.requiredString("introspect"), try parseIntrospectCheck(reader))
        case .journal:
            guard let journal = reader.child("journal"), journal.object != nil else { throw reader.error("journal", "must be an object") }
            subject = .journal(try parseJournalCheck(journal))
        case .canary:
            guard let canary = reader.child("canary"), canary.object != nil else { throw reader.error("canary", "must be an object") }
            subject = .canary(try parseCanaryCheck(canary))
        case .anyOf, .allOf:
            guard let list = conditions[kind.rawValue]?.arrayValue else { throw reader.error(kind.rawValue, "must be a list of expectations") }
            guard !list.isEmpty else { throw reader.error(kind.rawValue, "needs at least one expectation") }
            var parsed: [Expectation] = []
            for (index, element) in list.enumerated() {
                parsed.append(try parseExpectation(element, file: file, step: step, path: "\(path).\(kind.rawValue)[\(index)]"))
            }
            subject = kind == .anyOf ? .anyOf(parsed) : .allOf(parsed)
        case .idpSession:
            guard let ended = try reader.bool("ended") else { throw reader.error("ended", "is required: true (the session is over) or false") }
            subject = .idpSession(try reader.requiredString("idp_session"), ended: ended)
        }
        return Expectation(subject: subject, because: because, step: step, premise: premise, idTokenSignatureOptional: signatureOptional)
    }
}

/// A step as loaded: the typed step, where it is, its source (for `${…}` references, which may
/// sit in any string) and, for a `repeat`, its inner steps.
struct ParsedStep {
    var step: Step
    var location: String
    var body: JSONValue
    var inner: [ParsedStep] = []
}

// MARK: - Each step reads itself

extension UserStep {
    init(reading reader: JSONReader) throws(ConfigError) {
        try reader.checkKeys(["as", "fixture", "fresh", "memberships"])
        self.init(name: try reader.requiredString("as"), fixture: try reader.string("fixture"))
        if fixture == nil, try reader.bool("fresh") != true {
            throw reader.error("fixture", "give a fixture user (\"fixture\": \"alice\") or ask for a new one (\"fresh\": true)")
        }
        for (index, entry) in (reader.value["memberships"]?.arrayValue ?? []).enumerated() {
            let membership = JSONReader(entry, file: reader.file, step: reader.step, path: "user.memberships[\(index)]")
            try membership.checkKeys(["organization", "role"])
            memberships.append((try membership.requiredString("organization"), try membership.string("role") ?? "member"))
        }
    }
}

extension MintStep {
    init(reading reader: JSONReader) throws(ConfigError) {
        var request = try reader.requireObject()
        // `filler`, `login_user` and `issuer` are the runner's own; the rest is the mock's TokenRequest.
        try reader.checkKeys(TokenRequest.fields.union(["as", "filler", "login_user", "issuer"]))
        if let issuer = try reader.string("issuer"), issuer != "attacker" {
            throw reader.error("issuer", "'\(issuer)' is not 'attacker' (the runner's second issuer; leave it out for the mock)")
        }
        request["as"] = nil
        guard request["user"] != nil else { throw reader.error("user", "is required: a user name bound by a user step, or a fixture ref") }
        for field in ["expires_in", "not_before_in", "issued_at_offset"] { _ = try reader.int(field, in: Limits.timeOffsetSeconds, references: true) }
        if let sign = try reader.string("sign"), SignMode(rawValue: sign) == nil {
            throw reader.error("sign", "'\(sign)' is not one of \(SignMode.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        if let filler = reader.child("filler") {
            try filler.checkKeys(["claim", "bytes"])
            _ = try filler.requiredString("claim")
            guard let bytes = try filler.int("bytes"), (1...1_048_576).contains(bytes) else {
                throw filler.error("bytes", "is required, from 1 to 1048576")
            }
        }
        self.init(name: try reader.requiredString("as"), request: request)
    }
}

extension CallbackStep {
    init(reading reader: JSONReader) throws(ConfigError) {
        try reader.checkKeys(["as", "token", "no_token", "login_query", "state", "browser", "iss"])
        let noToken = try reader.bool("no_token") ?? false
        let token = try reader.string("token")
        if token == nil && !noToken { throw reader.error("token", "is required (or \"no_token\": true)") }
        self.init(name: try reader.requiredString("as"), token: token, noToken: noToken)
        if let query = reader.child("login_query") {
            for (name, value) in try query.requireObject().members {
                guard let text = value.stringValue else { throw query.error(name, "must be a string") }
                loginQuery.append((name, text))
            }
        }
        if let state = try reader.string("state") {
            guard let parsed = StateTampering(rawValue: state) else {
                throw reader.error("state", "'\(state)' is not one of \(StateTampering.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            self.state = parsed
        }
        if let browser = try reader.string("browser") {
            guard browser == "victim" || browser == "same" else { throw reader.error("browser", "'\(browser)' is not victim or same") }
            freshBrowser = browser == "victim"
        }
        if let iss = try reader.string("iss") {
            guard let parsed = IssuerTampering(rawValue: iss) else {
                throw reader.error("iss", "'\(iss)' is not one of \(IssuerTampering.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            self.iss = parsed
        }
        if noToken, !loginQuery.isEmpty || state != nil || freshBrowser || iss != nil {
            throw reader.error("no_token", "login_query, state, browser and iss shape a code-flow login with a token")
        }
    }
}

extension ProbeStep {
    init(reading reader: JSONReader) throws(ConfigError) {
        try reader.checkKeys(["as", "token", "cookies"])
        self.init(name: try reader.requiredString("as"), token: try reader.string("token"), cookies: try reader.string("cookies"))
        if (token == nil) == (cookies == nil) {
            throw reader.error("token", "give either token (that login's browser) or cookies (a saved snapshot in a fresh browser)")
        }
    }
}

extension CookieSnapshotStep {
    init(reading reader: JSONReader) throws(ConfigError) {
        try reader.checkKeys(["as", "token", "at"])
        let at = try reader.string("at") ?? "now"
        guard at == "now" || at == "before_callback" else { throw reader.error("at", "'\(at)' is not now or before_callback") }
        self.init(name: try reader.requiredString("as"), token: try reader.requiredString("token"), beforeCallback: at == "before_callback")
    }
}

extension ParallelStep {
    init(reading reader: JSONReader) throws(ConfigError) {
        try reader.checkKeys(["as", "count", "mint", "token", "fresh_users", "cookies"])
        guard let count = try reader.int("count", in: Limits.parallelCount).map(Int.init) else {
            throw reader.error("count", "is required, from 1 to 256")
        }
        let mint = try reader.objectValue("mint")
        let token = try reader.string("token")
        let cookies = try reader.string("cookies")
        if [mint != nil, token != nil, cookies != nil].filter({ $0 }).count != 1 {
            throw reader.error(
                "mint",
                "give one of mint (a distinct token per request), token (the same token N times) "
                    + "or cookies (the probe in N browsers holding one saved session)"
            )
        }
        let freshUsers = try reader.bool("fresh_users") ?? false
        if freshUsers, token != nil { throw reader.error("fresh_users", "needs mint (each new user gets its own token), not token") }
        self.init(name: try reader.requiredString("as"), count: count, mint: mint, token: token, freshUsers: freshUsers, cookies: cookies)
    }
}

extension RequestStep {
    init(reading reader: JSONReader) throws(ConfigError) {
        try reader.checkKeys(["as", "method", "path", "token", "body"])
        self.init(
            name: try reader.requiredString("as"), method: (try reader.string("method") ?? "GET").uppercased(),
            path: try reader.requiredString("path"), token: try reader.string("token"), body: reader.value["body"])
        // The method, path and token go into the runner's own request line and headers as they
        // are: a CR or LF there would inject headers (or a second request) of the file's choosing.
        guard !method.isEmpty, method.unicodeScalars.allSatisfy(Self.isTokenCharacter) else {
            throw reader.error("method", "\(method.debugDescription) is not an HTTP method (RFC 9110 token: letters, digits and !#$%&'*+-.^_`|~)")
        }
        guard !path.isEmpty, path.unicodeScalars.allSatisfy({ (0x21...0x7E).contains($0.value) }) else {
            throw reader.error(
                "path",
                "\(path.debugDescription) is not a request path: it holds visible ASCII only "
                    + "(no CR, LF, NUL, space or other control characters; percent-encode them)")
        }
        if let token, token.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
            throw reader.error(
                "token",
                "\(token.debugDescription) holds a control character (CR, LF, NUL, …) "
                    + "and would be sent in the Authorization header")
        }
    }

    static func isTokenCharacter(_ scalar: Unicode.Scalar) -> Bool {
        scalar.isASCII && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || "!#$%&'*+-.^_`|~".unicodeScalars.contains(scalar))
    }
}

extension CredentialsStep {
    init(reading reader: JSONReader) throws(ConfigError) {
        try reader.checkKeys(["as", "action", "organization", "token", "credential"])
        let action = try reader.requiredString("action")
        guard ["list", "create", "delete"].contains(action) else { throw reader.error("action", "'\(action)' is not list, create or delete") }
        self.init(
            name: try reader.requiredString("as"), action: action, organization: try reader.requiredString("organization"),
            token: try reader.requiredString("token"), credential: try reader.string("credential"))
    }
}

extension KeysStep {
    init(reading reader: JSONReader) throws(ConfigError) {
        try reader.checkKeys(["as", "action", "kid"])
        let action = try reader.requiredString("action")
        let actions = KeyRing.Change.actions
        guard actions.contains(action) else { throw reader.error("action", "'\(action)' is not one of \(actions.joined(separator: ", "))") }
        self.init(name: try reader.string("as"), action: action, kid: try reader.string("kid"))
    }
}
