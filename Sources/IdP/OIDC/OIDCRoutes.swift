import HTTP
import JSON

/// The OpenID Connect provider's routes at AuthKit's paths, its discovery documents, and its
/// control routes (`/_mock/clients`, `/_mock/oauth2/token_overrides`). Thin: the rules live in
/// the `MockIdP` extensions of this folder.
struct OIDCRoutes {
    let idp: MockIdP

    static let discoveryPaths = ["/.well-known/openid-configuration", "/.well-known/oauth-authorization-server"]

    func register(into router: inout Router) {
        let idp = self.idp
        for path in Self.discoveryPaths {
            router.get(path) { _ in .json(discoveryDocument(idp)) }
        }
        router.get("/oauth2/authorize") { request in AuthRoutes.render(idp.oidcAuthorize(request.query), idp) }
        // OIDC Core §3.1.2.1: the authorization endpoint takes POST (form) as well as GET.
        router.post("/oauth2/authorize") { request in AuthRoutes.render(idp.oidcAuthorize(request.form()), idp) }
        router.post("/oauth2/token") { request in
            let answer = try idp.oidcToken(try Self.form(request), authorization: request.headers["Authorization"])
            // RFC 6749 §5.1.
            return .json(answer, headers: ["Cache-Control": "no-store", "Pragma": "no-cache"])
        }
        router.get("/oauth2/userinfo") { request in .json(try idp.userinfo(bearer: request.bearerToken), headers: ["Cache-Control": "no-store"]) }
        router.post("/oauth2/userinfo") { request in .json(try idp.userinfo(bearer: request.bearerToken), headers: ["Cache-Control": "no-store"]) }
        router.get("/oauth2/jwks") { _ in HTTPResponse(status: 200, headers: ["Content-Type": "application/json"], body: idp.keys.jwksBody) }
        router.post("/oauth2/register") { request in
            let body: JSONValue
            do {
                body = try request.json()
            } catch {
                throw OAuthError("invalid_client_metadata", "the body must be a JSON object of client metadata (RFC 7591 §2): \(error)")
            }
            return .json(try idp.registerDynamically(body), status: 201, headers: ["Cache-Control": "no-store"])
        }
        router.post("/oauth2/revoke") { request in
            try idp.revoke(try Self.form(request), authorization: request.headers["Authorization"])
            return .empty(status: 200, headers: ["Cache-Control": "no-store"])
        }
        router.get("/oauth2/logout") { request in Self.render(idp.oidcLogout(request.query)) }
        router.post("/oauth2/logout") { request in Self.render(idp.oidcLogout(request.form())) }
        for path in CORS.oidcPreflightPaths {
            router.options(path) { request in CORS.preflight(request) }
        }
        registerControl(into: &router)
    }

    private func registerControl(into router: inout Router) {
        let idp = self.idp
        router.get("/_mock/clients") { _ in .json(["data": .array(idp.registeredClients.map(\.json))]) }
        router.post("/_mock/clients") { request in
            let client: OIDCClient
            do {
                client = try OIDCClientReader(source: .control, ids: idp.ids).read(try jsonBody(request), now: idp.clock.now())
            } catch let error as ClientMetadataError {
                throw IdPError.invalidParameters(error.description)
            }
            return .json(try idp.registerClient(client).json, status: 201)
        }
        router.get("/_mock/clients/{client_id}") { request in
            let id = try request.pathParameters.require("client_id")
            guard let client = idp.oidcClient(id) else { throw IdPError.notFound(entity: "Client", id: id) }
            return .json(client.json)
        }
        router.delete("/_mock/clients/{client_id}") { request in
            try idp.removeClient(try request.pathParameters.require("client_id"))
            return .empty(status: 204)
        }
        router.get("/_mock/oauth2/token_overrides") { _ in .json(idp.tokenOverrides) }
        router.post("/_mock/oauth2/token_overrides") { request in .json(try idp.addTokenOverride(try jsonBody(request)), status: 201) }
        router.delete("/_mock/oauth2/token_overrides") { _ in
            idp.clearTokenOverrides()
            return .empty(status: 204)
        }
    }

    /// RFC 6749 §3.2: the token and revocation endpoints take form-encoded bodies only.
    static func form(_ request: HTTPRequest) throws(OAuthError) -> QueryParameters {
        if request.body.isEmpty || request.contentType == "application/x-www-form-urlencoded" { return request.form() }
        throw OAuthError.invalidRequest(
            "the body must be application/x-www-form-urlencoded (RFC 6749 §3.2), got \(request.contentType ?? "no Content-Type")")
    }

