import HTTP
import JOSE
import JSON

/// What RP-initiated logout decided (OpenID Connect RP-Initiated Logout 1.0).
enum LogoutOutcome {
    case redirect(String)
    case signedOut(note: String)
    case errorPage(title: String, detail: String)
}

/// Userinfo (OIDC Core §5.3), RP-initiated logout, revocation (RFC 7009) and Dynamic Client
/// Registration (RFC 7591).
extension MockIdP {
    /// The payload of a token this provider signed with one of its published keys, or nil.
    func verifiedOwnToken(_ token: String) -> JSONValue? {
        var published: [String: PublicKey] = [:]
        for key in keys.publishedKeys where published[key.kid] == nil { published[key.kid] = key.publicKey }
        let verifier = JWSVerifier(keys: published, allowedAlgorithms: [.rs256, .es256])
        guard let verified = try? verifier.verify(token), verified.payload["iss"]?.stringValue == issuer else { return nil }
        return verified.payload
    }

    /// `GET|POST /oauth2/userinfo` with `Authorization: Bearer <access token>`.
    package func userinfo(bearer: String?) throws(OAuthError) -> JSONValue {
        guard let bearer, !bearer.isEmpty else { throw OAuthError.invalidToken(nil) }
        guard let claims = verifiedOwnToken(bearer) else {
            throw OAuthError.invalidToken("the access token is not a JWT this provider signed (signature, key or issuer differs)")
        }
        let now = clock.now()
        guard let expiry = claims["exp"]?.intValue, now < expiry else { throw OAuthError.invalidToken("the access token has expired") }
        guard let subject = claims["sub"]?.stringValue else { throw OAuthError.invalidToken("the access token has no sub") }
        let (user, revoked, sessionActive) = state.withLock { state in
            let sessionActive = claims["sid"]?.stringValue.flatMap { state.directory.sessions[$0] }.map {
                $0.status == .active && now * 1000 < $0.expiresAt
            }
            return (
                state.directory.users[subject], claims["jti"]?.stringValue.map { state.flows.oidc.revokedTokenIDs[$0] != nil } ?? false,
                sessionActive
            )
        }
        guard !revoked else { throw OAuthError.invalidToken("the access token was revoked") }
        guard sessionActive ?? false else {
            throw OAuthError.invalidToken("the session of this access token has ended (logout, revocation or a replayed code)")
        }
        guard let user else { throw OAuthError.invalidToken("the access token's user \(subject) no longer exists") }
        // A token without `scope` was minted by the WorkOS surface, which grants the whole profile.
        let scopes = claims["scope"]?.stringValue.map { $0.split(separator: " ").map(String.init) } ?? ["openid", "profile", "email"]
        guard scopes.contains("openid") else {
            throw OAuthError(
                "insufficient_scope", "userinfo needs a token granted the openid scope", status: 403,
                wwwAuthenticate: "Bearer realm=\"mockidp\", error=\"insufficient_scope\", scope=\"openid\"")
        }
        var answer: JSONObject = ["sub": .string(user.id)]
        for member in Self.userClaims(user, scopes: scopes) { answer[member.key] = member.value }
        return .object(answer)
    }

    /// `GET|POST /oauth2/logout`: ends the session the `id_token_hint` names and returns to a
    /// registered `post_logout_redirect_uri` with `state`.
    func oidcLogout(_ query: QueryParameters) -> LogoutOutcome {
        func value(_ name: String) -> String? { query[name].flatMap { $0.isEmpty ? nil : $0 } }
        var audience: String?
        var sessionID: String?
        if let hint = value("id_token_hint") {
            // An expired hint still names the session (RP-Initiated Logout §2): only the signature counts.
            guard let claims = verifiedOwnToken(hint) else {
                return .errorPage(
                    title: "id_token_hint is not valid",
                    detail: "It is not an ID token this provider signed (signature, key or issuer differs).")
            }
            audience = claims["aud"]?.stringValue ?? claims["aud"]?.arrayValue?.first?.stringValue
            sessionID = claims["sid"]?.stringValue
        }
        let clientID = value("client_id") ?? audience
        if let given = value("client_id"), let audience, given != audience {
            return .errorPage(
                title: "client_id does not match id_token_hint",
                detail: "client_id is '\(given)' but the ID token was issued to '\(audience)'.")
        }
        if let sessionID { _ = try? endSession(sessionID) }
        guard let target = value("post_logout_redirect_uri") else {
            return .signedOut(note: sessionID == nil ? "No id_token_hint was sent, so no session was ended." : "Your session has ended.")
        }
        guard let clientID, let client = oidcClient(clientID) else {
            return .errorPage(
                title: "Cannot check post_logout_redirect_uri",
                detail: "Send id_token_hint or client_id with post_logout_redirect_uri, so the provider knows which client's registered URIs apply.")
        }
        guard client.allowsPostLogoutRedirect(target) else {
            let registered = client.postLogoutRedirectURIs.isEmpty ? "none" : client.postLogoutRedirectURIs.joined(separator: ", ")
            return .errorPage(
                title: "post_logout_redirect_uri is not registered",
                detail: "'\(target)' is not a post-logout redirect URI of \(client.id). Registered: \(registered).")
        }
        return .redirect(Self.appendingQuery(target, [("state", value("state") ?? "")]))
    }

    /// `POST /oauth2/revoke` (RFC 7009): a refresh token ends its family; an access token stops
    /// working at userinfo. Unknown tokens are answered 200 as §2.2 requires.
    package func revoke(_ form: QueryParameters, authorization: String?) throws(OAuthError) {
        let client = try authenticateClient(form, authorization: authorization)
        guard let token = form["token"], !token.isEmpty else { throw OAuthError.invalidRequest("token is required") }
        let now = clock.now()
        let claims = token.contains(".") ? verifiedOwnToken(token) : nil
        try state.withLock { (state) throws(OAuthError) in
            if let record = state.flows.oidc.refreshTokens[token] {
                guard record.clientID == client.id else { throw OAuthError("unauthorized_client", "the token was issued to another client") }
                state.flows.oidc.refreshTokens[token] = nil
                Self.endOIDCFamily(&state, sessionID: record.sessionID, now: now)
                return
            }
            guard let claims, let jti = claims["jti"]?.stringValue else { return }
            if let owner = claims["client_id"]?.stringValue, owner != client.id {
                throw OAuthError("unauthorized_client", "the token was issued to another client")
            }
            state.flows.oidc.sweepIfDue(now: now)
            state.flows.oidc.revokedTokenIDs[jti] = claims["exp"]?.intValue ?? now + minterLifetime
        }
    }

    /// `POST /oauth2/register` (RFC 7591): no initial access token, as AuthKit's MCP support.
    package func registerDynamically(_ body: JSONValue) throws(OAuthError) -> JSONValue {
        let client: OIDCClient
        do {
            client = try OIDCClientReader(source: .registration, ids: ids).read(body, now: clock.now())
        } catch {
            throw OAuthError(error.error, error.description)
        }
        do {
            return try registerClient(client).json
        } catch {
            throw OAuthError("invalid_client_metadata", error.description)
        }
    }
}
