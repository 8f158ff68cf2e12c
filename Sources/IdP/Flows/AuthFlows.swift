import HTTP
import JOSE
import JSON

/// The AuthKit login flows: authorization codes, the authenticate grants, refresh rotation,
/// organization selection and logout. The HTTP routes (AuthRoutes) and the conformance runner
/// both call these, so each rule is written once.
extension MockIdP {
    /// `authentication_method` values the strictest SDK (Python 5.x, a pydantic Literal) accepts.
    package static let authenticationMethods: Set<String> = [
        "SSO", "Password", "Passkey", "AppleOAuth", "GitHubOAuth", "GoogleOAuth", "MicrosoftOAuth", "SalesforceOAuth", "MagicAuth", "Impersonation",
    ]

    /// The `provider` values `/user_management/authorize` accepts (WorkOS's; docs/auth-flows.md lists them).
    package static let authorizeProviders: [String] = [
        "authkit", "AppleOAuth", "BitbucketOAuth", "GitHubOAuth", "GitLabOAuth", "GoogleOAuth", "IntuitOAuth", "LinkedInOAuth",
        "MicrosoftOAuth", "SalesforceOAuth", "SlackOAuth", "VercelMarketplaceOAuth", "VercelOAuth", "XeroOAuth",
    ]

    static let organizationSelectionGrant = "urn:workos:oauth:grant-type:organization-selection"

    /// The `authentication_method` a login through `provider` reports. Providers outside the set
    /// the Python 5.x SDK accepts report `SSO`, so no SDK fails to parse the response.
    static func authenticationMethod(provider: String?, connectionID: String?) -> String {
        if let provider, provider != "authkit" { return authenticationMethods.contains(provider) ? provider : "SSO" }
        return connectionID == nil ? "Password" : "SSO"
    }

    /// The session object's `auth_method` for an `authentication_method`.
    static func sessionAuthMethod(_ method: String) -> String {
        switch method {
        case "Password": return "password"
        case "SSO": return "sso"
        case "Passkey": return "passkey"
        case "MagicAuth": return "magic_code"
        case "Impersonation": return "impersonation"
        default: return method.hasSuffix("OAuth") ? "oauth" : "unknown"
        }
    }

    // MARK: - Redirect allow-list

    /// Any `http` or `https` URL on a loopback host (`localhost`, `127.0.0.1`, `[::1]`, any port) — a local
    /// dev tool's callbacks — plus exact matches of `configuration.redirectURIs`. User info
    /// (`http://localhost@evil.test`), fragments and control characters are refused.
    package func isAllowedRedirect(_ uri: String) -> Bool {
        if configuration.redirectURIs.contains(uri) { return true }
        return Self.isLoopbackHTTPURL(uri)
    }

