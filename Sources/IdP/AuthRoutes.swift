import HTTP
import JSON

/// The browser-facing AuthKit endpoints: authorize (login page or headless redirect), the login
/// page's POST, authenticate, logout, and CORS preflights for the browser SDK. None needs the
/// API key (SPEC `security: []`, and public PKCE clients call authenticate without one).
struct AuthRoutes {
    let idp: MockIdP

    static let completePath = "/user_management/authorize/complete"

    func register(into router: inout Router) {
        let idp = self.idp
        router.get("/user_management/authorize") { request in Self.authorize(idp, request) }
        router.post(Self.completePath) { request in Self.complete(idp, request) }
        router.post("/user_management/authenticate") { request in
            let answer = try idp.authenticate(try Self.authenticateParameters(request), bearer: request.bearerToken)
            // RFC 6749 §5.1: token responses must not be cached.
            return .json(answer, headers: ["Cache-Control": "no-store"])
        }
        router.get("/user_management/sessions/logout") { request in try Self.logout(idp, request) }
        for path in CORS.preflightPaths {
            router.options(path) { request in CORS.preflight(request) }
        }
    }

    // MARK: Authorize

    static func authorize(_ idp: MockIdP, _ request: HTTPRequest) -> HTTPResponse {
        let query = request.query
        func value(_ name: String) -> String? { query[name].flatMap { $0.isEmpty ? nil : $0 } }
        let configuration = idp.configuration
        // Until client_id and redirect_uri are known good, errors must not redirect anywhere.
        guard let clientID = value("client_id") else {
            return LoginPage.error(title: "client_id is missing", detail: "Add client_id=\(configuration.clientID) to the authorize URL.")
        }
        guard clientID == configuration.clientID else {
            return LoginPage.error(title: "Unknown client_id",
                                   detail: "client_id '\(clientID)' is not this environment's client. This mock's client ID is \(configuration.clientID) (set WORKOS_CLIENT_ID to it).")
        }
        guard let redirectURI = value("redirect_uri") else {
            return LoginPage.error(title: "redirect_uri is missing", detail: "Add redirect_uri=<your callback URL> to the authorize URL.")
        }
        guard idp.isAllowedRedirect(redirectURI) else {
            let configured = configuration.redirectURIs.isEmpty ? "none configured" : configuration.redirectURIs.joined(separator: ", ")
            return LoginPage.error(title: "redirect_uri is not allowed",
                                   detail: "'\(redirectURI)' is not an allowed redirect URI. Allowed: any http or https URL on localhost, 127.0.0.1 or [::1] (any port, no user info, no fragment), and exactly these configured URIs: \(configured).")
        }
        let state = value("state")
        func fail(_ error: String, _ description: String) -> HTTPResponse {
            .redirect(to: MockIdP.appendingQuery(redirectURI, [("error", error), ("error_description", description), ("state", state ?? "")]))
        }
        guard query["response_type"] == "code" else {
            return fail("unsupported_response_type", "response_type must be 'code', got '\(query["response_type"] ?? "")'")
        }
        let provider = value("provider")
        if let provider, !MockIdP.authorizeProviders.contains(provider) {
            return fail("invalid_request", "provider '\(provider)' is not supported; use one of \(MockIdP.authorizeProviders.joined(separator: ", "))")
        }
        let connectionID = value("connection_id")
        if let connectionID, !IdPID.has(prefix: .connection, connectionID) {
            return fail("invalid_request", "connection_id '\(connectionID)' is not a connection ID (conn_<ULID>)")
        }
        var organization: Organization?
        if let reference = value("organization_id") {
            guard let found = idp.directory.organizations[reference] else {
                return fail("invalid_request", "organization_id '\(reference)' does not exist")
            }
            organization = found
        }
        if provider == nil, connectionID == nil, organization == nil {
            return fail("invalid_request", "one of provider, connection_id or organization_id is required (AuthKit apps send provider=authkit)")
        }
        let challenge = value("code_challenge")
        let challengeMethod = value("code_challenge_method")
        if let challengeMethod, challengeMethod != "S256" {
            return fail("invalid_request", "code_challenge_method must be S256; '\(challengeMethod)' is not supported")
        }
        if challenge != nil, challengeMethod == nil {
            return fail("invalid_request", "code_challenge_method=S256 is required with code_challenge")
        }
        if challengeMethod != nil, challenge == nil {
            return fail("invalid_request", "code_challenge is required with code_challenge_method")
        }
        if let challenge, challenge.utf8.count != 43 || !challenge.utf8.allSatisfy(isBase64URLByte) {
            return fail("invalid_request", "code_challenge must be BASE64URL(SHA256(code_verifier)): 43 characters of [A-Za-z0-9_-]")
        }
        if let hint = value("screen_hint"), hint != "sign-in", hint != "sign-up" {
            return fail("invalid_request", "screen_hint must be sign-in or sign-up, got '\(hint)'")
        }
        var impersonator: Impersonator?
        if let email = value("mockidp_impersonator") {
            impersonator = Impersonator(email: email, reason: value("mockidp_impersonation_reason"))
        }
        let method = MockIdP.authenticationMethod(provider: provider, connectionID: connectionID)
        let loginHint = value("login_hint")
        let autoApprove = value("mockidp_auto_approve").map { ["1", "true", "yes"].contains($0.lowercased()) } ?? configuration.autoApprove

        if autoApprove, let loginHint {
            let directory = idp.directory
            guard let user = directory.resolveUser(loginHint) else {
                return fail("access_denied", "login_hint '\(loginHint)' names no fixture user (give an email, fixture ref or user ID)")
            }
            if let organization, directory.membership(userID: user.id, organizationID: organization.id)?.status != .active {
                return fail("access_denied", "\(user.email) is not an active member of \(organization.name) (\(organization.id))")
            }
            let code = idp.issueCode(AuthFlowState.AuthorizationCode(
                clientID: clientID, redirectURI: redirectURI, userID: user.id, organizationID: organization?.id, codeChallenge: challenge,
                authenticationMethod: method, impersonator: impersonator, expiresAt: 0))
            return .redirect(to: MockIdP.appendingQuery(redirectURI, [("code", code), ("state", state ?? "")]))
        }
        if query["prompt"] == "none" {
            return fail("login_required", "prompt=none cannot show the login page; use login_hint with mockidp_auto_approve=1 for headless logins")
        }
        let login = AuthFlowState.LoginRequest(
            clientID: clientID, redirectURI: redirectURI, state: state, codeChallenge: challenge, organizationID: organization?.id,
            loginHint: loginHint, authenticationMethod: method, impersonator: impersonator, expiresAt: 0)
        let loginID = idp.storeLogin(login)
        return LoginPage.render(idp: idp, loginID: loginID, login: login, screenHint: value("screen_hint"))
    }

