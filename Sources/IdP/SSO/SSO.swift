import HTTP
import JOSE
import JSON

/// The WorkOS SSO API (`/sso/authorize`, `/sso/token`, `/sso/profile`; workos-surface.md §5):
/// what the Python SDK up to 4.x and WorkOS's Flask and Django SSO examples call.
extension MockIdP {
    /// SSO access tokens and codes live as long as AuthKit codes; the profile lives 10 minutes.
    static let ssoTokenLifetime: Int64 = 600

    func ssoAuthorize(_ query: QueryParameters) -> AuthorizeOutcome {
        func value(_ name: String) -> String? { query[name].flatMap { $0.isEmpty ? nil : $0 } }
        guard let clientID = value("client_id") else {
            return .errorPage(title: "client_id is missing", detail: "Add client_id=\(configuration.clientID) to the authorize URL.")
        }
        guard clientID == configuration.clientID else {
            return .errorPage(
                title: "Unknown client_id",
                detail: "client_id '\(clientID)' is not this environment's client (\(configuration.clientID)).")
        }
        guard let redirectURI = value("redirect_uri") else {
            return .errorPage(title: "redirect_uri is missing", detail: "Add redirect_uri=<your callback URL> to the authorize URL.")
        }
        guard isAllowedRedirect(redirectURI) else {
            return .errorPage(
                title: "redirect_uri is not allowed",
                detail:
                    "'\(redirectURI)' is not an allowed redirect URI: any http(s) URL on localhost, 127.0.0.1 or [::1], or one set with --redirect-uri."
            )
        }
        let state = value("state")
        func fail(_ error: String, _ description: String) -> AuthorizeOutcome {
            .redirect(Self.appendingQuery(redirectURI, [("error", error), ("error_description", description), ("state", state ?? "")]))
        }
        guard query["response_type"] == "code" else { return fail("unsupported_response_type", "response_type must be 'code'") }
        let directory = self.directory
        let connections = directory.connections.values.sorted { $0.id < $1.id }
        let connection: Connection
        if let reference = value("connection") {
            guard let found = directory.resolveConnection(reference) else {
                return fail("invalid_request", "connection '\(reference)' does not exist")
            }
            connection = found
        } else if let reference = value("organization") {
            guard let organization = directory.resolveOrganization(reference) else {
                return fail("invalid_request", "organization '\(reference)' does not exist")
            }
            guard let found = connections.first(where: { $0.organizationID == organization.id }) else {
                return fail("invalid_request", "organization \(organization.id) has no SSO connection (add one to the fixtures' connections)")
            }
            connection = found
        } else if let provider = value("provider") {
            // An environment-wide connection of that type first, as a provider login is not an organization's.
            let ofType = connections.filter { $0.type == provider }
            guard let found = ofType.first(where: { $0.organizationID == nil }) ?? ofType.first else {
                let types = Set(connections.map(\.type)).sorted().joined(separator: ", ")
                return fail("invalid_request", "provider '\(provider)' has no connection; connection types here: \(types)")
            }
            connection = found
        } else {
            return fail("invalid_request", "one of connection, organization or provider is required")
        }
        let challenge = value("code_challenge")
        if let challenge, value("code_challenge_method") ?? "S256" != "S256" || challenge.utf8.count != 43 {
            return fail("invalid_request", "code_challenge must be an S256 challenge (43 characters)")
        }
        let request = SSOAuthorization(clientID: clientID, redirectURI: redirectURI, state: state, connection: connection, codeChallenge: challenge)
        let loginHint = value("login_hint")
        let autoApprove = value("mockidp_auto_approve").map { Self.autoApproveValues.contains($0.lowercased()) } ?? configuration.autoApprove
        if autoApprove, let loginHint {
            guard let user = directory.resolveUser(loginHint) else {
                return fail("access_denied", "login_hint '\(loginHint)' names no fixture user (give an email, fixture ref or user ID)")
            }
            if let organizationID = connection.organizationID,
                directory.membership(userID: user.id, organizationID: organizationID)?.status != .active
            {
                return fail("access_denied", "\(user.email) is not an active member of \(organizationID), the organization of \(connection.id)")
            }
            return issueSSOCode(request, userID: user.id)
        }
        let login = AuthFlowState.LoginRequest(
            clientID: clientID, redirectURI: redirectURI, state: state, codeChallenge: challenge, organizationID: connection.organizationID,
            loginHint: loginHint, authenticationMethod: "SSO", impersonator: nil, expiresAt: 0, surface: .sso(request))
        let loginID = remember(login, handleLength: 24, in: \.logins)
        return .loginPage(loginID: loginID, login: login, screenHint: nil)
    }

    func issueSSOCode(_ request: SSOAuthorization, userID: String) -> AuthorizeOutcome {
        sweepOIDCFlows()
        let code = remember(OIDCFlowState.SSOCode(request: request, userID: userID, expiresAt: 0), handleLength: 25, in: \.oidc.ssoCodes)
        return .redirect(Self.appendingQuery(request.redirectURI, [("code", code), ("state", request.state ?? "")]))
    }

