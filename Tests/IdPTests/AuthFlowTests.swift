import Foundation
import HTTP
import JOSE
import JSON
import TestSupport
import Testing

@testable import IdP

/// Drives the AuthKit flows over loopback the way an app's backend and a browser would.
extension RunningIdP {
    static let callback = "http://localhost:3000/callback"

    var clientID: String { idp.configuration.clientID }
    var apiKey: String { idp.configuration.apiKey }

    func authorize(_ parameters: [(String, String)], headers: HTTPHeaders = [:]) throws -> ClientResponse {
        let query = QueryParameters.encode(parameters.map { (name: $0.0, value: $0.1) })
        return try client.send(ClientRequest(method: "GET", url: base + "/user_management/authorize?" + query, headers: headers))
    }

    func authorizeParameters(redirect: String = callback, state: String = "st-1", extra: [(String, String)] = []) -> [(String, String)] {
        [("client_id", clientID), ("redirect_uri", redirect), ("response_type", "code"), ("provider", "authkit"), ("state", state)] + extra
    }

    /// The query of a redirect's Location, or a failure naming what came back instead.
    func redirectQuery(_ response: ClientResponse) throws -> QueryParameters {
        guard response.status == 302, let location = response.headers["Location"], let question = location.firstIndex(of: "?") else {
            throw TestFailure(
                "expected a 302 with a query, got \(response.status) \(response.headers["Location"] ?? "") \(response.bodyText.prefix(300))")
        }
        return QueryParameters(parsing: location[location.index(after: question)...])
    }

    /// The headless recipe: login_hint + mockidp_auto_approve=1 → 302 with a code.
    func headlessCode(_ user: String, organization: String? = nil, challenge: String? = nil, state: String = "st-1") throws -> String {
        var extra = [("login_hint", user), ("mockidp_auto_approve", "1")]
        if let organization { extra.append(("organization_id", organization)) }
        if let challenge { extra += [("code_challenge", challenge), ("code_challenge_method", "S256")] }
        let query = try redirectQuery(try authorize(authorizeParameters(state: state, extra: extra)))
        #expect(query["state"] == state)
        guard let code = query["code"] else { throw TestFailure("no code in the redirect: \(query.encoded)") }
        return code
    }

    func authenticate(_ fields: [String: String], form: Bool = false, headers: HTTPHeaders = [:]) throws -> ClientResponse {
        let url = base + "/user_management/authenticate"
        if form {
            return try client.send(
                ClientRequest(
                    method: "POST", url: url, form: fields.sorted { $0.key < $1.key }.map { (name: $0.key, value: $0.value) }, headers: headers))
        }
        return try client.send(
            ClientRequest(
                method: "POST", url: url,
                json: .object(JSONObject(fields.sorted { $0.key < $1.key }.map { (key: $0.key, value: JSONValue.string($0.value)) })),
                headers: headers))
    }

    func exchange(_ code: String, secret: Bool = true, verifier: String? = nil, form: Bool = false) throws -> ClientResponse {
        var fields = ["grant_type": "authorization_code", "client_id": clientID, "code": code]
        if secret { fields["client_secret"] = apiKey }
        if let verifier { fields["code_verifier"] = verifier }
        return try authenticate(fields, form: form)
    }

    func refresh(_ token: String, organization: String? = nil) throws -> ClientResponse {
        var fields = ["grant_type": "refresh_token", "client_id": clientID, "refresh_token": token]
        if let organization { fields["organization_id"] = organization }
        return try authenticate(fields)
    }

    /// A successful login's body, failing loudly otherwise.
    func login(_ user: String, organization: String? = nil) throws -> JSONValue {
        let response = try exchange(try headlessCode(user, organization: organization))
        guard response.status == 200 else { throw TestFailure("login failed: \(response.status) \(response.bodyText)") }
        return try response.json()
    }

    func sessionID(_ login: JSONValue) throws -> String {
        guard let token = login["access_token"]?.stringValue, let sid = try claims(token)["sid"]?.stringValue else {
            throw TestFailure("no access token with a sid in \(login)")
        }
        return sid
    }

