import Foundation
import HTTP
import JOSE
import JSON
import TestSupport
import Testing

@testable import IdP

/// Drives the OpenID Connect provider over loopback as an OIDC client library would: discovery,
/// authorize (headless), the token endpoint with form bodies, userinfo, logout, revocation.
extension RunningIdP {
    static let webapp = (id: "client_01KDY0AQ3C0NF1DENT1A1C11EN", secret: "mockidp_webapp_secret")
    static let spa = "client_01KDY0AQ3PVB11CC11ENT00001"
    static let oidcCallback = "http://127.0.0.1:5173/callback"

    func oidcAuthorize(_ parameters: [(String, String)]) throws -> ClientResponse {
        let query = QueryParameters.encode(parameters.map { (name: $0.0, value: $0.1) })
        return try client.send(ClientRequest(method: "GET", url: base + "/oauth2/authorize?" + query))
    }

    /// The headless recipe on /oauth2/authorize; returns the redirect's query.
    func oidcRedirect(
        client: String = webapp.id, redirect: String = oidcCallback, user: String = "alice", scope: String = "openid profile email",
        nonce: String? = "n-0S6_WzA2Mj", challenge: String? = nil, extra: [(String, String)] = []
    ) throws -> QueryParameters {
        var parameters = [
            ("client_id", client), ("redirect_uri", redirect), ("response_type", "code"), ("scope", scope), ("state", "st-oidc"),
            ("login_hint", user), ("mockidp_auto_approve", "1"),
        ]
        if let nonce { parameters.append(("nonce", nonce)) }
        if let challenge { parameters += [("code_challenge", challenge), ("code_challenge_method", "S256")] }
        return try redirectQuery(try oidcAuthorize(parameters + extra))
    }

    func oidcCode(
        client: String = webapp.id, redirect: String = oidcCallback, user: String = "alice", scope: String = "openid profile email",
        nonce: String? = "n-0S6_WzA2Mj", challenge: String? = nil, extra: [(String, String)] = []
    ) throws -> String {
        let query = try oidcRedirect(client: client, redirect: redirect, user: user, scope: scope, nonce: nonce, challenge: challenge, extra: extra)
        guard let code = query["code"] else { throw TestFailure("no code in the redirect: \(query.encoded)") }
        return code
    }

    static func basic(_ id: String, _ secret: String) -> HTTPHeaders {
        ["Authorization": "Basic " + Data("\(id):\(secret)".utf8).base64EncodedString()]
    }

    func tokenRequest(_ fields: [(String, String)], headers: HTTPHeaders = basic(webapp.id, webapp.secret), path: String = "/oauth2/token") throws
        -> ClientResponse
    {
        try client.send(ClientRequest(method: "POST", url: base + path, form: fields.map { (name: $0.0, value: $0.1) }, headers: headers))
    }

    func codeGrant(
        _ code: String, redirect: String = oidcCallback, extra: [(String, String)] = [],
        headers: HTTPHeaders = basic(webapp.id, webapp.secret)
    ) throws -> ClientResponse {
        try tokenRequest([("grant_type", "authorization_code"), ("code", code), ("redirect_uri", redirect)] + extra, headers: headers)
    }

    func refreshGrant(_ token: String, headers: HTTPHeaders = basic(webapp.id, webapp.secret), extra: [(String, String)] = []) throws
        -> ClientResponse
    {
        try tokenRequest([("grant_type", "refresh_token"), ("refresh_token", token)] + extra, headers: headers)
    }

    /// A successful token answer, failing loudly otherwise.
    func tokens(_ response: ClientResponse) throws -> JSONValue {
        guard response.status == 200 else { throw TestFailure("token endpoint: \(response.status) \(response.bodyText)") }
        return try response.json()
    }

    /// Verifies with an independent verifier against the JWKS the discovery document names.
    func verified(_ token: String) throws -> JSONValue {
        let jwksURI = try get("/.well-known/openid-configuration", authorized: false).json()["jwks_uri"]?.stringValue ?? ""
        let jwks = try client.send(.get(jwksURI)).json()
        return try JWSVerifier(jwks: jwks, allowedAlgorithms: [.rs256]).verify(token).payload
    }