    /// `POST /sso/token`: the code for `{token_type, access_token, expires_in, profile}`.
    package func ssoToken(_ parameters: [String: String]) throws(OAuthError) -> JSONValue {
        func field(_ name: String) -> String? { parameters[name].flatMap { $0.isEmpty ? nil : $0 } }
        guard let clientID = field("client_id") else { throw OAuthError.invalidRequest("client_id is required") }
        guard clientID == configuration.clientID else { throw OAuthError.invalidClient("client_id '\(clientID)' is not this environment's client") }
        let secret = field("client_secret")
        if let secret, secret != configuration.apiKey { throw OAuthError.invalidClient("client_secret is not this environment's API key") }
        guard field("grant_type") == "authorization_code" else { throw OAuthError("unsupported_grant_type", "grant_type must be authorization_code") }
        guard let code = field("code") else { throw OAuthError.invalidRequest("code is required") }
        let verifier = field("code_verifier")
        let now = clock.now()
        let (profile, token) = try state.withLock { (state) throws(OAuthError) -> (JSONValue, String) in
            guard var record = state.flows.oidc.ssoCodes[code] else {
                throw OAuthError.invalidGrant("the code is not valid: it was never issued here (or the mock was reset)")
            }
            guard !record.used else { throw OAuthError.invalidGrant("the code was already used; codes are single use") }
            guard now < record.expiresAt else { throw OAuthError.invalidGrant("the code expired") }
            if let challenge = record.request.codeChallenge {
                guard let verifier, Base64URL.encode(SHA256Digest.hash(verifier)) == challenge else {
                    throw OAuthError.invalidGrant("code_verifier is missing or does not match the code_challenge")
                }
            } else if secret == nil {
                throw OAuthError.invalidClient("client_secret (the API key) is required: this code was issued without PKCE")
            }
            guard let user = state.directory.users[record.userID] else { throw OAuthError.invalidGrant("the user \(record.userID) was deleted") }
            record.used = true
            state.flows.oidc.ssoCodes[code] = record
            let profile = Self.ssoProfile(user: user, connection: record.request.connection, directory: state.directory)
            let token = ids.opaque()
            state.flows.oidc.sweepIfDue(now: now)
            state.flows.oidc.ssoGrants[token] = OIDCFlowState.SSOGrant(profile: profile, expiresAt: now + Self.ssoTokenLifetime)
            return (profile, token)
        }
        return ["token_type": "Bearer", "access_token": .string(token), "expires_in": .int(Self.ssoTokenLifetime), "profile": profile]
    }

    /// `GET /sso/profile` with the SSO access token as bearer.
    package func ssoProfile(bearer: String?) throws(OAuthError) -> JSONValue {
        guard let bearer, !bearer.isEmpty else { throw OAuthError.invalidToken(nil) }
        let now = clock.now()
        guard let grant = state.withLock({ $0.flows.oidc.ssoGrants[bearer] }), now < grant.expiresAt else {
            throw OAuthError.invalidToken("the SSO access token is unknown or expired")
        }
        return grant.profile
    }

    /// The Profile object (workos-surface.md §5): IDs in the IdP's space; the profile ID is
    /// stable per user and connection, as WorkOS keeps one profile for each pair.
    static func ssoProfile(user: User, connection: Connection, directory: Directory) -> JSONValue {
        // Derived from (connection, user), never the user's own ULID: an app that strips prefixes
        // must not be able to turn a profile ID into a user ID.
        let profileULID = derivedULID("profile|\(connection.id)|\(user.id)")
        let idpID = derivedULID("idp|\(connection.id)|\(user.id)").lowercased()
        let membership = connection.organizationID.flatMap { directory.membership(userID: user.id, organizationID: $0) }
        var profile: JSONObject = [
            "object": "profile",
            "id": .string("prof_\(profileULID)"),
            "organization_id": connection.organizationID.map(JSONValue.string) ?? .null,
            "connection_id": .string(connection.id),
            "connection_type": .string(connection.type),
            "idp_id": .string(idpID),
            "email": .string(user.email),
            "first_name": user.firstName.map(JSONValue.string) ?? .null,
            "last_name": user.lastName.map(JSONValue.string) ?? .null,
            "name": user.name.map(JSONValue.string) ?? .null,
        ]
        if let membership {
            profile["role"] = ["slug": .string(membership.primaryRole)]
            profile["roles"] = .array(membership.roleSlugs.map { ["slug": .string($0)] })
        }
        profile["groups"] = []
        profile["custom_attributes"] = [:]
        profile["raw_attributes"] = ["email": .string(user.email), "id": .string(idpID)]
        return .object(profile)
    }

    /// A stable 26-character ULID (Crockford base32, first character 0–7) from SHA-256 of `seed`.
    static func derivedULID(_ seed: String) -> String {
        let digest = SHA256Digest.hash(seed)
        var characters = [IdPID.crockford[Int(digest[0] % 8)]]
        for byte in digest[1..<26] { characters.append(IdPID.crockford[Int(byte % 32)]) }
        return String(decoding: characters, as: UTF8.self)
    }
}