    func claims(_ token: String) throws -> JSONValue {
        let jwks = try get("/sso/jwks/\(clientID)", authorized: false).json()
        return try JWSVerifier(jwks: jwks, allowedAlgorithms: [.rs256]).verify(token).payload
    }
}

func expectOAuthError(_ response: ClientResponse, _ error: String, status: Int, sourceLocation: SourceLocation = #_sourceLocation) throws {
    #expect(response.status == status, "status \(response.status): \(response.bodyText)", sourceLocation: sourceLocation)
    let body = try response.json()
    #expect(body["error"] == .string(error), "body: \(response.bodyText)", sourceLocation: sourceLocation)
    #expect(body["error_description"]?.stringValue?.isEmpty == false, sourceLocation: sourceLocation)
}

enum PKCE {
    static func pair() -> (verifier: String, challenge: String) {
        var generator = SystemRandomNumberGenerator()
        let verifier = Base64URL.encode((0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) })
        return (verifier, Base64URL.encode(SHA256Digest.hash(verifier)))
    }
}

@Suite struct AuthorizationCodeTests {
    /// The flow tests run in-process; this one proves the two transports answer alike.
    @Test(arguments: [Transport.inProcess, .loopback])
    func aHeadlessLoginAnswersAlikeOverEitherTransport(_ transport: Transport) throws {
        let mock = try RunningIdP(transport: transport)
        let response = try mock.exchange(try mock.headlessCode("alice@acme.test"))
        #expect(response.status == 200)
        #expect(response.headers["X-Request-ID"] != nil)
        #expect(response.headers["Content-Length"] == String(response.body.count))
        let claims = try mock.claims(try #require(try response.json()["access_token"]?.stringValue))
        #expect(claims["sub"] == .string(mock.user("alice").id))
        #expect(
            mock.idp.journal.entries(Journal.Filter()).map(\.path)
                == ["/user_management/authorize", "/user_management/authenticate", "/sso/jwks/\(mock.clientID)"])
        #expect(try mock.exchange("not-a-code").status == 400)
    }

