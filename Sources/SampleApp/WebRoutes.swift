import HTTP
import JOSE
import JSON

/// The web shape: a server-rendered app that signs users in with the AuthKit code flow and
/// keeps them signed in with a cookie session.
///
/// - `GET /login?return_to=/path[&login_hint=…][&organization_id=…]`: a fresh `state` and PKCE
///   verifier in the sealed `app_login` cookie (10 min), then 302 to the IdP's authorize.
/// - `GET /callback?code&state`: checks `state` against that cookie, exchanges the code with
///   the verifier, verifies the access token and provisions exactly as the API shape does, then
///   signs in a NEW `app_session` and 302s to `return_to` (or `/account`).
/// - `GET /account`: the account page, or its JSON with `Accept: application/json`; without a
///   session 401 (JSON) or 302 to `/login` (HTML). An expired access token is refreshed first.
/// - `GET|POST /logout`: ends the session here, then 302 to the IdP's logout (back to `/`).
/// - `GET /`: a public home page.
struct WebRoutes: Sendable {
    let configuration: SampleAppConfiguration
    let database: DatabaseBox
    let keys: JWKSCache
    let verifier: TokenVerifier
    let provisioner: LoginProvisioner
    let sessions: WebSessionStore
    let origin: AppOrigin
    let authKit: AuthKitClient
    let sealer = LoginCookieSealer()
    let resolver: WebSessionResolver

    /// How long a sign-in may take between `/login` and `/callback` (seconds).
    static let loginLifetime: Int64 = 600

    init(
        configuration: SampleAppConfiguration, database: DatabaseBox, keys: JWKSCache, verifier: TokenVerifier,
        provisioner: LoginProvisioner, sessions: WebSessionStore, origin: AppOrigin, idp: IdPConnection
    ) {
        self.configuration = configuration
        self.database = database
        self.keys = keys
        self.verifier = verifier
        self.provisioner = provisioner
        self.sessions = sessions
        self.origin = origin
        authKit = AuthKitClient(connection: idp, clientID: configuration.clientID)
        resolver = WebSessionResolver(sessions: sessions, authKit: authKit, verifier: verifier, configuration: configuration)
    }

    var bug: SeededBug? { configuration.bug }

    func register(into router: inout Router) {
        let routes = self
        router.get("/") { routes.home($0) }
        router.get("/login") { routes.login($0) }
        router.get("/callback") { routes.callback($0) }
        router.get("/account") { routes.account($0) }
        router.get("/logout") { routes.logout($0) }
        router.post("/logout") { routes.logout($0) }
    }

    // MARK: - Login

    func login(_ request: HTTPRequest) -> HTTPResponse {
        let now = configuration.clock()
        let requested = request.query["return_to"]
        let returnTo: String
        if bug == .openRedirectAfterLogin {
            // BUG (open-redirect-after-login): any non-empty return_to is kept, so a link to
            // /login?return_to=https://evil.test ends a real sign-in on the attacker's page.
            returnTo = requested.flatMap { $0.isEmpty ? nil : $0 } ?? ReturnTo.fallback
        } else {
            returnTo = ReturnTo.local(requested)
        }
        var pending = PendingLogin.begin(returnTo: returnTo, now: now / 1000, lifetime: Self.loginLifetime)
        if bug == .constantState {
            // BUG (constant-state): PKCE was dropped ("the client secret is enough") and `state`
            // is a fixed word, so every login's CSRF token is known to anyone who tried once.
            pending = PendingLogin(state: "login", verifier: "", returnTo: pending.returnTo, expiresAt: pending.expiresAt)
        }
        var headers: HTTPHeaders = ["Cache-Control": "no-store"]
        headers.add("Set-Cookie", Cookies.set(Cookies.login, sealer.seal(pending), maxAge: Self.loginLifetime))
        // Like most web frameworks, a visitor has a session before signing in; the callback must
        // replace it rather than sign it in (fixation).
        if Cookies.value(Cookies.session, in: request).flatMap({ sessions.session($0, now: now) }) == nil {
            let anonymous = WebSession(id: WebSessionStore.newID(), account: nil, createdAt: now, expiresAt: now + Self.loginLifetime * 1000)
            sessions.put(anonymous, now: now)
            headers.add("Set-Cookie", Cookies.set(Cookies.session, anonymous.id, maxAge: Self.loginLifetime))
        }
        let url = authKit.authorizeURL(
            redirectURI: origin.current + "/callback", login: pending,
            loginHint: Self.nonEmpty(request.query["login_hint"]),
            organizationID: Self.nonEmpty(request.query["organization_id"]))
        return .redirect(to: url, headers: headers)
    }

    // MARK: - Callback