    static func isLoopbackHTTPURL(_ uri: String) -> Bool {
        guard uri.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }), !uri.contains("#") else { return false }
        let lowered = uri.lowercased()
        // https too: some dev servers (next dev --experimental-https) serve loopback over TLS.
        guard let scheme = ["http://", "https://"].first(where: lowered.hasPrefix) else { return false }
        let rest = uri.dropFirst(scheme.count)
        let authority = rest.prefix { $0 != "/" && $0 != "?" }
        return isLoopbackAuthority(authority)
    }

    /// `host[:port]` where host is a loopback name and port is digits.
    static func isLoopbackAuthority(_ authority: Substring) -> Bool {
        guard !authority.contains("@") else { return false }
        var host = authority
        var port: Substring = ""
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { return false }
            host = authority[...close]
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { return false }
                port = after.dropFirst()
                if port.isEmpty { return false }
            }
        } else if let colon = authority.firstIndex(of: ":") {
            host = authority[..<colon]
            port = authority[authority.index(after: colon)...]
            if port.isEmpty { return false }
        }
        guard port.allSatisfy(\.isASCIIDigit), port.count <= 5, port.isEmpty || (Int(port) ?? 65536) <= 65535 else { return false }
        return ["localhost", "127.0.0.1", "[::1]"].contains(host.lowercased())
    }

    /// `uri` with `parameters` added to its query, keeping any query it already has.
    static func appendingQuery(_ uri: String, _ parameters: [(name: String, value: String)]) -> String {
        let pairs = parameters.filter { !$0.value.isEmpty }
        guard !pairs.isEmpty else { return uri }
        return uri + (uri.contains("?") ? "&" : "?") + QueryParameters.encode(pairs)
    }

    // MARK: - Authorization codes

    /// Issues a single-use authorization code as a completed login would, for the runner and
    /// tests that skip the browser. `user` is an IdP ID, fixture ref or email; `organization`
    /// (ID or ref) must be one of the user's active memberships. Exchange it at
    /// `/user_management/authenticate` with `grant_type=authorization_code`.
    package func issueAuthorizationCode(
        user: String, organization: String? = nil, redirectURI: String, codeChallenge: String? = nil,
        authenticationMethod: String = "Password", impersonator: Impersonator? = nil
    ) throws(IdPError) -> String {
        guard isAllowedRedirect(redirectURI) else {
            throw .invalidRequest(
                code: "invalid_redirect_uri",
                message:
                    "redirect_uri '\(redirectURI)' is not allowed: use an http(s) URL on localhost, 127.0.0.1 or [::1], or add it to redirectURIs")
        }
        guard Self.authenticationMethods.contains(authenticationMethod) else {
            throw .invalidParameters(
                "authentication_method '\(authenticationMethod)' is not one of \(Self.authenticationMethods.sorted().joined(separator: ", "))")
        }
        let directory = self.directory
        guard let found = directory.resolveUser(user) else { throw .notFound(entity: "User", id: user) }
        var organizationID: String?
        if let organization {
            guard let org = directory.resolveOrganization(organization) else { throw .notFound(entity: "Organization", id: organization) }
            try Self.requireActiveMembership(directory, user: found, organizationID: org.id)
            organizationID = org.id
        }
        return issueCode(
            AuthFlowState.AuthorizationCode(
                clientID: configuration.clientID, redirectURI: redirectURI, userID: found.id, organizationID: organizationID,
                codeChallenge: codeChallenge, authenticationMethod: authenticationMethod, impersonator: impersonator, expiresAt: 0))
    }

    func issueCode(_ record: AuthFlowState.AuthorizationCode) -> String {
        remember(record, handleLength: 25, in: \.codes)
    }

    /// Keeps a short-lived flow record (an authorization code, a login waiting for the login
    /// page) under a new opaque handle. It lives `authorizationCodeLifetime` from now; the
    /// tables are swept first, so a long-running mock stays bounded.
    func remember<Record: ExpiringFlowRecord>(
        _ record: Record, handleLength: Int,
        in table: WritableKeyPath<AuthFlowState, [String: Record]>
    ) -> String {
        var record = record
        let now = clock.now()
        record.expiresAt = now + configuration.authorizationCodeLifetime
        let handle = ids.opaque(length: handleLength)
        state.withLock { state in
            state.flows.sweepIfDue(now: now, grace: configuration.refreshGraceSeconds)
            state.flows[keyPath: table][handle] = record
        }
        return handle
    }

    static func requireActiveMembership(_ directory: Directory, user: User, organizationID: String) throws(IdPError) {
        guard directory.membership(userID: user.id, organizationID: organizationID)?.status == .active else {
            let name = directory.organizations[organizationID]?.name ?? organizationID
            throw .oauth(
                error: "invalid_grant",
                description: "\(user.email) is not an active member of \(name) (\(organizationID)); add or reactivate the membership first",
                status: 400)
        }
    }

    // MARK: - Authenticate

    /// `POST /user_management/authenticate`. `parameters` are the body's fields (JSON or form);
    /// `bearer` is the `Authorization: Bearer` token if one was sent (an empty one counts as none).
    package func authenticate(_ parameters: [String: String], bearer: String? = nil) throws(IdPError) -> JSONValue {
        func field(_ name: String) -> String? { parameters[name].flatMap { $0.isEmpty ? nil : $0 } }
        guard let grant = field("grant_type") else {
            throw .oauth(error: "invalid_request", description: "grant_type is required", status: 400)
        }
        guard let clientID = field("client_id") else {
            throw .oauth(error: "invalid_request", description: "client_id is required", status: 400)
        }
        guard clientID == configuration.clientID else {
            throw .oauth(
                error: "invalid_client", description: "client_id '\(clientID)' is not this environment's client (\(configuration.clientID))",
                status: 401)
        }
        if let bearer, bearer != configuration.apiKey {
            throw .oauth(
                error: "invalid_client",
                description: "the Authorization bearer is not this environment's API key; send the API key or no Authorization header", status: 401)
        }
        let secret = field("client_secret")
        if let secret, secret != configuration.apiKey {
            throw .oauth(error: "invalid_client", description: "client_secret does not match this environment's API key", status: 401)
        }
        // Confidential clients prove themselves with the secret in the body (every SDK) or the API key as bearer.
        let clientAuthenticated = secret != nil || bearer != nil
        switch grant {
        case "authorization_code":
            guard let code = field("code") else { throw .oauth(error: "invalid_request", description: "code is required", status: 400) }
            return try exchangeCode(code, clientID: clientID, verifier: field("code_verifier"), clientAuthenticated: clientAuthenticated)
        case "refresh_token":
            guard let token = field("refresh_token") else {
                throw .oauth(error: "invalid_request", description: "refresh_token is required", status: 400)
            }
            return try refresh(token, organizationID: field("organization_id"))
        case "password":
            guard clientAuthenticated else {
                throw .oauth(error: "invalid_client", description: "client_secret (the API key) is required for the password grant", status: 401)
            }
            guard let email = field("email"), let password = field("password") else {
                throw .invalidParameters("email and password are required for the password grant")
            }
            return try passwordLogin(email: email, password: password)
        case Self.organizationSelectionGrant:
            guard clientAuthenticated else {
                throw .oauth(
                    error: "invalid_client", description: "client_secret (the API key) is required for the organization-selection grant", status: 401)
            }
            guard let token = field("pending_authentication_token"), let organizationID = field("organization_id") else {
                throw .oauth(error: "invalid_request", description: "pending_authentication_token and organization_id are required", status: 400)
            }
            return try selectOrganization(token: token, organizationID: organizationID)
        default:
            throw .oauth(
                error: "unsupported_grant_type",
                description:
                    "grant_type '\(grant)' is not supported by the mock; use authorization_code, refresh_token, password or \(Self.organizationSelectionGrant)",
                status: 400)
        }
    }

    func exchangeCode(_ code: String, clientID: String, verifier: String?, clientAuthenticated: Bool) throws(IdPError) -> JSONValue {
        let now = clock.now()
        let outcome = try state.withLock { (state) throws(IdPError) -> LoginOutcome in
            guard var record = state.flows.codes[code] else {
                throw .oauth(
                    error: "invalid_grant", description: "the authorization code is not valid: it was never issued here (or the mock was reset)",
                    status: 400)
            }
            if record.used {
                if let sessionID = record.sessionID { Self.endSession(&state.directory, sessionID, now: now) }
                throw .oauth(
                    error: "invalid_grant",
                    description: "the authorization code was already used; codes are single use, and the session it created has been revoked",
                    status: 400)
            }
            guard now < record.expiresAt else {
                throw .oauth(
                    error: "invalid_grant",
                    description:
                        "the authorization code expired \(now - record.expiresAt) s ago (codes live \(configuration.authorizationCodeLifetime) s); start the login again",
                    status: 400)
            }
            guard record.clientID == clientID else {
                throw .oauth(error: "invalid_grant", description: "the authorization code was issued to another client", status: 400)
            }
            if let challenge = record.codeChallenge {
                guard let verifier else {
                    throw .oauth(
                        error: "invalid_grant", description: "this code was issued with a PKCE code_challenge: send its code_verifier", status: 400)
                }
                guard Base64URL.encode(SHA256Digest.hash(verifier)) == challenge else {
                    throw .oauth(
                        error: "invalid_grant",
                        description: "code_verifier does not match the code_challenge (BASE64URL(SHA256(code_verifier)) differs)", status: 400)
                }
            } else {
                if verifier != nil {
                    throw .oauth(
                        error: "invalid_grant",
                        description: "code_verifier was sent but this code was issued without a code_challenge (code_challenge_not_found)",
                        status: 400)
                }
                guard clientAuthenticated else {
                    throw .oauth(
                        error: "invalid_client", description: "client_secret (the API key) is required: this code was issued without PKCE",
                        status: 401)
                }
            }
            record.used = true
            if let bound = record.bound {
                // A scripted login: the session is the one minted with its token.
                let refreshToken = ids.opaque()
                if let sessionID = Self.boundSession(&state, ids: ids, login: bound, now: now) {
                    record.sessionID = sessionID
                    state.flows.refreshTokens[refreshToken] = AuthFlowState.RefreshToken(
                        sessionID: sessionID, authenticationMethod: record.authenticationMethod, bound: bound)
                }
                state.flows.codes[code] = record
                return .bound(bound, refreshToken: refreshToken, method: record.authenticationMethod)
            }
            let outcome = try Self.beginSession(
                &state, ids: ids, configuration: configuration, userID: record.userID, organizationID: record.organizationID,
                method: record.authenticationMethod, impersonator: record.impersonator, now: now)
            if case .session(let inputs, _, _) = outcome { record.sessionID = inputs.sessionID }
            state.flows.codes[code] = record
            return outcome
        }
        return try finish(outcome, now: now)
    }

    func passwordLogin(email: String, password: String) throws(IdPError) -> JSONValue {
        let now = clock.now()
        let outcome = try state.withLock { (state) throws(IdPError) -> LoginOutcome in
            // One message for unknown email and wrong password, as a real IdP must not tell them apart.
            guard let user = state.directory.user(email: email), let expected = user.password, expected == password else {
                throw IdPError.badRequest(
                    code: "invalid_credentials",
                    message: "Invalid credentials: no user with that email and password (fixture users with a password: alice, erin, grace)")
            }
            return try Self.beginSession(
                &state, ids: ids, configuration: configuration, userID: user.id, organizationID: nil,
                method: "Password", impersonator: nil, now: now)
        }
        return try finish(outcome, now: now)
    }

    func selectOrganization(token: String, organizationID: String) throws(IdPError) -> JSONValue {
        let now = clock.now()
        let outcome = try state.withLock { (state) throws(IdPError) -> LoginOutcome in
            guard let pending = state.flows.pending[token], now < pending.expiresAt else {
                throw .oauth(
                    error: "invalid_grant", description: "pending_authentication_token is unknown, used or expired; start the login again",
                    status: 400)
            }
            guard pending.organizationIDs.contains(organizationID) else {
                throw .oauth(
                    error: "invalid_grant",
                    description:
                        "organization_id '\(organizationID)' is not one of the organizations offered: \(pending.organizationIDs.joined(separator: ", "))",
                    status: 400)
            }
            let outcome = try Self.beginSession(
                &state, ids: ids, configuration: configuration, userID: pending.userID, organizationID: organizationID,
                method: pending.authenticationMethod, impersonator: pending.impersonator, now: now)
            state.flows.pending[token] = nil
            return outcome
        }
        return try finish(outcome, now: now)
    }

    func refresh(_ token: String, organizationID requested: String?) throws(IdPError) -> JSONValue {
        let now = clock.now()
        let grace = configuration.refreshGraceSeconds
        let outcome = try state.withLock { (state) throws(IdPError) -> LoginOutcome in
            guard var record = state.flows.refreshTokens[token] else {
                throw .oauth(
                    error: "invalid_grant", description: "the refresh token is not valid: it was never issued here (or the mock was reset)",
                    status: 400)
            }
            if let rotatedAt = record.rotatedAt, now > rotatedAt + grace {
                throw .oauth(
                    error: "invalid_grant",
                    description:
                        "the refresh token was already used \(now - rotatedAt) s ago; rotated tokens keep working for \(grace) s, use the newest one",
                    status: 400)
            }
            guard var session = state.directory.sessions[record.sessionID] else {
                throw .oauth(error: "invalid_grant", description: "the session \(record.sessionID) no longer exists", status: 400)
            }
            guard session.status == .active, now * 1000 < session.expiresAt else {
                throw .oauth(
                    error: "invalid_grant",
                    description: "the session \(session.id) is \(session.status == .active ? "expired" : "revoked"); sign in again", status: 400)
            }
            guard let user = state.directory.users[session.userID] else {
                throw .oauth(error: "invalid_grant", description: "the session's user \(session.userID) was deleted", status: 400)
            }
            if let requested, requested != session.organizationID {
                guard let organization = state.directory.resolveOrganization(requested) else {
                    throw .oauth(error: "invalid_grant", description: "organization_id '\(requested)' does not exist", status: 400)
                }
                try Self.requireActiveMembership(state.directory, user: user, organizationID: organization.id)
                session.organizationID = organization.id
            }
            session.updatedAt = now * 1000
            state.directory.sessions[session.id] = session
            if record.rotatedAt == nil {
                record.rotatedAt = now
                state.flows.refreshTokens[token] = record
            }
            let newToken = ids.opaque()
            if let bound = record.bound {
                state.flows.refreshTokens[newToken] = AuthFlowState.RefreshToken(
                    sessionID: session.id, authenticationMethod: record.authenticationMethod, bound: bound)
                return .bound(bound, refreshToken: newToken, method: record.authenticationMethod, remint: true)
            }
            state.flows.refreshTokens[newToken] = AuthFlowState.RefreshToken(sessionID: session.id, authenticationMethod: record.authenticationMethod)
            let inputs = Self.mintInputs(state, user: user, session: session)
            return .session(inputs, refreshToken: newToken, method: record.authenticationMethod)
        }
        return try finish(outcome, now: now)
    }

    // MARK: - Sessions

    enum LoginOutcome {
        case session(MintInputs, refreshToken: String, method: String)
        case selectionRequired(token: String, user: User, organizations: [Organization])
        /// A login the runner scripted (`bindAuthorizationCode`); a refresh mints its token again.
        case bound(BoundLogin, refreshToken: String, method: String, remint: Bool = false)
    }

    struct MintInputs {
        var user: User
        var membership: Membership?
        var organization: Organization?
        var role: Role?
        var template: JWTTemplate?
        var sessionID: String
        var impersonator: Impersonator?
        var authTime: Int64? = nil
    }

    /// Creates the session and its first refresh token, or parks the login for organization
    /// selection when the user is active in several organizations and none was chosen.
    static func beginSession(
        _ state: inout State, ids: IDGenerator, configuration: IdPConfiguration, userID: String, organizationID: String?,
        method: String, impersonator: Impersonator?, now: Int64
    ) throws(IdPError) -> LoginOutcome {
        guard var user = state.directory.users[userID] else {
            throw .oauth(error: "invalid_grant", description: "the user \(userID) was deleted", status: 400)
        }
        var organizationID = organizationID
        if let chosen = organizationID {
            try requireActiveMembership(state.directory, user: user, organizationID: chosen)
        } else {
            let active = state.directory.activeMemberships(userID: user.id)
            if active.count == 1 {
                organizationID = active[0].organizationID
            } else if active.count > 1 {
                let token = ids.opaque()
                let organizationIDs = active.map(\.organizationID)
                state.flows.sweepIfDue(now: now, grace: configuration.refreshGraceSeconds)
                state.flows.pending[token] = AuthFlowState.PendingAuthentication(
                    userID: user.id, organizationIDs: organizationIDs, authenticationMethod: method, impersonator: impersonator,
                    expiresAt: now + configuration.authorizationCodeLifetime)
                return .selectionRequired(token: token, user: user, organizations: organizationIDs.compactMap { state.directory.organizations[$0] })
            }
        }
        user.lastSignInAt = now * 1000
        state.directory.users[user.id] = user
        var session = Session(
            id: ids.id(.session), userID: user.id, organizationID: organizationID, createdAt: now * 1000, updatedAt: now * 1000,
            expiresAt: (now + 86_400) * 1000)
        session.authMethod = sessionAuthMethod(method)
        session.impersonatorEmail = impersonator?.email
        session.impersonatorReason = impersonator?.reason
        state.directory.insertSession(session)
        let refreshToken = ids.opaque()
        state.flows.sweepIfDue(now: now, grace: configuration.refreshGraceSeconds)
        state.flows.refreshTokens[refreshToken] = AuthFlowState.RefreshToken(sessionID: session.id, authenticationMethod: method)
        return .session(mintInputs(state, user: user, session: session), refreshToken: refreshToken, method: method)
    }

    static func mintInputs(_ state: State, user: User, session: Session) -> MintInputs {
        var membership: Membership?
        var organization: Organization?
        if let organizationID = session.organizationID {
            organization = state.directory.organizations[organizationID]
            membership = state.directory.membership(userID: user.id, organizationID: organizationID)
        }
        let role = membership.flatMap { state.directory.role($0.primaryRole) }
        let impersonator = session.impersonatorEmail.map { Impersonator(email: $0, reason: session.impersonatorReason) }
        return MintInputs(
            user: user, membership: membership, organization: organization, role: role, template: state.template,
            sessionID: session.id, impersonator: impersonator, authTime: session.createdAt / 1000)
    }

    /// Signs outside the lock (the RSA signature is most of a login's cost) and shapes the answer.
    func finish(_ outcome: LoginOutcome, now: Int64) throws(IdPError) -> JSONValue {
        switch outcome {
        case .selectionRequired(let token, let user, let organizations):
            throw .authenticationStep(
                code: "organization_selection_required",
                message:
                    "The user must choose an organization: send grant_type=\(Self.organizationSelectionGrant) with this pending_authentication_token and an organization_id.",
                extra: [
                    "pending_authentication_token": .string(token),
                    "user": WorkOSShape.user(user),
                    "organizations": .array(organizations.map { ["id": .string($0.id), "name": .string($0.name)] }),
                ])
        case .bound(let login, let refreshToken, let method, let remint):
            return try finishBound(remint ? try self.remint(login) : login, refreshToken: refreshToken, method: method, now: now)
        case .session(let inputs, let refreshToken, let method):
            let accessToken = try mintAccessToken(inputs, now: now)
            var answer: JSONObject = [
                "user": WorkOSShape.user(inputs.user),
                // Null rather than absent: every SDK reads it as optional, and a key that is always
                // there is easier to assert on.
                "organization_id": inputs.organization.map { .string($0.id) } ?? .null,
                "access_token": .string(accessToken),
                "refresh_token": .string(refreshToken),
                "authentication_method": .string(inputs.impersonator == nil ? method : "Impersonation"),
            ]
            if let impersonator = inputs.impersonator {
                answer["impersonator"] = ["email": .string(impersonator.email), "reason": WorkOSShape.optional(impersonator.reason)]
            }
            return .object(answer)
        }
    }

    /// The same claims and signing as `mintToken`, for an existing session (refresh keeps `sid`).
    func mintAccessToken(_ inputs: MintInputs, now: Int64) throws(IdPError) -> String {
        let templateClaims =
            try inputs.template?.render(context: templateContext(user: inputs.user, organization: inputs.organization, membership: inputs.membership))
            ?? [:]
        let claims = minter.claims(
            user: inputs.user, membership: inputs.membership, organization: inputs.organization, role: inputs.role,
            sessionID: inputs.sessionID, now: now, template: templateClaims, impersonator: inputs.impersonator?.email,
            authTime: inputs.authTime)
        return try minter.sign(claims: claims, request: TokenRequest(user: inputs.user.id), keys: keys, now: now).token
    }

    /// Ends a session (logout, or a replayed code). Its refresh tokens stop working with it.
    package func endSession(_ id: String) throws(IdPError) {
        let now = clock.now()
        try state.withLock { (state) throws(IdPError) in
            guard state.directory.sessions[id] != nil else { throw .notFound(entity: "Session", id: id) }
            Self.endSession(&state.directory, id, now: now)
        }
    }

    static func endSession(_ directory: inout Directory, _ id: String, now: Int64) {
        guard var session = directory.sessions[id], session.status == .active else { return }
        session.status = .revoked
        session.endedAt = now * 1000
        session.updatedAt = now * 1000
        directory.sessions[id] = session
    }
}

extension AuthFlowState {
    /// Drops expired codes, logins and pending logins, and rotated refresh tokens past their
    /// grace, once a table has grown to `sweepAt`.
    mutating func sweepIfDue(now: Int64, grace: Int64) {
        let largest = max(codes.count, logins.count, refreshTokens.count, pending.count)
        guard largest >= sweepAt else { return }
        codes = codes.filter { now < $0.value.expiresAt || ($0.value.used && now < $0.value.expiresAt + 3600) }
        logins = logins.filter { now < $0.value.expiresAt }
        pending = pending.filter { now < $0.value.expiresAt }
        refreshTokens = refreshTokens.filter { $0.value.rotatedAt.map { now <= $0 + grace } ?? true }
        sweepAt = max(1024, 2 * max(codes.count, logins.count, refreshTokens.count, pending.count))
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
}