    @Test func confidentialClientExchangesACodeForWorkOSShapedTokens() throws {
        let mock = try RunningIdP(transport: .inProcess)
        let alice = mock.user("alice")
        #expect(alice.lastSignInAt == nil)
        let response = try mock.exchange(try mock.headlessCode("alice@acme.test"))
        #expect(response.status == 200)
        #expect(response.headers["Cache-Control"] == "no-store")
        let body = try response.json()
        #expect(body["user"]?["id"] == .string(alice.id))
        #expect(body["user"]?["last_sign_in_at"]?.stringValue != nil)
        #expect(body["organization_id"] == .string(mock.org("acme").id))
        #expect(body["authentication_method"] == "Password")
        #expect(body["impersonator"] == nil)
        let refresh = try #require(body["refresh_token"]?.stringValue)
        #expect(refresh.count >= 20)
        let claims = try mock.claims(try #require(body["access_token"]?.stringValue))
        #expect(claims["sub"] == .string(alice.id))
        #expect(claims["org_id"] == .string(mock.org("acme").id))
        #expect(claims["role"] == "owner")
        // sid is a live session listed under the user, as the SDKs' logout URLs expect.
        let sessions = try mock.json("/user_management/users/\(alice.id)/sessions")
        let listed = sessions["data"]?.arrayValue?.first { $0["id"] == claims["sid"] }
        #expect(listed?["status"] == "active")
        #expect(listed?["auth_method"] == "password")
        #expect(mock.idp.directory.users[alice.id]?.lastSignInAt != nil)
    }

    @Test func formEncodedBodiesWorkLikeJSON() throws {
        let mock = try RunningIdP(transport: .inProcess)
        let response = try mock.exchange(try mock.headlessCode("bob"), form: true)
        #expect(response.status == 200)
        #expect(try response.json()["user"]?["email"] == "bob@acme.test")
    }

    @Test func publicPKCEClientNeedsNoSecretAndToleratesAnEmptyBearer() throws {
        let mock = try RunningIdP(transport: .inProcess)
        let pkce = PKCE.pair()
        let noHeader = try mock.exchange(try mock.headlessCode("alice", challenge: pkce.challenge), secret: false, verifier: pkce.verifier)
        #expect(noHeader.status == 200, "\(noHeader.bodyText)")
        // Go public clients send a literal "Authorization: Bearer " with nothing after it.
        let second = PKCE.pair()
        let code = try mock.headlessCode("alice", challenge: second.challenge)
        let emptyBearer = try mock.authenticate(
            ["grant_type": "authorization_code", "client_id": mock.clientID, "code": code, "code_verifier": second.verifier],
            headers: ["Authorization": "Bearer "])
        #expect(emptyBearer.status == 200, "\(emptyBearer.bodyText)")
        // authkit-nextjs sends both the verifier and the secret.
        let third = PKCE.pair()
        #expect(try mock.exchange(try mock.headlessCode("bob", challenge: third.challenge), secret: true, verifier: third.verifier).status == 200)
    }

    @Test func wrongClientSecretIsInvalidClientAndDoesNotBurnTheCode() throws {
        let mock = try RunningIdP(transport: .inProcess)
        let code = try mock.headlessCode("alice")
        let wrong = try mock.authenticate([
            "grant_type": "authorization_code", "client_id": mock.clientID, "code": code, "client_secret": "sk_test_wrong",
        ])
        try expectOAuthError(wrong, "invalid_client", status: 401)
        let missing = try mock.exchange(code, secret: false)
        try expectOAuthError(missing, "invalid_client", status: 401)
        let wrongBearer = try mock.authenticate(
            ["grant_type": "authorization_code", "client_id": mock.clientID, "code": code], headers: ["Authorization": "Bearer sk_test_wrong"])
        try expectOAuthError(wrongBearer, "invalid_client", status: 401)
        let wrongClient = try mock.authenticate([
            "grant_type": "authorization_code", "client_id": "client_01KDXYS8R8A5ZQ5Y2TE3G0GSZZ", "code": code, "client_secret": mock.apiKey,
        ])
        try expectOAuthError(wrongClient, "invalid_client", status: 401)
        #expect(try mock.exchange(code).status == 200)
    }

    @Test func wrongOrMissingPKCEVerifierIsInvalidGrant() throws {
        let mock = try RunningIdP(transport: .inProcess)
        let pkce = PKCE.pair()
        let code = try mock.headlessCode("alice", challenge: pkce.challenge)
        try expectOAuthError(try mock.exchange(code, secret: false, verifier: PKCE.pair().verifier), "invalid_grant", status: 400)
        // The secret does not stand in for the verifier once a challenge was bound to the code.
        try expectOAuthError(try mock.exchange(code, secret: true), "invalid_grant", status: 400)
        // A verifier for a code issued without a challenge proves nothing.
        try expectOAuthError(try mock.exchange(try mock.headlessCode("alice"), secret: false, verifier: pkce.verifier), "invalid_grant", status: 400)
        #expect(try mock.exchange(code, secret: false, verifier: pkce.verifier).status == 200)
    }

    @Test func aReusedCodeIsInvalidGrantAndRevokesTheSessionItCreated() throws {
        let mock = try RunningIdP(transport: .inProcess)
        let code = try mock.headlessCode("alice")
        let first = try mock.exchange(code)
        #expect(first.status == 200)
        try expectOAuthError(try mock.exchange(code), "invalid_grant", status: 400)
        let refreshToken = try #require(try first.json()["refresh_token"]?.stringValue)
        try expectOAuthError(try mock.refresh(refreshToken), "invalid_grant", status: 400)
    }

    @Test func anExpiredCodeIsInvalidGrant() throws {
        let mock = try RunningIdP(transport: .inProcess)
        let code = try mock.headlessCode("alice")
        mock.idp.clock.advance(mock.idp.configuration.authorizationCodeLifetime + 1)
        let response = try mock.exchange(code)
        try expectOAuthError(response, "invalid_grant", status: 400)
        #expect(try response.json()["error_description"]?.stringValue?.contains("expired") == true)
    }

    @Test func unknownGrantAndMissingFieldsAreOAuthErrors() throws {
        let mock = try RunningIdP(transport: .inProcess)
        try expectOAuthError(
            try mock.authenticate(["grant_type": "client_credentials", "client_id": mock.clientID]), "unsupported_grant_type", status: 400)
        try expectOAuthError(try mock.authenticate(["client_id": mock.clientID]), "invalid_request", status: 400)
        try expectOAuthError(try mock.exchange("no-such-code"), "invalid_grant", status: 400)
    }

    @Test func theInProcessAPIIssuesCodesForTheRunner() throws {
        let mock = try RunningIdP(transport: .inProcess)
        let pkce = PKCE.pair()
        let code = try mock.idp.issueAuthorizationCode(
            user: "carol", organization: "globex", redirectURI: RunningIdP.callback, codeChallenge: pkce.challenge)
        let body = try mock.exchange(code, secret: false, verifier: pkce.verifier).json()
        #expect(body["organization_id"] == .string(mock.org("globex").id))
        #expect(throws: IdPError.self) { try mock.idp.issueAuthorizationCode(user: "carol", redirectURI: "https://evil.test/cb") }
        #expect(throws: IdPError.self) {
            try mock.idp.issueAuthorizationCode(user: "carol", organization: "initech", redirectURI: RunningIdP.callback)
        }
        #expect(throws: IdPError.self) { try mock.idp.issueAuthorizationCode(user: "nobody", redirectURI: RunningIdP.callback) }
    }

