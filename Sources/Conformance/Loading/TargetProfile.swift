import Essentials
import FoundationEssentials
import Glibc
import IdP
import JSON

/// A value in the app's JSON: a JSON Pointer, or an array of objects with pointers inside each.
package enum ResponseField: Sendable, Equatable {
    case pointer(String)
    case list(array: String, id: String, role: String?)
    /// A regular expression over the body text (an HTML page); the first capture group is the value.
    case pattern(String)

    static func parse(_ reader: JSONReader) throws(ConfigError) -> ResponseField {
        if let text = reader.value.stringValue {
            guard text.isEmpty || text.hasPrefix("/") else { throw reader.error("", "'\(text)' is not a JSON Pointer (it must start with /)") }
            return .pointer(text)
        }
        if reader.value["pattern"] != nil {
            try reader.checkKeys(["pattern"])
            let pattern = try reader.requiredString("pattern")
            guard let groups = captureGroupCount(pattern), groups >= 1 else {
                throw reader.error(
                    "pattern", "'\(pattern)' must be a regular expression with one capture group, e.g. \"data-user-id=\\\"([^\\\"]+)\"")
            }
            return .pattern(pattern)
        }
        try reader.checkKeys(["array", "id", "role"])
        return .list(array: try reader.requiredString("array"), id: try reader.requiredString("id"), role: try reader.string("role"))
    }

    /// The value in an answer: by pointer in its JSON, or the first capture of a pattern in its text.
    func value(json: JSONValue?, text: String) -> JSONValue? {
        switch self {
        case .pointer(let pointer): return json?.value(atPointer: pointer)
        case .list(let array, _, _): return json?.value(atPointer: array)
        case .pattern(let pattern):
            // Scalar by scalar, as ICU (and so every other regex engine) matches, not by grapheme.
            guard let expression = try? Regex(pattern).matchingSemantics(.unicodeScalar),
                let match = try? expression.firstMatch(in: text), match.output.count > 1,
                let captured = match.output[1].substring
            else { return nil }
            return .string(String(captured))
        }
    }
}

package struct HTTPCall: Sendable, Equatable {
    package var method: String
    package var path: String
    package var body: JSONValue?

    static func parse(_ reader: JSONReader, defaultMethod: String) throws(ConfigError) -> HTTPCall {
        try reader.checkKeys(["method", "path", "body", "clear_method", "points", "query", "clears_jwks_cache"])
        return HTTPCall(
            method: (try reader.string("method") ?? defaultMethod).uppercased(), path: try reader.requiredString("path"), body: reader.value["body"])
    }
}