    func userinfo(_ accessToken: String) throws -> ClientResponse {
        try client.send(.get(base + "/oauth2/userinfo", headers: ["Authorization": "Bearer \(accessToken)"]))
    }
}

@Suite struct OIDCDiscoveryTests {
    @Test func bothDocumentsCarryEveryRequiredAndListedField() throws {
        let mock = try RunningIdP()
        let openid = try mock.get("/.well-known/openid-configuration", authorized: false)
        let oauth = try mock.get("/.well-known/oauth-authorization-server", authorized: false)
        #expect(openid.status == 200 && oauth.status == 200)
        let document = try openid.json()
        #expect(try oauth.json() == document)
        // OIDC Discovery 1.0 §3 REQUIRED, RFC 8414 §2 REQUIRED, and the fields issue 21 lists.
        let discoveryRequired = [
            "issuer", "authorization_endpoint", "token_endpoint", "jwks_uri", "response_types_supported", "subject_types_supported",
            "id_token_signing_alg_values_supported",
        ]
        let rfc8414Required = ["issuer", "authorization_endpoint", "token_endpoint", "response_types_supported"]
        let listed = [
            "scopes_supported", "grant_types_supported", "token_endpoint_auth_methods_supported", "code_challenge_methods_supported",
            "claims_supported", "authorization_response_iss_parameter_supported", "end_session_endpoint", "registration_endpoint",
            "revocation_endpoint", "userinfo_endpoint",
        ]
        for field in discoveryRequired + rfc8414Required + listed {
            #expect(document[field] != nil && document[field] != .null, "missing \(field)")
        }
        // Discovery §4.3: the issuer is exactly the URL the document was fetched under.
        #expect(document["issuer"] == .string(mock.base))
        #expect(document["response_types_supported"] == ["code"])
        #expect(document["code_challenge_methods_supported"] == ["S256"])
        #expect(document["authorization_response_iss_parameter_supported"] == true)
        #expect(document["id_token_signing_alg_values_supported"]?.arrayValue?.contains("RS256") == true)
        for scope in ["openid", "profile", "email", "offline_access"] {
            #expect(document["scopes_supported"]?.arrayValue?.contains(.string(scope)) == true)
        }
        for method in ["client_secret_basic", "client_secret_post", "none"] {
            #expect(document["token_endpoint_auth_methods_supported"]?.arrayValue?.contains(.string(method)) == true)
        }
        // Every endpoint it names is served here (none answers 404 to its method).
        let jwks = try mock.client.send(.get(document["jwks_uri"]?.stringValue ?? "")).json()
        #expect(jwks["keys"]?.arrayValue?.isEmpty == false)
        for (field, method) in [
            ("token_endpoint", "POST"), ("userinfo_endpoint", "GET"), ("registration_endpoint", "POST"), ("revocation_endpoint", "POST"),
            ("end_session_endpoint", "GET"), ("authorization_endpoint", "GET"),
        ] {
            let url = document[field]?.stringValue ?? ""
            #expect(url.hasPrefix(mock.base + "/oauth2/"), "\(field): \(url)")
            #expect(try mock.client.send(ClientRequest(method: method, url: url)).status != 404, "\(field)")
        }
    }
}