    @Test func impersonatedSessionsCarryTheImpersonatorAndActClaim() throws {
        let mock = try RunningIdP(transport: .inProcess)
        let code = try mock.idp.issueAuthorizationCode(
            user: "bob", redirectURI: RunningIdP.callback, impersonator: Impersonator(email: "support@mockidp.test"))
        let body = try mock.exchange(code).json()
        #expect(body["impersonator"]?.objectValue?.keys.sorted() == ["email", "reason"])
        #expect(body["impersonator"]?["email"] == "support@mockidp.test")
        #expect(body["impersonator"]?["reason"] == .null)
        #expect(body["authentication_method"] == "Impersonation")
        #expect(try mock.claims(try #require(body["access_token"]?.stringValue))["act"]?["sub"] == "support@mockidp.test")
    }
}

@Suite struct AuthorizeTests {
    @Test func aRedirectURIOffTheAllowListGetsAnHTMLErrorPageAndNoRedirect() throws {
        let mock = try RunningIdP(transport: .inProcess)
        for uri in [
            "https://evil.test/callback", "http://localhost@evil.test/cb", "http://localhost.evil.test/cb",
            "http://localhost:3000/cb#frag", "javascript:alert(1)", "http://localhost:99999/cb", "http://127.0.0.1:65536/cb", "http://[::1]:70000/cb",
        ] {
            let response = try mock.authorize(
                mock.authorizeParameters(redirect: uri, extra: [("login_hint", "alice"), ("mockidp_auto_approve", "1")]))
            #expect(response.status == 400, "\(uri)")
            #expect(response.headers["Location"] == nil, "\(uri) was redirected to")
            #expect(response.headers["Content-Type"]?.hasPrefix("text/html") == true)
            #expect(response.bodyText.contains("redirect_uri is not allowed"))
            #expect(!response.bodyText.contains("<script"), "the URI must be escaped")
        }
        let missingClient = try mock.authorize([("redirect_uri", RunningIdP.callback), ("response_type", "code"), ("provider", "authkit")])
        #expect(missingClient.status == 400 && missingClient.headers["Location"] == nil)
        #expect(missingClient.bodyText.contains("client_id"))
        let wrongClient = try mock.authorize([
            ("client_id", "client_nope"), ("redirect_uri", RunningIdP.callback), ("response_type", "code"), ("provider", "authkit"),
        ])
        #expect(wrongClient.status == 400 && wrongClient.headers["Location"] == nil)
    }

