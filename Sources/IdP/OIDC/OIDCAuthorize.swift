import HTTP

/// The OpenID Connect authorize endpoint (OIDC Core §3.1.2, RFC 6749 §4.1.1, RFC 7636, RFC 8707,
/// RFC 9207). Errors redirect only once the client and its redirect URI are known good; before
/// that the browser gets a page saying what to fix (RFC 6749 §4.1.2.1).
extension MockIdP {
    static let oidcScopes = ["openid", "profile", "email", "offline_access"]
    static let promptValues: Set<String> = ["none", "login", "consent", "select_account"]
    /// Parameters that must not repeat (RFC 6749 §3.1); `resource` may (RFC 8707 §2).
    static let singleValuedAuthorizeParameters = [
        "client_id", "redirect_uri", "response_type", "scope", "state", "nonce", "code_challenge", "code_challenge_method", "prompt",
        "max_age", "login_hint",
    ]

    func oidcAuthorize(_ query: QueryParameters) -> AuthorizeOutcome {
        func value(_ name: String) -> String? { query[name].flatMap { $0.isEmpty ? nil : $0 } }
        guard let clientID = value("client_id") else {
            return .errorPage(
                title: "client_id is missing",
                detail: "Add client_id=<your client's ID> to the authorize URL (the environment client is \(configuration.clientID)).")
        }
        guard let client = oidcClient(clientID) else {
            return .errorPage(
                title: "Unknown client_id",
                detail:
                    "client_id '\(clientID)' is not registered. Use \(configuration.clientID), a fixture client, POST /_mock/clients or POST /oauth2/register."
            )
        }
        guard let redirectURI = value("redirect_uri") else {
            return .errorPage(
                title: "redirect_uri is missing",
                detail: "Add redirect_uri=<one of the client's registered redirect URIs> to the authorize URL.")
        }
        guard client.allowsRedirect(redirectURI) else {
            let registered = client.redirectURIs.isEmpty ? "none" : client.redirectURIs.joined(separator: ", ")
            let loopback = client.acceptsAnyLoopbackRedirect ? " (and any http(s) URL on localhost, 127.0.0.1 or [::1])" : ""
            return .errorPage(
                title: "redirect_uri is not registered for this client",
                detail:
                    "'\(redirectURI)' does not exactly match a redirect URI of \(clientID). Registered: \(registered)\(loopback). The port of http://127.0.0.1 and http://[::1] URIs may differ (RFC 8252 §7.3)."
            )
        }
        let state = value("state")
        func fail(_ error: String, _ description: String) -> AuthorizeOutcome {
            .redirect(
                Self.appendingQuery(redirectURI, [("error", error), ("error_description", description), ("state", state ?? ""), ("iss", issuer)]))
        }
        for name in Self.singleValuedAuthorizeParameters where query.values(name).count > 1 {
            return fail("invalid_request", "\(name) is sent more than once (RFC 6749 §3.1)")
        }
        guard query["response_type"] == "code" else {
            return fail(
                "unsupported_response_type",
                "response_type must be 'code' (the only flow this provider serves), got '\(query["response_type"] ?? "")'")
        }
        guard client.grantTypes.contains("authorization_code") else {
            return fail("unauthorized_client", "client \(clientID) is not registered for the authorization_code grant")
        }
        if query["request"] != nil { return fail("request_not_supported", "request objects are not supported; send the parameters in the URL") }
        if query["request_uri"] != nil { return fail("request_uri_not_supported", "request_uri is not supported; send the parameters in the URL") }
        let scopes = (query["scope"] ?? "").split(separator: " ").map(String.init)
        let challenge = value("code_challenge")
        let method = value("code_challenge_method")
        if challenge != nil, method == nil || method == "plain" {
            return fail("invalid_request", "code_challenge_method 'plain' is not allowed; use S256 (RFC 9700 §2.1.1)")
        }
        if let method, method != "S256" { return fail("invalid_request", "code_challenge_method must be S256, got '\(method)'") }
        if method != nil, challenge == nil { return fail("invalid_request", "code_challenge is required with code_challenge_method") }
        if let challenge, challenge.utf8.count != 43 || !challenge.utf8.allSatisfy(Self.isBase64URLCharacter) {
            return fail("invalid_request", "code_challenge must be BASE64URL(SHA256(code_verifier)): 43 characters of [A-Za-z0-9_-]")
        }
        if client.kind == .public, challenge == nil {
            return fail("invalid_request", "PKCE is required for public clients: send code_challenge and code_challenge_method=S256")
        }
        let prompts = Set((query["prompt"] ?? "").split(separator: " ").map(String.init))
        if let unknown = prompts.subtracting(Self.promptValues).first {
            return fail("invalid_request", "prompt '\(unknown)' is not one of none, login, consent, select_account")
        }
        if prompts.contains("none"), prompts.count > 1 { return fail("invalid_request", "prompt=none cannot be combined with other values") }
        if let maxAge = query["max_age"], Int64(maxAge).map({ $0 < 0 }) ?? true {
            return fail("invalid_request", "max_age must be a non-negative number of seconds, got '\(maxAge)'")
        }
        let resources = query.values("resource")
        for resource in resources {
            if let problem = Self.resourceProblem(resource) { return fail("invalid_target", "resource '\(resource)' \(problem) (RFC 8707 §2)") }
        }
        let request = OIDCAuthorization(
            clientID: clientID, redirectURI: redirectURI, state: state, nonce: value("nonce"), scopes: scopes,
            codeChallenge: challenge, resources: resources)
        let loginHint = value("login_hint")
        let autoApprove = value("mockidp_auto_approve").map { Self.autoApproveValues.contains($0.lowercased()) } ?? configuration.autoApprove
        // The mock keeps no browser session of its own, so every login is a fresh one: max_age
        // is met by the auth_time it reports, and prompt=login changes nothing.
        if autoApprove, let loginHint {
            guard let user = directory.resolveUser(loginHint) else {
                return fail(
                    prompts.contains("none") ? "login_required" : "access_denied",
                    "login_hint '\(loginHint)' names no fixture user (give an email, fixture ref or user ID)")
            }
            return issueOIDCCode(request, userID: user.id, organizationID: nil)
        }
        if prompts.contains("none") {
            return fail("login_required", "prompt=none cannot show the login page; use login_hint with mockidp_auto_approve=1 for headless logins")
        }
        let login = AuthFlowState.LoginRequest(
            clientID: clientID, redirectURI: redirectURI, state: state, codeChallenge: challenge, organizationID: nil, loginHint: loginHint,
            authenticationMethod: "Password", impersonator: nil, expiresAt: 0, surface: .oidc(request))
        let loginID = remember(login, handleLength: 24, in: \.logins)
        return .loginPage(loginID: loginID, login: login, screenHint: nil)
    }