/// How the runner talks to one app backend: where it is, how to start it, where the token
/// goes, where values are in its answers, and what optional hooks it offers.
package struct TargetProfile: Sendable {
    package enum TokenPlacement: Sendable, Equatable {
        case bearer
        case json(field: String)
        case form(field: String)
        case query(name: String)
        case cookie(name: String)
    }

    /// The authorization-code shape: the runner signs in as a browser does, through the app's
    /// login route (or an authorize URL built from `redirectURI`), the mock's authorize step and
    /// the app's callback, with a cookie jar.
    package struct CodeFlow: Sendable {
        package var loginPath: String?
        /// The app's registered callback URL (placeholders allowed); default base_url + callback.path.
        package var redirectURI: String?
        /// Which token of the code exchange a scenario's `mint` shapes.
        package var tokenRole: TokenRole = .accessToken
    }

    /// `callback.token_role`: what the app verifies. `access_token` is the WorkOS AuthKit shape
    /// (the forged token is the access token of `/user_management/authenticate`); `id_token` is an
    /// OpenID Connect relying party (the forged token is the id_token of `/oauth2/token`, the
    /// access token beside it stays valid).
    package enum TokenRole: String, Sendable, CaseIterable {
        case accessToken = "access_token"
        case idToken = "id_token"
    }

    /// A request sent with the login's cookies after it, to see whether and as whom the user is
    /// signed in; profile `response` fields are read from its answer.
    package struct Probe: Sendable {
        package var call: HTTPCall
        package var headers: [String: String]
        package var signedInStatus: StatusPattern
    }

    /// What *signed in* and *refused* look like for this app.
    package struct Outcomes: Sendable {
        /// Statuses of the login's final answer that can mean signed in (the probe decides when there is one).
        package var signedInStatus: StatusPattern?
        /// Statuses of the login's final answer that count as a refusal (never a 5xx).
        package var refusedStatus: StatusPattern
    }

    package struct Start: Sendable {
        package enum Restart: String, Sendable {
            /// A fresh process before every scenario: no cache, session or row leaks between them.
            case scenario
            /// A fresh process when the family changes.
            case family
            case never
        }

        package var command: [String]
        package var environment: [String: String]
        package var readyPath: String
        package var timeoutSeconds: Double
        /// The working directory (placeholders filled); nil is the runner's own.
        package var cwd: String?
        package var restart: Restart = .never
    }

    package struct Introspection: Sendable {
        package var call: HTTPCall
        package var fields: [String: ResponseField]
    }

    /// An OAuth resource server (RFC 6750 bearer, RFC 9068 access tokens): the identifier it
    /// expects in `aud`, so the runner mints every token for it, and where it publishes its RFC 9728
    /// protected-resource metadata.
    package struct ResourceServer: Sendable {
        /// Its resource URL or client ID (placeholders allowed).
        package var audience: String
        /// The path of its protected-resource metadata on base_url, when it publishes one.
        package var metadataPath: String?
    }

    /// `session_cookies`: which cookies are the session, and whether they must be `Secure`.
    package struct SessionCookies: Sendable {
        /// The session cookie names; nil: every cookie the login's callback leaves set.
        package var names: [String]?
        /// The app will be served over https in production, so its session cookies must be
        /// `Secure` even while the runner reaches it over plain http.
        package var productionHTTPS = false
    }

    package struct Credentials: Sendable {
        package var list: HTTPCall?
        package var create: HTTPCall?
        package var delete: HTTPCall?
        package var writerRoles: [String]
    }

    package var file: String
    package var name: String
    package var baseURL: String
    package var start: Start?
    package var callback: HTTPCall
    package var tokenPlacement: TokenPlacement
    package var codeFlow: CodeFlow?
    package var probe: Probe?
    /// The app's sign-out route (`GET /logout`), sent with a login's cookies by `logout` steps.
    package var logout: HTTPCall?
    package var outcomes = Outcomes(signedInStatus: "2xx", refusedStatus: ["3xx", "4xx"])
    package var responseFields: [String: ResponseField]
    package var introspection: Introspection?
    package var faultHook: HTTPCall?
    package var faultClearMethod: String?
    package var faultPoints: [String]
    package var seeding: HTTPCall?
    package var reset: HTTPCall?
    /// The reset hook also empties the app's JWKS cache; otherwise the runner waits out the
    /// declared TTL after a scenario that rotated keys, so the next one starts clean.
    package var resetClearsJWKSCache = false
    package var leewaySeconds: Double?
    package var jwksCacheTTLSeconds: Double?
    package var jwksCooldownSeconds: Double?
    package var emailClaim: String?
    package var credentials: Credentials?
    /// Fixed headers every callback request carries (an MCP client's `Accept`), beside the token.
    package var callbackHeaders: [String: String] = [:]
    package var resourceServer: ResourceServer?
    package var sessionCookies = SessionCookies()
    /// `capabilities.authorization_response_iss`: the app checks `iss` in the authorization
    /// response (RFC 9207), so the runner delivers the mock's issuer with every callback.
    package var authorizationResponseIss = false
    /// How long the app waits for one IdP call before it gives up (its HTTP client's timeout):
    /// slow-IdP scenarios hold the IdP past it and bound the runner's own wait by it.
    package var idpTimeoutSeconds: Double? = nil
    /// `capabilities.every_user_has_workspace`: the app gives every user a personal workspace, so a
    /// null `workspace_id` is a failure. Otherwise a user without one (an app whose tenant is the
    /// session's organization) may answer null, and only the IDs it does name are judged.
    package var everyUserHasWorkspace = false

    /// The capabilities scenarios can require.
    package var capabilities: Set<Capability> {
        var names: Set<Capability> = []
        if introspection != nil { names.insert(.introspection) }
        if faultHook != nil { names.insert(.faultHook) }
        if seeding != nil { names.insert(.seeding) }
        if reset != nil { names.insert(.reset) }
        if jwksCacheTTLSeconds != nil { names.insert(.jwksCacheTTL) }
        if emailClaim != nil { names.insert(.emailClaim) }
        if credentials != nil { names.insert(.organizationCredentials) }
        if codeFlow != nil { names.insert(.codeFlow) }
        if probe != nil { names.insert(.probe) }
        if logout != nil { names.insert(.logout) }
        // The token itself goes to the callback: a login a code-flow browser cannot make (one
        // token behind several codes, byte-identical replays) is only meaningful here.
        if codeFlow == nil { names.insert(.tokenCallback) }
        if resourceServer != nil { names.insert(.resourceServer) }
        if resourceServer?.metadataPath != nil { names.insert(.resourceMetadata) }
        if codeFlow?.loginPath != nil { names.insert(.loginRoute) }
        if authorizationResponseIss, codeFlow != nil { names.insert(.authorizationResponseIss) }
        if idpTimeoutSeconds != nil { names.insert(.idpTimeout) }
        if codeFlow?.tokenRole == .idToken { names.insert(.idTokenRole) }
        return names
    }

    /// A status, a class (`"4xx"`), a negation (`"not 5xx"`) or a list of them.
    static func statusPattern(_ reader: JSONReader, _ key: String) throws(ConfigError) -> StatusPattern? {
        guard let value = reader.value[key], !value.isNull else { return nil }
        guard let pattern = StatusPattern(value) else {
            throw reader.error(key, "must be a status (401), a class (\"4xx\"), a negation (\"not 5xx\") or a list of them")
        }
        return pattern
    }

    package static func load(file: String) throws(ConfigError) -> TargetProfile {
        let value = try JSONReader.document(at: file, what: "target profile")
        return try parse(value, file: file)
    }

    package static func parse(_ value: JSONValue, file: String) throws(ConfigError) -> TargetProfile {
        let root = JSONReader(value, file: file)
        try root.checkKeys([
            "$schema", "name", "description", "base_url", "start", "callback", "probe", "logout", "outcomes", "response", "capabilities",
            "resource_server",
            "session_cookies",
        ])
        let baseURL = try root.requiredString("base_url")
        guard baseURL.hasPrefix("http://") else { throw root.error("base_url", "must be an http:// URL (the runner speaks HTTP/1.1 on loopback)") }
        let start = try root.child("start").map { (reader) throws(ConfigError) in try Start(reading: reader) }
        guard let callbackReader = root.child("callback") else { throw root.error("callback", "is required: how the app receives a token") }
        let (callback, placement, codeFlow) = try readCallback(callbackReader)
        let callbackHeaders = try readCallbackExtras(callbackReader, placement: placement, codeFlow: codeFlow)
        let probe = try root.child("probe").map { (reader) throws(ConfigError) in try Probe(reading: reader) }
        // A code-flow app answers a redirect either way: only a probe can tell signed in from refused.
        // A redirect to a login page is a refusal too, in either shape.
        var outcomes =
            codeFlow == nil
            ? Outcomes(signedInStatus: "2xx", refusedStatus: ["3xx", "4xx"])
            : Outcomes(signedInStatus: probe == nil ? nil : ["2xx", "3xx"], refusedStatus: ["2xx", "3xx", "4xx"])
        if let reader = root.child("outcomes") {
            try reader.checkKeys(["signed_in_status", "refused_status"])
            if let status = try Self.statusPattern(reader, "signed_in_status") { outcomes.signedInStatus = status }
            if let status = try Self.statusPattern(reader, "refused_status") { outcomes.refusedStatus = status }
        }

        var fields: [String: ResponseField] = [:]
        if let response = root.child("response") {
            for member in try response.requireObject() {
                fields[member.key] = try ResponseField.parse(response.child(member.key) ?? response)
            }
        }

        var profile = TargetProfile(
            file: file, name: try root.string("name") ?? file, baseURL: baseURL, start: start, callback: callback,
            tokenPlacement: placement, codeFlow: codeFlow, probe: probe, outcomes: outcomes, responseFields: fields, introspection: nil,
            faultHook: nil,
            faultClearMethod: nil, faultPoints: [], seeding: nil, reset: nil, leewaySeconds: nil,
            jwksCacheTTLSeconds: nil, jwksCooldownSeconds: nil, emailClaim: nil, credentials: nil)
        if let reader = root.child("logout") { profile.logout = try HTTPCall.parse(reader, defaultMethod: "GET") }
        if let capabilities = root.child("capabilities") { try profile.readCapabilities(capabilities) }
        profile.callbackHeaders = callbackHeaders
        if let reader = root.child("resource_server") { profile.resourceServer = try readResourceServer(reader, codeFlow: codeFlow) }
        if let reader = root.child("session_cookies") {
            try reader.checkKeys(["names", "production_https"])
            if let names = try reader.strings("names") {
                guard !names.isEmpty, names.allSatisfy({ !$0.isEmpty }) else {
                    throw reader.error("names", "lists the session cookie names (non-empty), or is left out to judge every cookie the callback sets")
                }
                profile.sessionCookies.names = names
            }
            profile.sessionCookies.productionHTTPS = try reader.bool("production_https") ?? false
        }
        try ProfileRules.check(profile)
        return profile
    }

    /// `callback`: the route, where the token goes, or the code flow's login route.
    private static func readCallback(_ reader: JSONReader) throws(ConfigError) -> (HTTPCall, TokenPlacement, CodeFlow?) {
        try reader.checkKeys(["method", "path", "token", "shape", "login_path", "redirect_uri", "body", "headers", "token_role"])
        var codeFlow: CodeFlow?
        switch try reader.string("shape") ?? "token" {
        case "token":
            for key in ["login_path", "redirect_uri", "token_role"] where reader.value[key] != nil {
                throw reader.error(key, "applies to \"shape\": \"code\" only")
            }
        case "code":
            if reader.value["token"] != nil { throw reader.error("token", "a code-flow callback receives ?code&state, not a token") }
            codeFlow = CodeFlow(loginPath: try reader.string("login_path"), redirectURI: try reader.string("redirect_uri"))
            if let role = try reader.string("token_role") {
                let roles = TokenRole.allCases.map(\.rawValue)
                guard let parsed = TokenRole(rawValue: role) else {
                    throw reader.error("token_role", "'\(role)' is not \(roles.joined(separator: " or "))")
                }
                // The runner-built authorize URL is AuthKit's; an OpenID Connect app's own login
                // route adds the nonce, state and PKCE the id_token checks need.
                if parsed == .idToken, codeFlow?.loginPath == nil {
                    throw reader.error(
                        "token_role", "\"id_token\" needs the app's login route (callback.login_path), which starts the OpenID Connect login")
                }
                codeFlow?.tokenRole = parsed
            }
        case let other: throw reader.error("shape", "'\(other)' is not token or code")
        }
        let callback = HTTPCall(
            method: (try reader.string("method") ?? (codeFlow == nil ? "POST" : "GET")).uppercased(),
            path: try reader.requiredString("path"), body: reader.value["body"])
        var placement = TokenPlacement.bearer
        if let token = reader.child("token") {
            try token.checkKeys(["in", "field"])
            switch try token.string("in") ?? "bearer" {
            case "bearer": placement = .bearer
            case "json": placement = .json(field: try token.requiredString("field"))
            case "form": placement = .form(field: try token.requiredString("field"))
            case "query": placement = .query(name: try token.requiredString("field"))
            case "cookie": placement = .cookie(name: try token.requiredString("field"))
            case let other: throw token.error("in", "'\(other)' is not bearer, json, form, query or cookie")
            }
        }
        return (callback, placement, codeFlow)
    }

    /// `callback.body` and `callback.headers`: what a token-shape callback sends beside the token,
    /// so a JSON-RPC endpoint is reached the way its own clients reach it.
    private static func readCallbackExtras(
        _ reader: JSONReader, placement: TokenPlacement, codeFlow: CodeFlow?
    ) throws(ConfigError) -> [String: String] {
        if codeFlow != nil {
            for key in ["body", "headers"] where reader.value[key] != nil {
                throw reader.error(key, "applies to \"shape\": \"token\" only (a code-flow callback is the browser's redirect)")
            }
        }
        if let body = reader.value["body"] {
            switch placement {
            case .json, .form:
                throw reader.error("body", "the token already fills the body (token.in json or form): put it in a header, the query or a cookie")
            default:
                guard body.objectValue != nil || body.arrayValue != nil else {
                    throw reader.error("body", "must be a JSON object or array (sent as application/json)")
                }
            }
        }
        var headers: [String: String] = [:]
        for member in try reader.objectValue("headers") ?? [:] {
            guard let text = member.value.stringValue else { throw reader.error("headers.\(member.key)", "must be a string") }
            if member.key.lowercased() == "authorization", placement == .bearer {
                throw reader.error("headers.\(member.key)", "is where the runner puts the token (token.in bearer): remove it")
            }
            headers[member.key] = text
        }
        return headers
    }

    /// `resource_server`: the audience the runner mints for, and the RFC 9728 metadata path.
    private static func readResourceServer(_ reader: JSONReader, codeFlow: CodeFlow?) throws(ConfigError) -> ResourceServer {
        try reader.checkKeys(["audience", "metadata_path"])
        guard codeFlow == nil else {
            throw reader.error("", "applies to a token-shape callback (a resource server takes the bearer token itself), not \"shape\": \"code\"")
        }
        let audience = try reader.requiredString("audience")
        guard !audience.trimmingWhitespace().isEmpty else {
            throw reader.error("audience", "must not be empty: the resource URL or client ID the app expects in aud")
        }
        return ResourceServer(audience: audience, metadataPath: try reader.string("metadata_path"))
    }

    /// `capabilities`: the hooks and declared values scenarios may require.
    private mutating func readCapabilities(_ capabilities: JSONReader) throws(ConfigError) {
        try capabilities.checkKeys([
            "introspection", "fault_hook", "seeding", "reset", "leeway_seconds", "jwks_cache_ttl_seconds",
            "jwks_refetch_cooldown_seconds", "email_claim", "organization_credentials", "authorization_response_iss",
            "idp_timeout_seconds", "every_user_has_workspace",
        ])
        if let reader = capabilities.child("introspection") {
            var introspectionFields: [String: ResponseField] = [:]
            for member in try reader.requireObject() where !["method", "path"].contains(member.key) {
                introspectionFields[member.key] = try ResponseField.parse(reader.child(member.key) ?? reader)
            }
            introspection = Introspection(
                call: HTTPCall(method: (try reader.string("method") ?? "GET").uppercased(), path: try reader.requiredString("path"), body: nil),
                fields: introspectionFields)
        }
        if let reader = capabilities.child("fault_hook") {
            faultHook = try HTTPCall.parse(reader, defaultMethod: "POST")
            faultClearMethod = try reader.string("clear_method")
            faultPoints = try reader.strings("points") ?? []
        }
        if let reader = capabilities.child("seeding") { seeding = try HTTPCall.parse(reader, defaultMethod: "POST") }
        if let reader = capabilities.child("reset") {
            reset = try HTTPCall.parse(reader, defaultMethod: "POST")
            resetClearsJWKSCache = try reader.bool("clears_jwks_cache") ?? false
        }
        leewaySeconds = try capabilities.double("leeway_seconds", in: Limits.profileSeconds)
        jwksCacheTTLSeconds = try capabilities.double("jwks_cache_ttl_seconds", in: Limits.profileSeconds)
        jwksCooldownSeconds = try capabilities.double("jwks_refetch_cooldown_seconds", in: Limits.profileSeconds)
        emailClaim = try capabilities.string("email_claim")
        authorizationResponseIss = try capabilities.bool("authorization_response_iss") ?? false
        idpTimeoutSeconds = try capabilities.double("idp_timeout_seconds", in: Limits.idpTimeoutSeconds)
        everyUserHasWorkspace = try capabilities.bool("every_user_has_workspace") ?? false
        if let reader = capabilities.child("organization_credentials") {
            try reader.checkKeys(["list", "create", "delete", "writer_roles"])
            credentials = Credentials(
                list: try reader.child("list").map { (r) throws(ConfigError) in try HTTPCall.parse(r, defaultMethod: "GET") },
                create: try reader.child("create").map { (r) throws(ConfigError) in try HTTPCall.parse(r, defaultMethod: "POST") },
                delete: try reader.child("delete").map { (r) throws(ConfigError) in try HTTPCall.parse(r, defaultMethod: "DELETE") },
                writerRoles: try reader.strings("writer_roles") ?? ["owner", "admin"])
        }
    }
}