    func callback(_ request: HTTPRequest) -> HTTPResponse {
        let now = configuration.clock()
        // The login cookie is single use whatever happens next.
        var headers: HTTPHeaders = ["Cache-Control": "no-store"]
        headers.add("Set-Cookie", Cookies.expire(Cookies.login))
        func failed(_ status: Int, _ error: String, _ reason: String) -> HTTPResponse {
            WebPages.signInFailed(request, status: status, error: error, reason: reason, headers: headers)
        }
        let pending = Cookies.value(Cookies.login, in: request).flatMap { sealer.open($0, now: now / 1000) }
        if let error = Self.nonEmpty(request.query["error"]) {
            return failed(401, error, request.query["error_description"] ?? "the identity provider did not sign you in")
        }
        guard let code = Self.nonEmpty(request.query["code"]) else { return failed(400, "invalid_request", "the callback has no code") }
        if configuration.requireAuthorizationResponseIss, request.query["iss"] != configuration.issuer {
            // RFC 9207 §2.4: a missing or other issuer may be a mix-up; the code is never redeemed.
            return failed(400, "invalid_issuer", "the authorization response does not come from the issuer this app signs in with")
        }

        let verifier: String?
        let returnTo: String
        if bug == .stateNotChecked {
            // BUG (state-not-checked): `state` is sent but never compared, and a missing login
            // cookie only means no PKCE verifier; any code delivered here signs the browser in.
            verifier = pending?.verifier
            returnTo = pending?.returnTo ?? ReturnTo.fallback
        } else {
            guard let pending else {
                return failed(400, "invalid_state", "no sign-in is in progress in this browser (the login cookie is missing or expired)")
            }
            guard let state = request.query["state"],
                LoginCookieSealer.constantTimeEquals(Array(state.utf8), Array(pending.state.utf8))
            else {
                return failed(400, "invalid_state", "the state does not match the sign-in this browser started")
            }
            verifier = pending.verifier.isEmpty ? nil : pending.verifier
            returnTo = pending.returnTo
        }

        let tokens: AuthKitTokens
        do {
            tokens = try authKit.exchange(code: code, verifier: verifier)
        } catch {
            return failed(401, "code_exchange_failed", error.description)
        }
        let verified: VerifiedClaims
        switch verify(tokens.accessToken) {
        case .success(let claims): verified = claims
        case .failure(.refusal(let refusal)): return failed(401, refusal.error, refusal.reason)
        case .failure(.crash(let what)): return WebPages.internalServerError(what)
        }

        let appUserID: String
        switch provisioner.login(verified) {
        case .answered(let stored):
            guard let id = (try? JSONValue.parse(stored.body))?["user"]?["id"]?.stringValue else {
                return WebPages.internalServerError("a stored login answer has no user.id")
            }
            appUserID = id
        case .refused(let reason): return failed(401, "invalid_token", reason)
        case .upstream(let error): return failed(401, "idp_unavailable", error.description)
        case .failed: return failed(503, "provisioning_failed", "the account could not be set up; try again")
        case .inconsistent: return WebPages.internalServerError("inconsistent_state")
        }

        let account = SignedInAccount(
            appUserID: appUserID, idpUserID: verified.subject, idpSessionID: verified.sessionID,
            accessToken: tokens.accessToken, accessTokenExpiresAt: verified.claims["exp"]?.intValue,
            refreshToken: tokens.refreshToken)
        let presented = Cookies.value(Cookies.session, in: request)
        let sessionID: String
        if bug == .sessionNotRotated, let presented, !presented.isEmpty, presented.utf8.count <= 128 {
            // BUG (session-not-rotated): the login signs in the session the browser already had,
            // so a session ID planted before the login becomes the victim's signed-in session.
            sessionID = presented
        } else {
            if let presented { sessions.remove(presented) }
            sessionID = WebSessionStore.newID()
        }
        let lifetime = configuration.sessionLifetimeSeconds
        sessions.put(WebSession(id: sessionID, account: account, createdAt: now, expiresAt: now + lifetime * 1000), now: now)
        // BUG (session-cookie-not-httponly): the signed-in session cookie is left readable by scripts.
        headers.add("Set-Cookie", Cookies.set(Cookies.session, sessionID, maxAge: lifetime, httpOnly: bug != .sessionCookieNotHTTPOnly))
        return .redirect(to: returnTo, headers: headers)
    }

    /// Why a token signs nobody in, for the error page.
    private struct Refusal {
        let error: String
        let reason: String
    }

