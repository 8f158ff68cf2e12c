import Essentials
import FoundationEssentials
import Glibc
import HTTP
import JOSE
import JSON

/// The token endpoint of the OpenID Connect surface (RFC 6749 §3.2, §4.1.3, §6; OIDC Core
/// §3.1.3; RFC 7636 §4.6; RFC 8707 §2.2; RFC 9700 §4.14.2).
extension MockIdP {
    /// Who is calling: `client_secret_basic`, `client_secret_post`, or `none` for a public client.
    func authenticateClient(_ form: QueryParameters, authorization: String?) throws(OAuthError) -> OIDCClient {
        var clientID = form["client_id"].flatMap { $0.isEmpty ? nil : $0 }
        var secret = form["client_secret"].flatMap { $0.isEmpty ? nil : $0 }
        if let authorization, authorization.lowercased().hasPrefix("basic ") {
            guard secret == nil else {
                throw OAuthError.invalidRequest("use one client authentication method: Authorization: Basic or client_secret in the body, not both")
            }
            let encoded = authorization.dropFirst("basic ".count).trimmingWhitespace()
            guard let data = Data(base64Encoded: encoded), let decoded = String(data: data, encoding: .utf8),
                let colon = decoded.firstIndex(of: ":")
            else {
                throw OAuthError.invalidClient("the Authorization: Basic credentials are not base64(client_id:client_secret)")
            }
            // RFC 6749 §2.3.1: both halves are form-urlencoded before they are joined.
            let basicID = QueryParameters(parsing: "a=" + decoded[..<colon])["a"] ?? ""
            let basicSecret = QueryParameters(parsing: "a=" + decoded[decoded.index(after: colon)...])["a"] ?? ""
            if let clientID, clientID != basicID {
                throw OAuthError.invalidRequest("client_id '\(clientID)' in the body differs from '\(basicID)' in Authorization: Basic")
            }
            clientID = basicID
            secret = basicSecret.isEmpty ? nil : basicSecret
        }
        guard let clientID else {
            throw OAuthError.invalidClient("client authentication is required: send client_id (and client_secret for a confidential client)")
        }
        guard let client = oidcClient(clientID) else { throw OAuthError.invalidClient("client_id '\(clientID)' is not registered") }
        switch client.kind {
        case .confidential:
            guard let secret else {
                throw OAuthError.invalidClient("client \(clientID) is confidential: send its client_secret (Basic or in the body)")
            }
            guard secret == client.secret else { throw OAuthError.invalidClient("the client_secret of \(clientID) is wrong") }
        case .public:
            if secret != nil { throw OAuthError.invalidClient("client \(clientID) is public and has no secret; send only client_id") }
        }
        return client
    }

    /// `POST /oauth2/token`.
    package func oidcToken(_ form: QueryParameters, authorization: String?) throws(OAuthError) -> JSONValue {
        let singleValued = ["grant_type", "code", "redirect_uri", "code_verifier", "refresh_token", "scope", "client_id", "client_secret"]
        for name in singleValued where form.values(name).count > 1 {
            throw OAuthError.invalidRequest("\(name) is sent more than once (RFC 6749 §3.2)")
        }
        let client = try authenticateClient(form, authorization: authorization)
        func field(_ name: String) -> String? { form[name].flatMap { $0.isEmpty ? nil : $0 } }
        guard let grant = field("grant_type") else { throw OAuthError.invalidRequest("grant_type is required") }
        guard OIDCClient.grants.contains(grant) else {
            throw OAuthError("unsupported_grant_type", "grant_type '\(grant)' is not supported; use authorization_code or refresh_token")
        }
        guard client.grantTypes.contains(grant) else {
            throw OAuthError("unauthorized_client", "client \(client.id) is not registered for the \(grant) grant")
        }
        let resources = form.values("resource")
        for resource in resources {
            if let problem = Self.resourceProblem(resource) { throw OAuthError("invalid_target", "resource '\(resource)' \(problem) (RFC 8707 §2)") }
        }
        if grant == "authorization_code" {
            guard let code = field("code") else { throw OAuthError.invalidRequest("code is required") }
            return try exchangeOIDCCode(
                code, client: client, redirectURI: field("redirect_uri"), verifier: field("code_verifier"),
                resources: resources)
        }
        guard let token = field("refresh_token") else { throw OAuthError.invalidRequest("refresh_token is required") }
        return try refreshOIDC(token, client: client, scope: field("scope"), resources: resources)
    }