    static func render(_ outcome: LogoutOutcome) -> HTTPResponse {
        switch outcome {
        case .redirect(let location): return .redirect(to: location)
        case .signedOut(let note): return LoginPage.signedOut(note: note)
        case .errorPage(let title, let detail): return LoginPage.error(title: title, detail: detail)
        }
    }
}

/// One document for both well-known paths (OIDC Discovery 1.0 §3, RFC 8414 §2).
func discoveryDocument(_ idp: MockIdP) -> JSONValue {
    let base = idp.baseURL
    return [
        "issuer": .string(idp.issuer),
        "authorization_endpoint": .string("\(base)/oauth2/authorize"),
        "token_endpoint": .string("\(base)/oauth2/token"),
        "userinfo_endpoint": .string("\(base)/oauth2/userinfo"),
        "jwks_uri": .string("\(base)/oauth2/jwks"),
        "registration_endpoint": .string("\(base)/oauth2/register"),
        "revocation_endpoint": .string("\(base)/oauth2/revoke"),
        "end_session_endpoint": .string("\(base)/oauth2/logout"),
        "scopes_supported": .array(MockIdP.oidcScopes.map(JSONValue.string)),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": .array([.string(idp.configuration.signingAlgorithm.rawValue)]),
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "code_challenge_methods_supported": ["S256"],
        "claims_supported": [
            "iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "at_hash", "azp", "sid", "email", "email_verified", "name", "given_name",
            "family_name", "picture", "locale", "updated_at",
        ],
        "prompt_values_supported": ["none", "login", "consent", "select_account"],
        "claims_parameter_supported": false,
        "request_parameter_supported": false,
        "request_uri_parameter_supported": false,
        "authorization_response_iss_parameter_supported": true,
        "resource_indicators_supported": true,
    ]
}

extension KnownParameters {
    static let oidcAuthorizeQuery: Set<String> = [
        "client_id", "redirect_uri", "response_type", "scope", "state", "nonce", "code_challenge", "code_challenge_method", "prompt", "max_age",
        "login_hint", "resource", "response_mode", "display", "ui_locales", "id_token_hint", "acr_values", "claims_locales",
        "mockidp_auto_approve",
    ]
    static let oidcTokenBody: Set<String> = [
        "grant_type", "code", "redirect_uri", "code_verifier", "refresh_token", "scope", "resource", "client_id", "client_secret",
    ]
    static let registrationBody: Set<String> = [
        "redirect_uris", "token_endpoint_auth_method", "grant_types", "response_types", "client_name", "client_uri", "logo_uri", "scope",
        "contacts", "tos_uri", "policy_uri", "jwks_uri", "jwks", "software_id", "software_version", "post_logout_redirect_uris",
        "application_type",
    ]
    static let logoutQuery: Set<String> = ["id_token_hint", "post_logout_redirect_uri", "state", "client_id", "logout_hint", "ui_locales"]
    static let ssoAuthorizeQuery: Set<String> = [
        "client_id", "redirect_uri", "response_type", "state", "connection", "organization", "provider", "domain", "domain_hint", "login_hint",
        "nonce", "prompt", "provider_scopes", "provider_query_params", "code_challenge", "code_challenge_method", "mockidp_auto_approve",
    ]

    /// The OpenID Connect and SSO routes: what an app may send them without a journal note.
    static let oidcRoutes: [Route] = [
        Route(method: "GET", segments: [".well-known", "oauth-authorization-server"], query: [], body: []),
        Route(method: "GET", segments: ["oauth2", "authorize"], query: oidcAuthorizeQuery, body: []),
        Route(method: "POST", segments: ["oauth2", "authorize"], query: [], body: oidcAuthorizeQuery),
        Route(method: "POST", segments: ["oauth2", "token"], query: [], body: oidcTokenBody),
        Route(method: "GET", segments: ["oauth2", "userinfo"], query: [], body: []),
        Route(method: "POST", segments: ["oauth2", "userinfo"], query: [], body: []),
        Route(method: "GET", segments: ["oauth2", "jwks"], query: [], body: []),
        Route(method: "POST", segments: ["oauth2", "register"], query: [], body: registrationBody),
        Route(method: "POST", segments: ["oauth2", "revoke"], query: [], body: ["token", "token_type_hint", "client_id", "client_secret"]),
        Route(method: "GET", segments: ["oauth2", "logout"], query: logoutQuery, body: []),
        Route(method: "POST", segments: ["oauth2", "logout"], query: [], body: logoutQuery),
        Route(method: "GET", segments: ["sso", "authorize"], query: ssoAuthorizeQuery, body: []),
        Route(method: "POST", segments: ["sso", "token"], query: [], body: ["client_id", "client_secret", "grant_type", "code", "code_verifier"]),
        Route(method: "GET", segments: ["sso", "profile"], query: [], body: []),
    ]
}