    @Test func loopbackAndConfiguredRedirectURIsAreAllowed() throws {
        let mock = try RunningIdP(transport: .inProcess) { $0.redirectURIs = ["https://app.example.test/auth/callback"] }
        for uri in [
            "http://127.0.0.1:8080/cb?x=1", "http://[::1]:5173/cb", "http://localhost/cb", "https://localhost:3443/cb",
            "https://app.example.test/auth/callback",
        ] {
            let query = try mock.redirectQuery(
                try mock.authorize(mock.authorizeParameters(redirect: uri, extra: [("login_hint", "alice"), ("mockidp_auto_approve", "1")])))
            #expect(query["code"] != nil, "\(uri)")
        }
        #expect(try mock.authorize(mock.authorizeParameters(redirect: "https://app.example.test/auth/callback/extra")).status == 400)
    }

    @Test func badParametersRedirectBackWithAnOAuthError() throws {
        let mock = try RunningIdP(transport: .inProcess)
        let cases: [([(String, String)], String)] = [
            ([("code_challenge", PKCE.pair().challenge), ("code_challenge_method", "plain")], "invalid_request"),
            ([("code_challenge", PKCE.pair().challenge)], "invalid_request"),
            ([("provider", "MySpaceOAuth")], "invalid_request"),
            ([("organization_id", "org_01KDVDZZZZZZZZZZZZZZZZZZZZ")], "invalid_request"),
            ([("screen_hint", "register")], "invalid_request"),
            ([("login_hint", "nobody@nowhere.test"), ("mockidp_auto_approve", "1")], "access_denied"),
            ([("prompt", "none")], "login_required"),
        ]
        for (extra, error) in cases {
            var parameters = mock.authorizeParameters(state: "keep-me")
            for (name, value) in extra {
                parameters.removeAll { $0.0 == name }
                parameters.append((name, value))
            }
            let query = try mock.redirectQuery(try mock.authorize(parameters))
            #expect(query["error"] == error, "\(extra)")
            #expect(query["error_description"]?.isEmpty == false)
            #expect(query["state"] == "keep-me")
            #expect(query["code"] == nil)
        }
        var wrongType = mock.authorizeParameters()
        wrongType.removeAll { $0.0 == "response_type" }
        wrongType.append(("response_type", "token"))
        #expect(try mock.redirectQuery(try mock.authorize(wrongType))["error"] == "unsupported_response_type")
    }

