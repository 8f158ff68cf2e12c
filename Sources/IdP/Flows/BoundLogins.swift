import JSON

/// A login the conformance runner scripted: the authorization code (and every refresh token it
/// leads to) answers with a token minted from this request — valid or forged — so a code-flow
/// app meets every forgery through `POST /user_management/authenticate`, as it would meet a
/// compromised or broken IdP.
package struct BoundLogin: Sendable {
    package var request: TokenRequest
    package var token: MintedToken
    /// The `user` object the authenticate answer carries; nil is the token's own user.
    package var userObject: String?
    /// For a code of `/oauth2/authorize`: the `id_token` the token endpoint answers with (nil:
    /// minted for the login as usual). `token` is its access token.
    package var idToken: MintedToken?
    /// For a code of `/oauth2/authorize` (a profile whose `token_role` is `id_token`): the
    /// id_token is minted as the exchange would mint it (nonce, aud, azp, at_hash) and then
    /// changed as this request changes a token; the access token is minted as usual.
    package var idTokenRequest: TokenRequest?
    /// Another issuer's keys that sign that id_token (the runner's attacker IdP); nil: the mock's.
    package var idTokenKeys: KeyRing?

    package init(
        request: TokenRequest, token: MintedToken, userObject: String? = nil, idToken: MintedToken? = nil, idTokenRequest: TokenRequest? = nil
    ) {
        self.request = request
        self.token = token
        self.userObject = userObject
        self.idToken = idToken
        self.idTokenRequest = idTokenRequest
    }
}

extension MockIdP {
    /// Binds a code the authorize endpoint issued to a minted token. The code keeps every rule
    /// of an ordinary code (single use, expiry, client, PKCE, client secret); only what the
    /// exchange answers changes.
    package func bindAuthorizationCode(_ code: String, to login: BoundLogin) throws(IdPError) {
        try state.withLock { (state) throws(IdPError) in
            if state.flows.oidc.codes[code] != nil {
                state.flows.oidc.codes[code]?.bound = login
                return
            }
            guard var record = state.flows.codes[code] else { throw .notFound(entity: "Authorization code", id: code) }
            record.bound = login
            state.flows.codes[code] = record
        }
    }

    /// The `nonce` the authorize request of an `/oauth2/authorize` code carried (nil: none, or
    /// not such a code), so a scenario can replay one login's nonce in another.
    package func authorizationNonce(code: String) -> String? {
        state.withLock { $0.flows.oidc.codes[code]?.request.nonce }
    }

    /// Presents again, at the token endpoint, a refresh token of `sessionID`'s family that was
    /// already used (rotated away), as a thief holding an old copy would. The answer is the
    /// token endpoint's error (`invalid_grant`, and the family ends: RFC 9700 §4.14.2); nil when
    /// the family has no rotated token yet.
    package func replayRotatedRefreshToken(sessionID: String) -> OAuthError? {
        let used = state.withLock { state in
            state.flows.oidc.refreshTokens.first { $0.value.sessionID == sessionID && $0.value.used }.map { ($0.key, $0.value.clientID) }
        }
        guard let (token, clientID) = used, let client = oidcClient(clientID) else { return nil }
        do {
            _ = try refreshOIDC(token, client: client, scope: nil, resources: [])
            return OAuthError.serverError(IdPError.invalidParameters("a rotated refresh token was honoured"))
        } catch {
            return error
        }
    }

    /// The session a bound login's refresh tokens hang on: the token's own (its `sid`), or, for a
    /// token minted without one, a session made for the exchange so refresh and revocation work.
    static func boundSession(_ state: inout State, ids: IDGenerator, login: BoundLogin, now: Int64) -> String? {
        if let sid = login.token.sessionID, state.directory.sessions[sid] != nil { return sid }
        guard let user = state.directory.resolveUser(login.request.user) else { return nil }
        let organization = login.request.organization.flatMap { state.directory.resolveOrganization($0) }
        let session = Session(
            id: ids.id(.session), userID: user.id, organizationID: organization?.id,
            createdAt: now * 1000, updatedAt: now * 1000, expiresAt: (now + 86_400) * 1000)
        state.directory.insertSession(session)
        return session.id
    }

    /// Starts the bound login's refresh chain and shapes the authenticate answer.
    func finishBound(_ login: BoundLogin, refreshToken: String, method: String, now: Int64) throws(IdPError) -> JSONValue {
        let token = login.token
        let directory = self.directory
        let user = directory.resolveUser(login.userObject ?? login.request.user)
        let organization = login.request.organization.flatMap { directory.resolveOrganization($0) }
        return [
            "user": user.map(WorkOSShape.user) ?? .null,
            "organization_id": organization.map { .string($0.id) } ?? .null,
            "access_token": .string(token.token),
            "refresh_token": .string(refreshToken),
            "authentication_method": .string(method),
        ]
    }

    /// The same forged or valid token again, for a refresh: a new `iat`/`exp`, the same `sid`.
    func remint(_ login: BoundLogin) throws(IdPError) -> BoundLogin {
        var request = login.request
        if request.claims["sid"] == nil, !request.omit.contains("sid"), let sid = login.token.claims["sid"] {
            request.claims["sid"] = sid
        }
        var next = login
        next.token = try mintToken(request)
        return next
    }
}