    /// What one exchange mints from: read under the lock, signed outside it.
    struct OIDCGrant {
        var inputs: MintInputs
        var client: OIDCClient
        var scopes: [String]
        var audience: [String]
        var nonce: String?
        var authTime: Int64
        var refreshToken: String?
        var override: TokenOverride?
        var bound: BoundLogin?

        /// How the access token is minted: an armed override's changes, else the login's own,
        /// living as long as a bound id_token-role login's mint says when that is in the future
        /// (a short-lived login then refreshes like one; an expired forgery stays the id_token's alone).
        var accessRequest: TokenRequest? {
            if let request = override?.accessToken { return request }
            guard let lifetime = bound?.idTokenRequest?.expiresIn, lifetime > 0 else { return nil }
            var request = TokenRequest(user: inputs.user.id)
            request.expiresIn = lifetime
            return request
        }
    }

    func exchangeOIDCCode(
        _ code: String, client: OIDCClient, redirectURI: String?, verifier: String?,
        resources: [String]
    ) throws(OAuthError) -> JSONValue {
        let now = clock.now()
        let grant = try state.withLock { (state) throws(OAuthError) -> OIDCGrant in
            guard var record = state.flows.oidc.codes[code] else {
                throw OAuthError.invalidGrant("the authorization code is not valid: it was never issued here (or the mock was reset)")
            }
            if record.used {
                if let sessionID = record.sessionID { Self.endOIDCFamily(&state, sessionID: sessionID, now: now) }
                throw OAuthError.invalidGrant(
                    "the authorization code was already used; codes are single use, and the tokens it issued have been revoked")
            }
            guard now < record.expiresAt else {
                throw OAuthError.invalidGrant(
                    "the authorization code expired \(now - record.expiresAt) s ago (codes live \(configuration.authorizationCodeLifetime) s)")
            }
            let request = record.request
            guard request.clientID == client.id else { throw OAuthError.invalidGrant("the authorization code was issued to another client") }
            guard redirectURI == request.redirectURI else {
                throw OAuthError.invalidGrant(
                    "redirect_uri must be sent and be exactly the one of the authorize request ('\(request.redirectURI)'), got '\(redirectURI ?? "")'"
                )
            }
            if let challenge = request.codeChallenge {
                guard let verifier else { throw OAuthError.invalidGrant("this code was issued with a PKCE code_challenge: send its code_verifier") }
                guard (43...128).contains(verifier.utf8.count), Base64URL.encode(SHA256Digest.hash(verifier)) == challenge else {
                    throw OAuthError.invalidGrant("code_verifier does not match the code_challenge (BASE64URL(SHA256(code_verifier)) differs)")
                }
            } else if verifier != nil {
                throw OAuthError.invalidGrant("code_verifier was sent but this code was issued without a code_challenge")
            }
            if !request.resources.isEmpty, let outside = resources.first(where: { !request.resources.contains($0) }) {
                throw OAuthError(
                    "invalid_target",
                    "resource '\(outside)' was not requested at authorize (\(request.resources.joined(separator: ", ")))")
            }
            guard let user = state.directory.users[record.userID] else { throw OAuthError.invalidGrant("the user \(record.userID) was deleted") }
            record.used = true
            let session: Session
            // A scripted id_token-role login keeps the session its minted token names, so the
            // runner can follow that login's refreshes and userinfo calls by `sid`.
            if record.bound?.idTokenRequest != nil, let sid = record.bound?.token.sessionID, let minted = state.directory.sessions[sid],
                minted.status == .active, minted.userID == user.id
            {
                session = minted
            } else {
                session = Self.beginOIDCSession(
                    &state, ids: ids, user: user, organizationID: record.organizationID, authTime: record.authTime,
                    now: now)
            }
            record.sessionID = session.id
            state.flows.oidc.codes[code] = record
            let audience = resources.isEmpty ? request.resources : resources
            var refreshToken: String?
            if client.grantTypes.contains("refresh_token") {
                let token = ids.opaque()
                state.flows.oidc.sweepIfDue(now: now)
                state.flows.oidc.refreshTokens[token] = OIDCFlowState.RefreshToken(
                    clientID: client.id, userID: user.id, sessionID: session.id, scopes: request.scopes, resources: request.resources,
                    authTime: record.authTime, expiresAt: session.expiresAt / 1000)
                refreshToken = token
            }
            return OIDCGrant(
                inputs: Self.mintInputs(state, user: user, session: session), client: client, scopes: request.scopes, audience: audience,
                nonce: request.nonce, authTime: record.authTime, refreshToken: refreshToken,
                override: Self.takeOverride(&state, clientID: client.id), bound: record.bound)
        }
        return try answer(grant, now: now)
    }