    private static func isBase64URLByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "-"), UInt8(ascii: "_"):
            return true
        default: return false
        }
    }

    /// The login page's POST: a user (and maybe an organization) was picked.
    static func complete(_ idp: MockIdP, _ request: HTTPRequest) -> HTTPResponse {
        let form = request.form()
        guard let loginID = form["login"], let login = idp.storedLogin(loginID) else {
            return LoginPage.error(title: "This sign-in page has expired",
                                   detail: "Sign-in pages live \(idp.configuration.authorizationCodeLifetime) s (or the mock was reset). Start the login again from your app.")
        }
        let directory = idp.directory
        guard let userID = form["user_id"], let user = directory.users[userID] else {
            return LoginPage.error(title: "Unknown user", detail: "The form named no fixture user; pick one of the users on the sign-in page.")
        }
        let chosen = form["organization_id"].flatMap { $0.isEmpty ? nil : $0 } ?? login.organizationID
        func fail(_ error: String, _ description: String) -> HTTPResponse {
            .redirect(to: MockIdP.appendingQuery(login.redirectURI, [("error", error), ("error_description", description), ("state", login.state ?? "")]))
        }
        if let chosen {
            if let required = login.organizationID, required != chosen {
                return fail("access_denied", "the app asked for organization \(required), not \(chosen)")
            }
            guard directory.membership(userID: user.id, organizationID: chosen)?.status == .active else {
                return fail("access_denied", "\(user.email) is not an active member of \(chosen)")
            }
        }
        let code = idp.issueCode(AuthFlowState.AuthorizationCode(
            clientID: login.clientID, redirectURI: login.redirectURI, userID: user.id, organizationID: chosen, codeChallenge: login.codeChallenge,
            authenticationMethod: login.authenticationMethod, impersonator: login.impersonator, expiresAt: 0))
        return .redirect(to: MockIdP.appendingQuery(login.redirectURI, [("code", code), ("state", login.state ?? "")]))
    }

    // MARK: Authenticate

    /// The body's fields, JSON (what the SDKs send) or form-encoded (RFC 6749 clients).
    static func authenticateParameters(_ request: HTTPRequest) throws(IdPError) -> [String: String] {
        var parameters: [String: String] = [:]
        if request.contentType == "application/x-www-form-urlencoded" {
            for pair in request.form() where parameters[pair.name] == nil { parameters[pair.name] = pair.value }
            return parameters
        }
        if request.body.isEmpty { return parameters }
        let body: JSONValue
        do {
            body = try request.json()
        } catch {
            throw .oauth(error: "invalid_request", description: "the body is neither JSON nor form-encoded: \(error.description)", status: 400)
        }
        guard let object = body.objectValue else {
            throw .oauth(error: "invalid_request", description: "the body must be a JSON object", status: 400)
        }
        for member in object {
            switch member.value {
            case .null: continue
            case .string(let text): parameters[member.key] = text
            case .int, .double, .bool: parameters[member.key] = member.value.serializedString()
            default:
                throw .oauth(error: "invalid_request", description: "\(member.key) must be a string, got \(member.value.typeName)", status: 400)
            }
        }
        return parameters
    }

    // MARK: Logout

    static func logout(_ idp: MockIdP, _ request: HTTPRequest) throws -> HTTPResponse {
        guard let sessionID = request.query["session_id"], !sessionID.isEmpty else {
            return .json(["code": "invalid_request_parameters", "message": "session_id is required: /user_management/sessions/logout?session_id=session_…&return_to=…"], status: 422)
        }
        try idp.endSession(sessionID)
        guard let returnTo = request.query["return_to"], !returnTo.isEmpty else {
            return LoginPage.signedOut(note: "No return_to was given, so there is nowhere to send you back to.")
        }
        guard idp.isAllowedRedirect(returnTo) else {
            return LoginPage.signedOut(note: "return_to '\(returnTo)' is not an allowed redirect (loopback http URLs and the configured redirect URIs are), so you stay here.")
        }
        return .redirect(to: returnTo)
    }
}

extension MockIdP {
    /// Remembers an authorize request for the login page's POST; the handle is opaque.
    func storeLogin(_ login: AuthFlowState.LoginRequest) -> String {
        var login = login
        let now = clock.now()
        login.expiresAt = now + configuration.authorizationCodeLifetime
        let id = ids.opaque(length: 24)
        state.withLock { state in
            state.flows.sweepIfDue(now: now, grace: configuration.refreshGraceSeconds)
            state.flows.logins[id] = login
        }
        return id
    }

    /// A stored login request that has not expired. It stays usable until then, so the browser's
    /// back button and a second pick both work.
    func storedLogin(_ id: String) -> AuthFlowState.LoginRequest? {
        let now = clock.now()
        return state.withLock { state in state.flows.logins[id].flatMap { now < $0.expiresAt ? $0 : nil } }
    }
}