    @Test func theLoginPageListsEveryFixtureUserAndItsFormCompletesTheLogin() throws {
        let mock = try RunningIdP(transport: .inProcess) { $0.autoApprove = false }
        let page = try mock.authorize(mock.authorizeParameters(extra: [("login_hint", "alice")]))
        #expect(page.status == 200)
        #expect(page.headers["Content-Type"]?.hasPrefix("text/html") == true)
        let html = page.bodyText
        for user in mock.fixtures.users.values {
            #expect(html.contains(user.email))
        }
        #expect(html.contains("Acme Corp") && html.contains("Globex Corporation"))
        #expect(!html.contains("<link") && !html.contains("<script") && !html.contains("src=\"http"), "no external assets")
        // Carol, active in two organizations, gets one button per organization.
        #expect(html.contains("data-user=\"carol\" data-email=\"carol@acme.test\" data-org=\"globex\""))
        let loginID = try #require(html.firstMatch(of: /name="login" value="([^"]+)"/)?.1)

        func complete(_ fields: [(name: String, value: String)]) throws -> ClientResponse {
            try mock.client.send(
                ClientRequest(method: "POST", url: mock.base + AuthRoutes.completePath, form: [(name: "login", value: String(loginID))] + fields))
        }
        let carol = mock.user("carol")
        let globex = mock.org("globex")
        let query = try mock.redirectQuery(try complete([(name: "user_id", value: carol.id), (name: "organization_id", value: globex.id)]))
        #expect(query["state"] == "st-1")
        let body = try mock.exchange(try #require(query["code"])).json()
        #expect(body["organization_id"] == .string(globex.id))
        #expect(body["authentication_method"] == "Password")
        // The form cannot put a user into an organization they are not active in.
        let denied = try mock.redirectQuery(
            try complete([(name: "user_id", value: carol.id), (name: "organization_id", value: mock.org("initech").id)]))
        #expect(denied["error"] == "access_denied")
        let expired = try mock.client.send(
            ClientRequest(
                method: "POST", url: mock.base + AuthRoutes.completePath, form: [(name: "login", value: "nope"), (name: "user_id", value: carol.id)]))
        #expect(expired.status == 400 && expired.headers["Location"] == nil)
    }

    @Test func textOnTheLoginPageIsEscaped() throws {
        let mock = try RunningIdP(transport: .inProcess)
        _ = try mock.send(
            "POST", "/_mock/users", ["email": "mallory@evil.test", "first_name": "<script>alert(1)</script>", "last_name": "\"><img src=x>"],
            authorized: false)
        let html = try mock.authorize(mock.authorizeParameters()).bodyText
        #expect(!html.contains("<script>alert(1)</script>"))
        #expect(!html.contains("\"><img src=x>"))
        #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
    }

    @Test func autoApproveFromConfigurationAndItsPerRequestOverride() throws {
        let mock = try RunningIdP(transport: .inProcess) { $0.autoApprove = true }
        #expect(try mock.authorize(mock.authorizeParameters(extra: [("login_hint", "alice")])).status == 302)
        #expect(try mock.authorize(mock.authorizeParameters(extra: [("login_hint", "alice"), ("mockidp_auto_approve", "0")])).status == 200)
        // Without a hint there is nobody to approve: the page is shown.
        #expect(try mock.authorize(mock.authorizeParameters()).status == 200)
    }
}

@Suite struct RefreshTests {
    @Test func refreshRotatesKeepsTheSessionAndHonoursTheGracePeriod() throws {
        let mock = try RunningIdP(transport: .inProcess) { $0.refreshGraceSeconds = 10 }
        let login = try mock.login("alice")
        let first = try #require(login["refresh_token"]?.stringValue)
        let sid = try mock.claims(try #require(login["access_token"]?.stringValue))["sid"]
        let rotated = try mock.refresh(first)
        #expect(rotated.status == 200)
        let second = try #require(try rotated.json()["refresh_token"]?.stringValue)
        #expect(second != first)
        #expect(try mock.claims(try #require(try rotated.json()["access_token"]?.stringValue))["sid"] == sid)
        // A concurrent refresh with the old token still works inside the grace period...
        // (9 and then 2 more, not 10 and 1: the mock's clock is wall time in whole seconds, and a
        // second may tick between the rotation and the next request.)
        mock.idp.clock.advance(9)
        #expect(try mock.refresh(first).status == 200)
        // ...and fails after it.
        mock.idp.clock.advance(2)
        try expectOAuthError(try mock.refresh(first), "invalid_grant", status: 400)
        let third = try mock.refresh(second)
        #expect(third.status == 200)
        #expect(try mock.claims(try #require(try third.json()["access_token"]?.stringValue))["sid"] == sid)
    }

    @Test func aRevokedSessionsRefreshTokenFails() throws {
        let mock = try RunningIdP(transport: .inProcess)
        let login = try mock.login("bob")
        let sid = try mock.sessionID(login)
        #expect(try mock.send("POST", "/user_management/sessions/revoke", ["session_id": .string(sid)]).status == 200)
        try expectOAuthError(try mock.refresh(try #require(login["refresh_token"]?.stringValue)), "invalid_grant", status: 400)
    }

    @Test func refreshSwitchesOnlyIntoActiveMemberships() throws {
        let mock = try RunningIdP(transport: .inProcess)
        let login = try mock.login("carol", organization: mock.org("acme").id)
        var token = try #require(login["refresh_token"]?.stringValue)
        let switched = try mock.refresh(token, organization: mock.org("globex").id)
        #expect(switched.status == 200)
        let body = try switched.json()
        #expect(body["organization_id"] == .string(mock.org("globex").id))
        let claims = try mock.claims(try #require(body["access_token"]?.stringValue))
        #expect(claims["org_id"] == .string(mock.org("globex").id))
        #expect(claims["role"] == "admin")
        token = try #require(body["refresh_token"]?.stringValue)
        // Without organization_id the session stays in the organization it last switched to.
        let stays = try mock.refresh(token).json()
        #expect(stays["organization_id"] == .string(mock.org("globex").id))
        token = try #require(stays["refresh_token"]?.stringValue)
        // Carol is not in Initech: refused, and the token is not spent by the refusal.
        try expectOAuthError(try mock.refresh(token, organization: mock.org("initech").id), "invalid_grant", status: 400)
        try expectOAuthError(try mock.refresh(token, organization: "org_01KDVDZZZZZZZZZZZZZZZZZZZZ"), "invalid_grant", status: 400)
        #expect(try mock.refresh(token).status == 200)
        // Frank's Acme membership is inactive.
        let frank = try mock.login("frank")
        try expectOAuthError(
            try mock.refresh(try #require(frank["refresh_token"]?.stringValue), organization: mock.org("acme").id), "invalid_grant", status: 400)
    }
}

@Suite struct LoginRuleTests {
    @Test func passwordGrantChecksTheFixturePassword() throws {
        let mock = try RunningIdP(transport: .inProcess)
        let fields = ["grant_type": "password", "client_id": mock.clientID, "client_secret": mock.apiKey, "email": "erin@initech.test"]
        var good = fields
        good["password"] = "erin-password"
        let ok = try mock.authenticate(good)
        #expect(ok.status == 200)
        #expect(try ok.json()["authentication_method"] == "Password")
        #expect(try ok.json()["organization_id"] == .string(mock.org("initech").id))
        var bad = fields
        bad["password"] = "guess"
        let refused = try mock.authenticate(bad)
        #expect(refused.status == 400)
        #expect(try refused.json()["code"] == "invalid_credentials")
        #expect(try refused.json()["message"]?.stringValue?.isEmpty == false)
        // bob has no password at all.
        #expect(
            try mock.authenticate([
                "grant_type": "password", "client_id": mock.clientID, "client_secret": mock.apiKey, "email": "bob@acme.test", "password": "x",
            ]).status == 400)
        var noSecret = good
        noSecret["client_secret"] = nil
        try expectOAuthError(try mock.authenticate(noSecret), "invalid_client", status: 401)
    }

    @Test func usersWithNoOrganizationGetNone() throws {
        let mock = try RunningIdP(transport: .inProcess)
        let body = try mock.login("grace")
        #expect(body["organization_id"] == .null)
        let claims = try mock.claims(try #require(body["access_token"]?.stringValue))
        #expect(claims["org_id"] == nil)
        #expect(claims["role"] == nil)
    }

    @Test func multiOrgUsersChooseAnOrganizationWithThePendingToken() throws {
        let mock = try RunningIdP(transport: .inProcess)
        let response = try mock.exchange(try mock.headlessCode("carol"))
        #expect(response.status == 403)
        let body = try response.json()
        #expect(body["code"] == "organization_selection_required")
        #expect(body["user"]?["id"] == .string(mock.user("carol").id))
        let organizations = try #require(body["organizations"]?.arrayValue)
        #expect(Set(organizations.compactMap { $0["id"]?.stringValue }) == [mock.org("acme").id, mock.org("globex").id])
        #expect(organizations.allSatisfy { $0["name"]?.stringValue != nil })
        let token = try #require(body["pending_authentication_token"]?.stringValue)

        func select(_ organization: String) throws -> ClientResponse {
            try mock.authenticate([
                "grant_type": "urn:workos:oauth:grant-type:organization-selection", "client_id": mock.clientID, "client_secret": mock.apiKey,
                "pending_authentication_token": token, "organization_id": organization,
            ])
        }
        try expectOAuthError(try select(mock.org("initech").id), "invalid_grant", status: 400)
        let chosen = try select(mock.org("globex").id)
        #expect(chosen.status == 200)
        #expect(try chosen.json()["organization_id"] == .string(mock.org("globex").id))
        #expect(try mock.claims(try #require(try chosen.json()["access_token"]?.stringValue))["role"] == "admin")
        try expectOAuthError(try select(mock.org("globex").id), "invalid_grant", status: 400)
    }
}

@Suite struct LogoutAndCORSTests {
    @Test func logoutEndsTheSessionAndRedirectsToAnAllowedReturnTo() throws {
        let mock = try RunningIdP(transport: .inProcess)
        let login = try mock.login("alice")
        let sid = try mock.sessionID(login)
        let returnTo = "http://localhost:3000/signed-out?from=mock"
        let response = try mock.get(
            "/user_management/sessions/logout?" + QueryParameters.encode(["session_id": sid, "return_to": returnTo]), authorized: false)
        #expect(response.status == 302)
        #expect(response.headers["Location"] == returnTo)
        #expect(mock.idp.directory.sessions[sid]?.status == .revoked)
        #expect(mock.idp.directory.sessions[sid]?.endedAt != nil)
        try expectOAuthError(try mock.refresh(try #require(login["refresh_token"]?.stringValue)), "invalid_grant", status: 400)

        let missing = try mock.get("/user_management/sessions/logout", authorized: false)
        #expect(missing.status == 422)
        #expect(try missing.json()["code"] == "invalid_request_parameters")
        #expect(try missing.json()["message"]?.stringValue?.isEmpty == false)
        let other = try mock.login("bob")
        let otherSid = try mock.sessionID(other)
        let offList = try mock.get(
            "/user_management/sessions/logout?" + QueryParameters.encode(["session_id": otherSid, "return_to": "https://evil.test/"]),
            authorized: false)
        #expect(offList.status == 200)
        #expect(offList.headers["Location"] == nil)
        #expect(offList.bodyText.contains("signed out"))
        #expect(mock.idp.directory.sessions[otherSid]?.status == .revoked)
        #expect(try mock.get("/user_management/sessions/logout?session_id=session_01KDVDZZZZZZZZZZZZZZZZZZZZ", authorized: false).status == 404)
    }

    @Test func browserOriginsGetCORSOnThePublicEndpointsOnly() throws {
        let mock = try RunningIdP(transport: .inProcess) { $0.corsOrigins = ["https://app.example.test"] }
        func preflight(_ path: String, origin: String) throws -> ClientResponse {
            try mock.client.send(
                ClientRequest(
                    method: "OPTIONS", url: mock.base + path,
                    headers: [
                        "Origin": origin, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type, idempotency-key",
                    ]))
        }
        for origin in ["http://localhost:5173", "http://127.0.0.1:3000", "https://app.example.test"] {
            let response = try preflight("/user_management/authenticate", origin: origin)
            #expect(response.status == 204)
            #expect(response.headers["Access-Control-Allow-Origin"] == origin)
            #expect(response.headers["Access-Control-Allow-Credentials"] == "true")
            #expect(response.headers["Access-Control-Allow-Methods"]?.contains("POST") == true)
            #expect(response.headers["Access-Control-Allow-Headers"]?.contains("idempotency-key") == true)
            #expect(response.headers["Vary"] == "Origin")
        }
        #expect(
            try preflight("/sso/jwks/\(mock.clientID)", origin: "http://localhost:5173").headers["Access-Control-Allow-Origin"]
                == "http://localhost:5173")
        let evil = try preflight("/user_management/authenticate", origin: "https://evil.test")
        #expect(evil.headers["Access-Control-Allow-Origin"] == nil)
        // The actual response carries the headers too, and the management API never does.
        let pkce = PKCE.pair()
        let code = try mock.headlessCode("alice", challenge: pkce.challenge)
        let actual = try mock.authenticate(
            ["grant_type": "authorization_code", "client_id": mock.clientID, "code": code, "code_verifier": pkce.verifier],
            headers: ["Origin": "http://localhost:5173"])
        #expect(actual.status == 200)
        #expect(actual.headers["Access-Control-Allow-Origin"] == "http://localhost:5173")
        let management = try mock.client.send(
            ClientRequest(
                method: "GET", url: mock.base + "/user_management/users",
                headers: ["Authorization": "Bearer \(mock.apiKey)", "Origin": "http://localhost:5173"]))
        #expect(management.status == 200)
        #expect(management.headers["Access-Control-Allow-Origin"] == nil)
    }
}