    func refreshOIDC(_ token: String, client: OIDCClient, scope: String?, resources: [String]) throws(OAuthError) -> JSONValue {
        let now = clock.now()
        let grant = try state.withLock { (state) throws(OAuthError) -> OIDCGrant in
            guard var record = state.flows.oidc.refreshTokens[token] else {
                throw OAuthError.invalidGrant("the refresh token is not valid: it was never issued here, was revoked, or the mock was reset")
            }
            guard record.clientID == client.id else { throw OAuthError.invalidGrant("the refresh token was issued to another client") }
            if record.used {
                Self.endOIDCFamily(&state, sessionID: record.sessionID, now: now)
                throw OAuthError.invalidGrant(
                    "the refresh token was already used: refresh tokens rotate, and replaying one revokes its whole family (RFC 9700 §4.14.2)")
            }
            guard let session = state.directory.sessions[record.sessionID], session.status == .active, now * 1000 < session.expiresAt else {
                throw OAuthError.invalidGrant("the session of this refresh token has ended (logout, revocation or a replay); sign in again")
            }
            guard let user = state.directory.users[record.userID] else { throw OAuthError.invalidGrant("the user \(record.userID) was deleted") }
            var scopes = record.scopes
            if let scope {
                let asked = scope.split(separator: " ").map(String.init)
                if let extra = asked.first(where: { !record.scopes.contains($0) }) {
                    throw OAuthError(
                        "invalid_scope",
                        "scope '\(extra)' was not granted to this refresh token (granted: \(record.scopes.joined(separator: " ")))")
                }
                scopes = asked
            }
            if !record.resources.isEmpty, let outside = resources.first(where: { !record.resources.contains($0) }) {
                throw OAuthError(
                    "invalid_target",
                    "resource '\(outside)' was not granted to this refresh token (\(record.resources.joined(separator: ", ")))")
            }
            record.used = true
            state.flows.oidc.refreshTokens[token] = record
            let next = ids.opaque()
            var rotated = record
            rotated.used = false
            rotated.scopes = scopes
            state.flows.oidc.refreshTokens[next] = rotated
            return OIDCGrant(
                inputs: Self.mintInputs(state, user: user, session: session), client: client, scopes: scopes,
                audience: resources.isEmpty ? record.resources : resources, nonce: nil, authTime: record.authTime, refreshToken: next,
                override: Self.takeOverride(&state, clientID: client.id))
        }
        return try answer(grant, now: now)
    }

    static func beginOIDCSession(
        _ state: inout State, ids: IDGenerator, user: User, organizationID: String?, authTime: Int64,
        now: Int64
    ) -> Session {
        var organizationID = organizationID
        if organizationID == nil {
            let active = state.directory.activeMemberships(userID: user.id)
            // With several organizations the app did not choose, the session has none: the
            // OpenID Connect surface has no organization-selection step.
            if active.count == 1 { organizationID = active[0].organizationID }
        }
        var user = user
        user.lastSignInAt = now * 1000
        state.directory.users[user.id] = user
        var session = Session(
            id: ids.id(.session), userID: user.id, organizationID: organizationID, createdAt: authTime * 1000,
            updatedAt: now * 1000, expiresAt: (now + 86_400) * 1000)
        session.authMethod = "password"
        state.directory.insertSession(session)
        return session
    }

    /// Ends a token family: its session, so every refresh token of it and every access token
    /// naming its `sid` stop working.
    static func endOIDCFamily(_ state: inout State, sessionID: String, now: Int64) {
        endSession(&state.directory, sessionID, now: now)
    }