@Suite struct OIDCCodeFlowTests {
    @Test func idTokenEchoesNonceHashesTheAccessTokenAndMatchesUserinfo() throws {
        let mock = try RunningIdP()
        let query = try mock.oidcRedirect(nonce: "nonce-123")
        #expect(query["state"] == "st-oidc")
        #expect(query["iss"] == mock.base, "RFC 9207 iss on the authorization response")
        let answer = try mock.tokens(try mock.codeGrant(try #require(query["code"])))
        #expect(answer["token_type"] == "Bearer")
        let accessToken = try #require(answer["access_token"]?.stringValue)
        let idToken = try mock.verified(try #require(answer["id_token"]?.stringValue))
        let alice = mock.user("alice")
        #expect(idToken["iss"] == .string(mock.base))
        #expect(idToken["sub"] == .string(alice.id))
        #expect(idToken["aud"] == .string(RunningIdP.webapp.id))
        #expect(idToken["azp"] == .string(RunningIdP.webapp.id))
        #expect(idToken["nonce"] == "nonce-123")
        #expect(idToken["email"] == .string(alice.email))
        #expect(idToken["given_name"] == "Alice")
        #expect(idToken["auth_time"]?.intValue != nil)
        let now = mock.idp.clock.now()
        #expect((idToken["exp"]?.intValue ?? 0) > now && (idToken["iat"]?.intValue ?? .max) <= now)
        // OIDC Core §3.1.3.6, computed here independently of the provider's helper.
        let digest = SHA256Digest.hash(Array(accessToken.utf8))
        #expect(idToken["at_hash"] == .string(Base64URL.encode(Array(digest[0..<16]))))
        let access = try mock.verified(accessToken)
        #expect(access["aud"] == .string(RunningIdP.webapp.id))
        #expect(access["sid"] == idToken["sid"])
        let info = try mock.userinfo(accessToken)
        #expect(info.status == 200, "\(info.bodyText)")
        #expect(try info.json()["sub"] == idToken["sub"])
        #expect(try info.json()["email"] == .string(alice.email))
    }

    @Test func scopesDecideTheClaims() throws {
        let mock = try RunningIdP()
        let answer = try mock.tokens(try mock.codeGrant(try mock.oidcCode(scope: "openid", nonce: nil)))
        let idToken = try mock.verified(try #require(answer["id_token"]?.stringValue))
        #expect(idToken["email"] == nil && idToken["name"] == nil && idToken["nonce"] == nil)
        let info = try mock.userinfo(try #require(answer["access_token"]?.stringValue)).json()
        #expect(info["email"] == nil && info["sub"] == .string(mock.user("alice").id))
        // Without openid it is plain OAuth: no ID token.
        let oauth = try mock.tokens(try mock.codeGrant(try mock.oidcCode(scope: "email", nonce: nil)))
        #expect(oauth["id_token"] == nil && oauth["access_token"] != nil)
    }

    @Test func basicAndPostBothAuthenticateAndAWrongSecretIsInvalidClient() throws {
        let mock = try RunningIdP()
        let (id, secret) = RunningIdP.webapp
        _ = try mock.tokens(try mock.codeGrant(try mock.oidcCode()))
        let post = try mock.codeGrant(try mock.oidcCode(), extra: [("client_id", id), ("client_secret", secret)], headers: [:])
        #expect(post.status == 200, "\(post.bodyText)")
        #expect(post.headers["Cache-Control"] == "no-store")
        for headers in [RunningIdP.basic(id, "wrong"), [:]] as [HTTPHeaders] {
            let extra = headers.isEmpty ? [("client_id", id), ("client_secret", "wrong")] : []
            let refused = try mock.codeGrant(try mock.oidcCode(), extra: extra, headers: headers)
            try expectOAuthError(refused, "invalid_client", status: 401)
            #expect(refused.headers["WWW-Authenticate"]?.hasPrefix("Basic") == true)
        }
        let unknown = try mock.codeGrant(try mock.oidcCode(), headers: RunningIdP.basic("client_01KDY0AQ3ZZZZZZZZZZZZZZZZZ", secret))
        try expectOAuthError(unknown, "invalid_client", status: 401)
        // The environment client's secret is the API key.
        let environment = try mock.codeGrant(
            try mock.oidcCode(client: mock.clientID, redirect: "http://localhost:3000/callback"),
            redirect: "http://localhost:3000/callback", headers: RunningIdP.basic(mock.clientID, mock.apiKey))
        #expect(environment.status == 200, "\(environment.bodyText)")
    }

    @Test func aUsedCodeIsRefusedAndTheTokensItIssuedAreRevoked() throws {
        let mock = try RunningIdP()
        let code = try mock.oidcCode()
        let first = try mock.tokens(try mock.codeGrant(code))
        let accessToken = try #require(first["access_token"]?.stringValue)
        #expect(try mock.userinfo(accessToken).status == 200)
        try expectOAuthError(try mock.codeGrant(code), "invalid_grant", status: 400)
        // RFC 6749 §4.1.2: the tokens of the first exchange stop working.
        try expectOAuthError(try mock.refreshGrant(try #require(first["refresh_token"]?.stringValue)), "invalid_grant", status: 400)
        let info = try mock.userinfo(accessToken)
        #expect(info.status == 401)
        #expect(info.headers["WWW-Authenticate"]?.contains("error=\"invalid_token\"") == true)
    }

    @Test func refreshRotatesAndAReplayRevokesTheFamily() throws {
        let mock = try RunningIdP()
        let first = try mock.tokens(try mock.codeGrant(try mock.oidcCode()))
        let original = try #require(first["refresh_token"]?.stringValue)
        let second = try mock.tokens(try mock.refreshGrant(original))
        let rotated = try #require(second["refresh_token"]?.stringValue)
        #expect(rotated != original)
        let idToken = try mock.verified(try #require(second["id_token"]?.stringValue))
        #expect(idToken["sub"] == .string(mock.user("alice").id))
        #expect(idToken["auth_time"] == (try mock.verified(first["id_token"]?.stringValue ?? ""))["auth_time"])
        // The used one presented again: refused, and the whole family with it (RFC 9700 §4.14.2).
        try expectOAuthError(try mock.refreshGrant(original), "invalid_grant", status: 400)
        try expectOAuthError(try mock.refreshGrant(rotated), "invalid_grant", status: 400)
        #expect(try mock.userinfo(second["access_token"]?.stringValue ?? "").status == 401)
        // Another client cannot use a refresh token it was not issued.
        let other = try mock.tokens(try mock.codeGrant(try mock.oidcCode()))
        let stolen = try mock.refreshGrant(other["refresh_token"]?.stringValue ?? "", headers: RunningIdP.basic(mock.clientID, mock.apiKey))
        try expectOAuthError(stolen, "invalid_grant", status: 400)
    }

    @Test func aPublicClientNeedsPKCEAndNoSecret() throws {
        let mock = try RunningIdP()
        let withoutPKCE = try mock.oidcRedirect(client: RunningIdP.spa)
        #expect(withoutPKCE["error"] == "invalid_request")
        #expect(withoutPKCE["code"] == nil && withoutPKCE["state"] == "st-oidc" && withoutPKCE["iss"] == mock.base)
        let plain = try mock.oidcRedirect(
            client: RunningIdP.spa, extra: [("code_challenge", String(repeating: "a", count: 43)), ("code_challenge_method", "plain")])
        #expect(plain["error"] == "invalid_request", "plain is refused")
        let pkce = PKCE.pair()
        let code = try mock.oidcCode(client: RunningIdP.spa, challenge: pkce.challenge)
        try expectOAuthError(try mock.codeGrant(code, extra: [("client_id", RunningIdP.spa)], headers: [:]), "invalid_grant", status: 400)
        let code2 = try mock.oidcCode(client: RunningIdP.spa, challenge: pkce.challenge)
        let answer = try mock.tokens(
            try mock.codeGrant(code2, extra: [("client_id", RunningIdP.spa), ("code_verifier", pkce.verifier)], headers: [:]))
        #expect(try mock.verified(answer["id_token"]?.stringValue ?? "")["aud"] == .string(RunningIdP.spa))
        let withSecret = try mock.codeGrant(
            try mock.oidcCode(client: RunningIdP.spa, challenge: pkce.challenge),
            extra: [("code_verifier", pkce.verifier)], headers: RunningIdP.basic(RunningIdP.spa, "x"))
        try expectOAuthError(withSecret, "invalid_client", status: 401)
    }

    @Test func anUnregisteredRedirectGetsAPageNotARedirect() throws {
        let mock = try RunningIdP()
        for redirect in ["http://127.0.0.1:5173/elsewhere", "https://evil.test/callback", "http://localhost:9999/callback"] {
            let response = try mock.oidcAuthorize([
                ("client_id", RunningIdP.webapp.id), ("redirect_uri", redirect), ("response_type", "code"),
                ("scope", "openid"), ("login_hint", "alice"), ("mockidp_auto_approve", "1"),
            ])
            #expect(response.status == 400, "\(redirect)")
            #expect(response.headers["Location"] == nil)
            #expect(response.bodyText.contains("redirect_uri is not registered"))
        }
        // RFC 8252 §7.3: the port of a loopback IP literal may change; localhost's may not.
        #expect(try mock.oidcRedirect(redirect: "http://127.0.0.1:61000/callback")["code"] != nil)
        #expect(try mock.oidcRedirect(redirect: "http://localhost:3000/callback")["code"] != nil)
        // An unknown client is a page too.
        let unknown = try mock.oidcAuthorize([("client_id", "client_01KDY0AQ3ZZZZZZZZZZZZZZZZZ"), ("redirect_uri", RunningIdP.oidcCallback)])
        #expect(unknown.status == 400 && unknown.headers["Location"] == nil)
        // Once client and redirect are good, errors go back by redirect.
        let bad = try mock.redirectQuery(
            try mock.oidcAuthorize([
                ("client_id", RunningIdP.webapp.id), ("redirect_uri", RunningIdP.oidcCallback),
                ("response_type", "token"), ("state", "s"),
            ]))
        #expect(bad["error"] == "unsupported_response_type" && bad["state"] == "s")
        // The code is bound to its redirect_uri.
        try expectOAuthError(try mock.codeGrant(try mock.oidcCode(), redirect: "http://127.0.0.1:5173/other"), "invalid_grant", status: 400)
    }

    @Test func theLoginPageCompletesAnOIDCLogin() throws {
        let mock = try RunningIdP()
        let page = try mock.oidcAuthorize([
            ("client_id", RunningIdP.webapp.id), ("redirect_uri", RunningIdP.oidcCallback), ("response_type", "code"),
            ("scope", "openid email"), ("state", "st-page"), ("nonce", "n-page"),
        ])
        #expect(page.status == 200)
        let html = page.bodyText
        let marker = "name=\"login\" value=\""
        let start = try #require(html.range(of: marker)).upperBound
        let loginID = String(html[start...].prefix { $0 != "\"" })
        let posted = try mock.client.send(
            ClientRequest(
                method: "POST", url: mock.base + "/user_management/authorize/complete",
                form: [("login", loginID), ("user_id", mock.user("bob").id)]))
        let query = try mock.redirectQuery(posted)
        #expect(query["state"] == "st-page" && query["iss"] == mock.base)
        let answer = try mock.tokens(try mock.codeGrant(try #require(query["code"])))
        let idToken = try mock.verified(answer["id_token"]?.stringValue ?? "")
        #expect(idToken["sub"] == .string(mock.user("bob").id) && idToken["nonce"] == "n-page")
        // prompt=none cannot show the page.
        let none = try mock.redirectQuery(
            try mock.oidcAuthorize([
                ("client_id", RunningIdP.webapp.id), ("redirect_uri", RunningIdP.oidcCallback),
                ("response_type", "code"), ("scope", "openid"), ("prompt", "none"),
            ]))
        #expect(none["error"] == "login_required")
    }
}

@Suite struct OIDCRequestValidationTests {
    @Test func malformedRequestsGetTheRFCErrors() throws {
        let mock = try RunningIdP()
        let base = [("client_id", RunningIdP.webapp.id), ("redirect_uri", RunningIdP.oidcCallback), ("response_type", "code"), ("scope", "openid")]
        for (extra, error) in [
            ([("max_age", "-1")], "invalid_request"), ([("prompt", "none login")], "invalid_request"),
            ([("prompt", "sideways")], "invalid_request"), ([("resource", "not-a-uri")], "invalid_target"),
            ([("resource", "https://api.test/mcp#frag")], "invalid_target"), ([("request", "eyJ")], "request_not_supported"),
            ([("scope", "openid")], "invalid_request"),
        ] as [([(String, String)], String)] {
            let query = try mock.redirectQuery(try mock.oidcAuthorize(base + extra))
            #expect(query["error"] == .some(error), "\(extra): \(query.encoded)")
            #expect(query["iss"] == mock.base)
        }
        // max_age is met by a fresh login: auth_time is reported.
        let answer = try mock.tokens(try mock.codeGrant(try mock.oidcCode(extra: [("max_age", "0"), ("prompt", "login")])))
        #expect(try mock.verified(answer["id_token"]?.stringValue ?? "")["auth_time"]?.intValue != nil)
        let json = try mock.client.send(
            ClientRequest(
                method: "POST", url: mock.base + "/oauth2/token", json: ["grant_type": "authorization_code"],
                headers: RunningIdP.basic(RunningIdP.webapp.id, RunningIdP.webapp.secret)))
        try expectOAuthError(json, "invalid_request", status: 400)
        try expectOAuthError(try mock.tokenRequest([("grant_type", "password")]), "unsupported_grant_type", status: 400)
        try expectOAuthError(try mock.tokenRequest([("grant_type", "authorization_code")]), "invalid_request", status: 400)
        try expectOAuthError(
            try mock.tokenRequest([("grant_type", "authorization_code"), ("code", "never-issued"), ("redirect_uri", RunningIdP.oidcCallback)]),
            "invalid_grant", status: 400)
    }

    @Test func userinfoChallengesMissingAndBadTokens() throws {
        let mock = try RunningIdP()
        let missing = try mock.client.send(.get(mock.base + "/oauth2/userinfo"))
        #expect(missing.status == 401)
        #expect(missing.headers["WWW-Authenticate"]?.hasPrefix("Bearer") == true)
        #expect(missing.headers["WWW-Authenticate"]?.contains("error=") == false, "RFC 6750 §3.1: no error code without credentials")
        let forged = try mock.mint(["user": "alice", "sign": "bad-signature"])
        let refused = try mock.userinfo(forged)
        #expect(refused.status == 401 && refused.headers["WWW-Authenticate"]?.contains("error=\"invalid_token\"") == true)
        let expired = try mock.mint(["user": "alice", "expires_in": -60])
        #expect(try mock.userinfo(expired).status == 401)
        // A WorkOS-surface token of a live session is a valid bearer too.
        let valid = try mock.userinfo(try mock.mint(["user": "bob"]))
        let validSubject = try valid.json()["sub"]
        #expect(valid.status == 200 && validSubject == .string(mock.user("bob").id))
    }
}

@Suite struct OIDCClientRegistrationTests {
    @Test func dynamicRegistrationMakesAPublicClientThatSignsInWithAResource() throws {
        let mock = try RunningIdP()
        let registered = try mock.send(
            "POST", "/oauth2/register",
            [
                "client_name": "MCP client", "redirect_uris": ["http://127.0.0.1:33418/callback"],
                "token_endpoint_auth_method": "none", "grant_types": ["authorization_code", "refresh_token"],
                "response_types": ["code"],
            ], authorized: false)
        #expect(registered.status == 201, "\(registered.bodyText)")
        let client = try registered.json()
        let clientID = try #require(client["client_id"]?.stringValue)
        #expect(IdPID.has(prefix: .client, clientID))
        #expect(client["client_secret"] == nil)
        let pkce = PKCE.pair()
        let resource = "http://127.0.0.1:8123/mcp"
        let code = try mock.oidcCode(
            client: clientID, redirect: "http://127.0.0.1:33418/callback", scope: "openid profile email",
            challenge: pkce.challenge, extra: [("resource", resource)])
        let answer = try mock.tokens(
            try mock.codeGrant(
                code, redirect: "http://127.0.0.1:33418/callback",
                extra: [("client_id", clientID), ("code_verifier", pkce.verifier), ("resource", resource)], headers: [:]))
        let access = try mock.verified(try #require(answer["access_token"]?.stringValue))
        #expect(access["aud"] == .string(resource), "RFC 8707: the access token is bound to the resource")
        #expect(try mock.verified(answer["id_token"]?.stringValue ?? "")["aud"] == .string(clientID))
        // A resource the authorize request did not name is refused.
        let other = try mock.oidcCode(
            client: clientID, redirect: "http://127.0.0.1:33418/callback", challenge: pkce.challenge, extra: [("resource", resource)])
        let refused = try mock.codeGrant(
            other, redirect: "http://127.0.0.1:33418/callback",
            extra: [("client_id", clientID), ("code_verifier", pkce.verifier), ("resource", "http://127.0.0.1:9/other")], headers: [:])
        try expectOAuthError(refused, "invalid_target", status: 400)
        // Bad metadata is refused the RFC 7591 way.
        let bad = try mock.send("POST", "/oauth2/register", ["redirect_uris": ["http://evil.test/cb"]], authorized: false)
        let badError = try bad.json()["error"]
        #expect(bad.status == 400 && badError == "invalid_redirect_uri")
    }

    @Test func theControlAPIAddsListsAndRemovesClients() throws {
        let mock = try RunningIdP()
        let created = try mock.send(
            "POST", "/_mock/clients",
            [
                "name": "test app", "type": "confidential", "redirect_uris": ["http://127.0.0.1/cb"],
                "token_endpoint_auth_method": "client_secret_post",
            ], authorized: false)
        #expect(created.status == 201, "\(created.bodyText)")
        let body = try created.json()
        let id = try #require(body["client_id"]?.stringValue)
        let secret = try #require(body["client_secret"]?.stringValue)
        let code = try mock.oidcCode(client: id, redirect: "http://127.0.0.1:4000/cb")
        #expect(try mock.codeGrant(code, redirect: "http://127.0.0.1:4000/cb", headers: RunningIdP.basic(id, secret)).status == 200)
        let listed = try mock.get("/_mock/clients", authorized: false).json()["data"]?.arrayValue ?? []
        #expect(listed.contains { $0["client_id"] == .string(id) } && listed.contains { $0["client_id"] == .string(RunningIdP.spa) })
        let typo = try mock.send("POST", "/_mock/clients", ["redirect_uri": ["http://127.0.0.1/cb"]], authorized: false)
        #expect(typo.status == 422 && typo.bodyText.contains("redirect_uris"))
        #expect(try mock.send("DELETE", "/_mock/clients/\(id)", .null, authorized: false).status == 204)
        #expect(try mock.get("/_mock/clients/\(id)", authorized: false).status == 404)
        let snapshot = try mock.json("/_mock/directory")
        #expect(snapshot["clients"]?.arrayValue?.contains { $0["ref"] == "webapp" && $0["client_secret"] == "mockidp_webapp_secret" } == true)
        #expect(snapshot["connections"]?.arrayValue?.count == 3)
        mock.idp.reset()
        #expect(mock.idp.oidcClient(RunningIdP.webapp.id) != nil, "fixture clients survive a reset")
    }
}

@Suite struct OIDCSessionEndTests {
    @Test func logoutEndsTheSessionAndReturnsWithState() throws {
        let mock = try RunningIdP()
        let answer = try mock.tokens(try mock.codeGrant(try mock.oidcCode()))
        let idToken = try #require(answer["id_token"]?.stringValue)
        let query = QueryParameters.encode([
            (name: "id_token_hint", value: idToken), (name: "post_logout_redirect_uri", value: "http://127.0.0.1:5173/"),
            (name: "state", value: "bye"),
        ])
        let logout = try mock.client.send(.get(mock.base + "/oauth2/logout?" + query))
        #expect(logout.status == 302)
        #expect(logout.headers["Location"] == "http://127.0.0.1:5173/?state=bye")
        try expectOAuthError(try mock.refreshGrant(answer["refresh_token"]?.stringValue ?? ""), "invalid_grant", status: 400)
        #expect(try mock.userinfo(answer["access_token"]?.stringValue ?? "").status == 401)
        let elsewhere = QueryParameters.encode([
            (name: "id_token_hint", value: idToken), (name: "post_logout_redirect_uri", value: "https://evil.test/"),
        ])
        let refused = try mock.client.send(.get(mock.base + "/oauth2/logout?" + elsewhere))
        #expect(refused.status == 400 && refused.headers["Location"] == nil)
    }

    @Test func revocationOfARefreshTokenEndsItsFamily() throws {
        let mock = try RunningIdP()
        let answer = try mock.tokens(try mock.codeGrant(try mock.oidcCode()))
        let revoke = try mock.tokenRequest(
            [("token", answer["refresh_token"]?.stringValue ?? ""), ("token_type_hint", "refresh_token")], path: "/oauth2/revoke")
        #expect(revoke.status == 200)
        try expectOAuthError(try mock.refreshGrant(answer["refresh_token"]?.stringValue ?? ""), "invalid_grant", status: 400)
        #expect(try mock.userinfo(answer["access_token"]?.stringValue ?? "").status == 401)
        // An access token alone, and an unknown token (200 all the same, RFC 7009 §2.2).
        let second = try mock.tokens(try mock.codeGrant(try mock.oidcCode()))
        let accessToken = second["access_token"]?.stringValue ?? ""
        #expect(try mock.tokenRequest([("token", accessToken)], path: "/oauth2/revoke").status == 200)
        #expect(try mock.userinfo(accessToken).status == 401)
        #expect(try mock.tokens(try mock.refreshGrant(second["refresh_token"]?.stringValue ?? ""))["access_token"] != nil)
        #expect(try mock.tokenRequest([("token", "never-issued")], path: "/oauth2/revoke").status == 200)
        try expectOAuthError(
            try mock.tokenRequest([("token", "x")], headers: RunningIdP.basic(RunningIdP.webapp.id, "wrong"), path: "/oauth2/revoke"),
            "invalid_client", status: 401)
    }
}

@Suite struct OIDCForgeryTests {
    @Test func overridesForgeTheNextAnswers() throws {
        let mock = try RunningIdP()
        let armed = try mock.send(
            "POST", "/_mock/oauth2/token_overrides",
            ["times": 2, "id_token": ["claims": ["nonce": "wrong"]], "access_token": ["sign": "bad-signature"]], authorized: false)
        #expect(armed.status == 201, "\(armed.bodyText)")
        for _ in 0..<2 {
            let answer = try mock.tokens(try mock.codeGrant(try mock.oidcCode(nonce: "right")))
            #expect(try mock.verified(answer["id_token"]?.stringValue ?? "")["nonce"] == "wrong")
            #expect(throws: JOSEError.self) { try mock.verified(answer["access_token"]?.stringValue ?? "") }
        }
        let clean = try mock.tokens(try mock.codeGrant(try mock.oidcCode(nonce: "right")))
        #expect(try mock.verified(clean["id_token"]?.stringValue ?? "")["nonce"] == "right")
        _ = try mock.send("POST", "/_mock/oauth2/token_overrides", ["id_token": ["sign": "bad-signature"]], authorized: false)
        #expect(try mock.send("DELETE", "/_mock/oauth2/token_overrides", .null, authorized: false).status == 204)
        _ = try mock.verified(try mock.tokens(try mock.codeGrant(try mock.oidcCode()))["id_token"]?.stringValue ?? "")
        let typo = try mock.send("POST", "/_mock/oauth2/token_overrides", ["id_token": ["user": "bob"]], authorized: false)
        #expect(typo.status == 422)
    }

    @Test func aBoundCodeAnswersWithTheScriptedIDToken() throws {
        let mock = try RunningIdP()
        let code = try mock.oidcCode()
        var request = TokenRequest(user: "alice")
        request.claims["aud"] = "someone-else"
        let forged = try mock.idp.mintToken(request)
        let access = try mock.idp.mintToken(TokenRequest(user: "alice"))
        try mock.idp.bindAuthorizationCode(code, to: BoundLogin(request: TokenRequest(user: "alice"), token: access, idToken: forged))
        let answer = try mock.tokens(try mock.codeGrant(code))
        #expect(answer["id_token"] == .string(forged.token) && answer["access_token"] == .string(access.token))
    }

    @Test func theJournalFaultsAndIDSpacesCoverTheSurface() throws {
        let mock = try RunningIdP()
        // A browser client (an SPA, a browser MCP client) may call the token endpoint cross-origin.
        let preflight = try mock.client.send(
            ClientRequest(
                method: "OPTIONS", url: mock.base + "/oauth2/token",
                headers: ["Origin": "http://localhost:3000", "Access-Control-Request-Method": "POST"]))
        #expect(preflight.status == 204 && preflight.headers["Access-Control-Allow-Origin"] == "http://localhost:3000")
        _ = try mock.send("POST", "/_mock/faults", ["path": "/oauth2/token", "status": 503, "times": 1], authorized: false)
        #expect(try mock.codeGrant(try mock.oidcCode()).status == 503)
        #expect(try mock.codeGrant(try mock.oidcCode()).status == 200)
        let entries = mock.idp.journal.entries(.init(method: "POST", pathPrefix: "/oauth2/token"))
        #expect(entries.count == 2)
        #expect(entries.allSatisfy { $0.unknownParameters.isEmpty }, "\(entries.map(\.unknownParameters))")
        #expect(entries.contains { $0.flags.contains { $0.kind == .faultInjected } })
        #expect(entries.last?.sessionID != nil)
        // An app ID where the client ID belongs is flagged as on the WorkOS routes.
        _ = try mock.oidcAuthorize([("client_id", "3eb459c8-8f8d-40e9-b3e1-d03650a74cff"), ("redirect_uri", RunningIdP.oidcCallback)])
        let flagged = mock.idp.journal.entries(.init(pathPrefix: "/oauth2/authorize")).last
        #expect(flagged?.flags.contains { $0.kind == .idSpaceViolation } == true)
    }
}