    /// The login page's POST for an OpenID Connect or SSO login.
    func completeSurfaceLogin(_ surface: LoginSurface, userID: String, organizationID: String?) -> AuthorizeOutcome {
        switch surface {
        case .oidc(let request): return issueOIDCCode(request, userID: userID, organizationID: organizationID)
        case .sso(let request): return issueSSOCode(request, userID: userID)
        }
    }

    func issueOIDCCode(_ request: OIDCAuthorization, userID: String, organizationID: String?) -> AuthorizeOutcome {
        sweepOIDCFlows()
        let code = remember(
            OIDCFlowState.Code(request: request, userID: userID, organizationID: organizationID, authTime: clock.now(), expiresAt: 0),
            handleLength: 25, in: \.oidc.codes)
        return .redirect(Self.appendingQuery(request.redirectURI, [("code", code), ("state", request.state ?? ""), ("iss", issuer)]))
    }

    /// `remember` sweeps the AuthKit tables only; codes of these surfaces are swept here.
    func sweepOIDCFlows() {
        let now = clock.now()
        state.withLock { $0.flows.oidc.sweepIfDue(now: now) }
    }

    /// nil when `resource` is an absolute URI without a fragment.
    static func resourceProblem(_ resource: String) -> String? {
        guard let colon = resource.firstIndex(of: ":"), colon != resource.startIndex,
            resource[..<colon].allSatisfy({ $0.isLetter || $0.isNumber || $0 == "+" || $0 == "-" || $0 == "." })
        else {
            return "is not an absolute URI"
        }
        if resource.contains("#") { return "must not have a fragment" }
        if !resource.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) { return "contains spaces or control characters" }
        return nil
    }

    static func isBase64URLCharacter(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
            UInt8(ascii: "-"), UInt8(ascii: "_"):
            return true
        default: return false
        }
    }
}