    /// Verifies as the API shape does (the same verifier and JWKS cache). `.crash` is what the
    /// seeded crash bugs answer instead of a refusal.
    private func verify(_ token: String) -> Result<VerifiedClaims, RefusalOrCrash> {
        if bug == .unknownKidCrashes, let kid = Self.headerKid(token), let keySet = try? keys.current(), !keySet.knows(kid: kid) {
            // BUG (unknown-kid-crashes): the key is looked up as `jwks[kid]` in the cached set,
            // with neither a refetch nor a refusal, and the KeyError becomes a 500.
            return .failure(.crash("KeyError: '\(kid)'"))
        }
        do {
            return .success(try verifier.verify(token))
        } catch .jwksUnavailable(let reason) {
            if bug == .jwksOutageCrashes {
                // BUG (jwks-outage-crashes): the JWKS fetch error is not caught, so while the
                // IdP's JWKS endpoint is down every sign-in answers 500.
                return .failure(.crash("JWKSFetchError: \(reason)"))
            }
            return .failure(.refusal(Refusal(error: "jwks_unavailable", reason: "the sign-in could not be verified now: \(reason)")))
        } catch {
            return .failure(.refusal(Refusal(error: "invalid_token", reason: error.reason)))
        }
    }

    private enum RefusalOrCrash: Error {
        /// Not signed in: a 401 page.
        case refusal(Refusal)
        case crash(String)
    }

    static func headerKid(_ token: String) -> String? {
        guard let encoded = token.split(separator: ".", maxSplits: 1).first, let bytes = try? Base64URL.decode(encoded),
            let header = try? JSONValue.parse(bytes)
        else { return nil }
        return header["kid"]?.stringValue
    }

    // MARK: - Pages

    func account(_ request: HTTPRequest) -> HTTPResponse {
        switch resolver.resolve(request) {
        case .signedOut(let clear):
            return WebPages.signInRequired(request, returnTo: "/account", headers: clear ? Self.expireSession : [:])
        case .crashed(let reason):
            return WebPages.internalServerError(reason)
        case .signedIn(let session, let account):
            if let crash = layoutCrash(account) { return crash }
            guard let fields = database.withLock({ $0.account(appUserID: account.appUserID) }) else {
                // The account is gone (a test reset): the session cannot stand for anyone.
                sessions.remove(session.id)
                return WebPages.signInRequired(request, returnTo: "/account", headers: Self.expireSession)
            }
            return WebPages.account(fields, idpSessionID: account.idpSessionID, json: WebPages.wantsJSON(request))
        }
    }

    func home(_ request: HTTPRequest) -> HTTPResponse {
        switch resolver.resolve(request) {
        case .signedOut(let clear):
            var response = WebPages.home(signedIn: false)
            if clear { response.headers.add("Set-Cookie", Cookies.expire(Cookies.session)) }
            return response
        case .crashed(let reason):
            return WebPages.internalServerError(reason)
        case .signedIn(_, let account):
            return layoutCrash(account) ?? WebPages.home(signedIn: true)
        }
    }

    /// Every signed-in page's layout has a sign-out link; this app builds it through `/logout`,
    /// which copes with a token that had no `sid`.
    private func layoutCrash(_ account: SignedInAccount) -> HTTPResponse? {
        guard bug == .missingSidCrashes, account.idpSessionID == nil else { return nil }
        // BUG (missing-sid-crashes): the layout builds the IdP logout URL from `claims["sid"]`
        // on every page; for a token without `sid` that KeyError is a 500 on every page.
        return WebPages.internalServerError("KeyError: 'sid' (building the logout URL)")
    }

    // MARK: - Logout

    func logout(_ request: HTTPRequest) -> HTTPResponse {
        let now = configuration.clock()
        var idpSessionID: String?
        if let id = Cookies.value(Cookies.session, in: request) {
            idpSessionID = sessions.session(id, now: now)?.account?.idpSessionID
            sessions.remove(id)
        }
        var headers = Self.expireSession
        headers.add("Cache-Control", "no-store")
        // Ending the IdP session too: otherwise the next /login signs straight back in.
        // BUG (logout-keeps-idp-session): only this app's session ends; the IdP's stays signed in.
        guard let idpSessionID, bug != .logoutKeepsIdPSession else { return .redirect(to: "/", headers: headers) }
        return .redirect(to: authKit.logoutURL(sessionID: idpSessionID, returnTo: origin.current + "/"), headers: headers)
    }

    // MARK: - Helpers

    private static let expireSession: HTTPHeaders = ["Set-Cookie": Cookies.expire(Cookies.session)]

    static func nonEmpty(_ value: String?) -> String? { value.flatMap { $0.isEmpty ? nil : $0 } }
}

extension VerifiedClaims {
    /// The token's `sid` when it is a non-blank string.
    var sessionID: String? { claims["sid"]?.nonBlankString != nil ? claims["sid"]?.stringValue : nil }
}