    /// Signs the grant's tokens (outside the lock) and shapes the RFC 6749 §5.1 answer.
    func answer(_ grant: OIDCGrant, now: Int64) throws(OAuthError) -> JSONValue {
        let accessToken: String
        do {
            if let bound = grant.bound, bound.idTokenRequest == nil {
                accessToken = bound.token.token
            } else {
                accessToken = try mintOIDCAccessToken(grant, now: now)
            }
        } catch {
            throw OAuthError.serverError(error)
        }
        var answer: JSONObject = [
            "access_token": .string(accessToken),
            "token_type": "Bearer",
            // The lifetime the access token was minted with, so a client refreshes when it expires.
            "expires_in": .int(max(0, grant.accessRequest?.expiresIn ?? minterLifetime)),
            "scope": .string(grant.scopes.joined(separator: " ")),
        ]
        if grant.scopes.contains("openid") {
            do {
                if let bound = grant.bound?.idToken {
                    answer["id_token"] = .string(bound.token)
                } else if let request = grant.bound?.idTokenRequest {
                    answer["id_token"] = .string(try mintIDToken(grant, accessToken: accessToken, now: now, request: request))
                } else {
                    answer["id_token"] = .string(try mintIDToken(grant, accessToken: accessToken, now: now))
                }
            } catch {
                throw OAuthError.serverError(error)
            }
        }
        if let refreshToken = grant.refreshToken { answer["refresh_token"] = .string(refreshToken) }
        return .object(answer)
    }

    /// The AuthKit access token (`mintAccessToken`'s claims) bound to its audience: the RFC 8707
    /// resource(s), else the client.
    func mintOIDCAccessToken(_ grant: OIDCGrant, now: Int64) throws(IdPError) -> String {
        let inputs = grant.inputs
        let context = templateContext(user: inputs.user, organization: inputs.organization, membership: inputs.membership)
        let templateClaims = try inputs.template?.render(context: context) ?? [:]
        var claims = minter.claims(
            user: inputs.user, membership: inputs.membership, organization: inputs.organization, role: inputs.role,
            sessionID: inputs.sessionID, now: now, template: templateClaims, impersonator: inputs.impersonator?.email,
            authTime: grant.authTime)
        switch grant.audience.count {
        case 0: claims["aud"] = .string(grant.client.id)
        case 1: claims["aud"] = .string(grant.audience[0])
        default: claims["aud"] = .array(grant.audience.map(JSONValue.string))
        }
        claims["client_id"] = .string(grant.client.id)
        claims["scope"] = .string(grant.scopes.joined(separator: " "))
        let request = grant.accessRequest ?? TokenRequest(user: inputs.user.id)
        return try minter.sign(claims: claims, request: request, keys: keys, now: now).token
    }

    /// The ID token (OIDC Core §2, §3.1.3.6, §5.4): the login's identity for `grant.client`.
    func mintIDToken(_ grant: OIDCGrant, accessToken: String, now: Int64, request forged: TokenRequest? = nil) throws(IdPError) -> String {
        let user = grant.inputs.user
        var claims: JSONObject = [
            "iss": .string(issuer),
            "sub": .string(user.id),
            "aud": .string(grant.client.id),
            "exp": .int(now + minterLifetime),
            "iat": .int(now),
            "auth_time": .int(grant.authTime),
        ]
        if let nonce = grant.nonce { claims["nonce"] = .string(nonce) }
        claims["at_hash"] = .string(Self.atHash(accessToken))
        claims["azp"] = .string(grant.client.id)
        claims["sid"] = .string(grant.inputs.sessionID)
        for member in Self.userClaims(user, scopes: grant.scopes) { claims[member.key] = member.value }
        let request = forged ?? grant.override?.idToken ?? TokenRequest(user: user.id)
        return try minter.sign(claims: claims, request: request, keys: grant.bound?.idTokenKeys ?? keys, now: now).token
    }

    /// OIDC Core §3.1.3.6: the left half of SHA-256 of the access token's ASCII, base64url.
    package static func atHash(_ accessToken: String) -> String {
        Base64URL.encode(Array(SHA256Digest.hash(accessToken).prefix(16)))
    }

    /// The standard claims the `profile` and `email` scopes grant (OIDC Core §5.4); absent values are omitted.
    static func userClaims(_ user: User, scopes: [String]) -> JSONObject {
        var claims: JSONObject = [:]
        if scopes.contains("email") {
            claims["email"] = .string(user.email)
            claims["email_verified"] = .bool(user.emailVerified)
        }
        if scopes.contains("profile") {
            if let name = user.name { claims["name"] = .string(name) }
            if let given = user.firstName { claims["given_name"] = .string(given) }
            if let family = user.lastName { claims["family_name"] = .string(family) }
            if let picture = user.profilePictureURL { claims["picture"] = .string(picture) }
            if let locale = user.locale { claims["locale"] = .string(locale) }
            claims["updated_at"] = .int(user.updatedAt / 1000)
        }
        return claims
    }
}
