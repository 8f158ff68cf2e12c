import HTTP

/// What `/user_management/authorize` (and the login page's POST) decided. The route only
/// renders it; the rules live in `MockIdP.authorize` and `MockIdP.completeLogin`.
enum AuthorizeOutcome: Sendable {
    /// Back to the app, with a code or an OAuth error. Errors redirect only once `client_id`
    /// and `redirect_uri` are known good.
    case redirect(String)
    /// Nowhere safe to send the browser: show what to fix.
    case errorPage(title: String, detail: String)
    /// Show the sign-in page for the login stored under `loginID`.
    case loginPage(loginID: String, login: AuthFlowState.LoginRequest, screenHint: String?)
}

extension MockIdP {
    static let autoApproveValues = ["1", "true", "yes"]

    /// The AuthKit authorize request (RFC 6749 §4.1.1 plus WorkOS's provider, connection and
    /// organization parameters): a headless redirect with a code, the login page, or an error.
    func authorize(_ query: QueryParameters) -> AuthorizeOutcome {
        func value(_ name: String) -> String? { query[name].flatMap { $0.isEmpty ? nil : $0 } }
        let configuration = self.configuration
        guard let clientID = value("client_id") else {
            return .errorPage(title: "client_id is missing", detail: "Add client_id=\(configuration.clientID) to the authorize URL.")
        }
        guard clientID == configuration.clientID else {
            return .errorPage(
                title: "Unknown client_id",
                detail:
                    "client_id '\(clientID)' is not this environment's client. This mock's client ID is \(configuration.clientID) (set WORKOS_CLIENT_ID to it)."
            )
        }
        guard let redirectURI = value("redirect_uri") else {
            return .errorPage(title: "redirect_uri is missing", detail: "Add redirect_uri=<your callback URL> to the authorize URL.")
        }
        guard isAllowedRedirect(redirectURI) else {
            let configured = configuration.redirectURIs.isEmpty ? "none configured" : configuration.redirectURIs.joined(separator: ", ")
            return .errorPage(
                title: "redirect_uri is not allowed",
                detail:
                    "'\(redirectURI)' is not an allowed redirect URI. Allowed: any http or https URL on localhost, 127.0.0.1 or [::1] (any port, no user info, no fragment), and exactly these configured URIs: \(configured)."
            )
        }
        let state = value("state")
        func fail(_ error: String, _ description: String) -> AuthorizeOutcome {
            .redirect(Self.appendingQuery(redirectURI, [("error", error), ("error_description", description), ("state", state ?? "")]))
        }
        guard query["response_type"] == "code" else {
            return fail("unsupported_response_type", "response_type must be 'code', got '\(query["response_type"] ?? "")'")
        }
        let provider = value("provider")
        if let provider, !Self.authorizeProviders.contains(provider) {
            return fail("invalid_request", "provider '\(provider)' is not supported; use one of \(Self.authorizeProviders.joined(separator: ", "))")
        }
        let connectionID = value("connection_id")
        if let connectionID, !IdPID.has(prefix: .connection, connectionID) {
            return fail("invalid_request", "connection_id '\(connectionID)' is not a connection ID (conn_<ULID>)")
        }
        var organization: Organization?
        if let reference = value("organization_id") {
            guard let found = directory.organizations[reference] else {
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
        if let challenge, challenge.utf8.count != 43 || !challenge.utf8.allSatisfy(Self.isBase64URLByte) {
            return fail("invalid_request", "code_challenge must be BASE64URL(SHA256(code_verifier)): 43 characters of [A-Za-z0-9_-]")
        }
        if let hint = value("screen_hint"), hint != "sign-in", hint != "sign-up" {
            return fail("invalid_request", "screen_hint must be sign-in or sign-up, got '\(hint)'")
        }
        var impersonator: Impersonator?
        if let email = value("mockidp_impersonator") {
            impersonator = Impersonator(email: email, reason: value("mockidp_impersonation_reason"))
        }
        let method = Self.authenticationMethod(provider: provider, connectionID: connectionID)
        let loginHint = value("login_hint")
        let autoApprove = value("mockidp_auto_approve").map { Self.autoApproveValues.contains($0.lowercased()) } ?? configuration.autoApprove

        if autoApprove, let loginHint {
            let directory = self.directory
            guard let user = directory.resolveUser(loginHint) else {
                return fail("access_denied", "login_hint '\(loginHint)' names no fixture user (give an email, fixture ref or user ID)")
            }
            if let organization, directory.membership(userID: user.id, organizationID: organization.id)?.status != .active {
                return fail("access_denied", "\(user.email) is not an active member of \(organization.name) (\(organization.id))")
            }
            let code = issueCode(
                AuthFlowState.AuthorizationCode(
                    clientID: clientID, redirectURI: redirectURI, userID: user.id, organizationID: organization?.id, codeChallenge: challenge,
                    authenticationMethod: method, impersonator: impersonator, expiresAt: 0))
            return .redirect(Self.appendingQuery(redirectURI, [("code", code), ("state", state ?? "")]))
        }
        if query["prompt"] == "none" {
            return fail("login_required", "prompt=none cannot show the login page; use login_hint with mockidp_auto_approve=1 for headless logins")
        }
        let login = AuthFlowState.LoginRequest(
            clientID: clientID, redirectURI: redirectURI, state: state, codeChallenge: challenge, organizationID: organization?.id,
            loginHint: loginHint, authenticationMethod: method, impersonator: impersonator, expiresAt: 0)
        // Remembered for the login page's POST, which carries only the opaque handle.
        let loginID = remember(login, handleLength: 24, in: \.logins)
        return .loginPage(loginID: loginID, login: login, screenHint: value("screen_hint"))
    }

    /// The login page's POST: the user (and maybe the organization) picked for a stored login.
    func completeLogin(loginID: String?, userID: String?, organizationID: String?) -> AuthorizeOutcome {
        guard let loginID, let login = storedLogin(loginID) else {
            return .errorPage(
                title: "This sign-in page has expired",
                detail:
                    "Sign-in pages live \(configuration.authorizationCodeLifetime) s (or the mock was reset). Start the login again from your app.")
        }
        let directory = self.directory
        guard let userID, let user = directory.users[userID] else {
            return .errorPage(title: "Unknown user", detail: "The form named no fixture user; pick one of the users on the sign-in page.")
        }
        let chosen = organizationID.flatMap { $0.isEmpty ? nil : $0 } ?? login.organizationID
        func fail(_ error: String, _ description: String) -> AuthorizeOutcome {
            .redirect(Self.appendingQuery(login.redirectURI, [("error", error), ("error_description", description), ("state", login.state ?? "")]))
        }
        if let chosen {
            if let required = login.organizationID, required != chosen {
                return fail("access_denied", "the app asked for organization \(required), not \(chosen)")
            }
            guard directory.membership(userID: user.id, organizationID: chosen)?.status == .active else {
                return fail("access_denied", "\(user.email) is not an active member of \(chosen)")
            }
        }
        if let surface = login.surface { return completeSurfaceLogin(surface, userID: user.id, organizationID: chosen) }
        let code = issueCode(
            AuthFlowState.AuthorizationCode(
                clientID: login.clientID, redirectURI: login.redirectURI, userID: user.id, organizationID: chosen, codeChallenge: login.codeChallenge,
                authenticationMethod: login.authenticationMethod, impersonator: login.impersonator, expiresAt: 0))
        return .redirect(Self.appendingQuery(login.redirectURI, [("code", code), ("state", login.state ?? "")]))
    }

    private static func isBase64URLByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
            UInt8(ascii: "-"), UInt8(ascii: "_"):
            return true
        default: return false
        }
    }

    /// A stored login request that has not expired. It stays usable until then, so the browser's
    /// back button and a second pick both work.
    func storedLogin(_ id: String) -> AuthFlowState.LoginRequest? {
        let now = clock.now()
        return state.withLock { state in state.flows.logins[id].flatMap { now < $0.expiresAt ? $0 : nil } }
    }
}