extension TargetProfile.Start {
    /// `start`: the command that runs the app, its environment and readiness check.
    init(reading reader: JSONReader) throws(ConfigError) {
        try reader.checkKeys(["command", "env", "ready", "cwd", "restart"])
        guard let command = try reader.strings("command"), !command.isEmpty else {
            throw reader.error("command", "is required: the program and its arguments")
        }
        var environment: [String: String] = [:]
        for member in try reader.objectValue("env") ?? [:] {
            guard let text = member.value.stringValue else { throw reader.error("env.\(member.key)", "must be a string") }
            environment[member.key] = text
        }
        let ready = reader.child("ready")
        try ready?.checkKeys(["path", "timeout_seconds"])
        self.init(
            command: command, environment: environment, readyPath: try ready?.string("path") ?? "/",
            timeoutSeconds: try ready?.double("timeout_seconds", in: Limits.readyTimeoutSeconds) ?? 10, cwd: try reader.string("cwd"))
        if let restart = try reader.string("restart") {
            guard let parsed = Restart(rawValue: restart) else { throw reader.error("restart", "'\(restart)' is not scenario, family or never") }
            self.restart = parsed
        }
    }
}

extension TargetProfile.Probe {
    /// `probe`: the request that tells signed in from refused after a login.
    init(reading reader: JSONReader) throws(ConfigError) {
        try reader.checkKeys(["method", "path", "headers", "signed_in_status"])
        var headers: [String: String] = [:]
        for member in try reader.objectValue("headers") ?? [:] {
            guard let text = member.value.stringValue else { throw reader.error("headers.\(member.key)", "must be a string") }
            headers[member.key] = text
        }
        self.init(
            call: HTTPCall(method: (try reader.string("method") ?? "GET").uppercased(), path: try reader.requiredString("path"), body: nil),
            headers: headers.isEmpty ? ["Accept": "application/json"] : headers,
            signedInStatus: try TargetProfile.statusPattern(reader, "signed_in_status") ?? 200)
    }
}

/// The number of capture groups in `pattern` (nil if it is no regular expression): matched with
/// an empty alternative, the pattern always matches "" and its match lists every group.
private func captureGroupCount(_ pattern: String) -> Int? {
    guard (try? Regex(pattern)) != nil, let always = try? Regex("(?:" + pattern + ")|"), let match = try? always.firstMatch(in: "") else {
        return nil
    }
    return match.output.count - 1
}
