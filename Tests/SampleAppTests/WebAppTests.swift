import HTTP
import IdP
import JSON
import SampleApp
import TestSupport
import Testing

/// The correct web shape, driven as a browser drives it: /login → the mock's authorize
/// (headless, auto-approve) → /callback with the cookie jar → /account.
@Suite struct WebAppTests {
    @Test func loginRedirectCarriesStatePKCEAndAShortLivedLoginCookie() throws {
        let harness = try WebHarness()
        let browser = harness.browser()
        let first = try browser.send("GET", harness.appBase + "/login")
        #expect(first.status == 302)
        let authorize = QueryParameters(parsing: first.location?.split(separator: "?", maxSplits: 1).last ?? "")
        #expect(first.location?.hasPrefix(harness.idp.baseURL + "/user_management/authorize?") == true)
        #expect(authorize["redirect_uri"] == harness.appBase + "/callback")
        #expect(authorize["client_id"] == harness.idp.configuration.clientID)
        #expect(authorize["code_challenge_method"] == "S256")
        #expect(authorize["code_challenge"]?.utf8.count == 43)
        #expect((authorize["state"]?.utf8.count ?? 0) >= 32)
        let loginCookie = first.setCookie("app_login") ?? ""
        #expect(loginCookie.contains("HttpOnly") && loginCookie.contains("Max-Age=600") && loginCookie.contains("SameSite=Lax"))
        // Neither the verifier nor anything readable by script leaves in the clear: a fresh
        // state per login.
        let second = try harness.browser().send("GET", harness.appBase + "/login")
        let secondState = QueryParameters(parsing: second.location?.split(separator: "?", maxSplits: 1).last ?? "")["state"]
        #expect(secondState != authorize["state"])
    }

    /// The browser calls the app in-process in these tests; this one proves a sign-in lands
    /// alike over loopback, where the redirect URI names the bound port.
    @Test(arguments: [Transport.inProcess, .loopback])
    func aSignInLandsOnTheAccountOverEitherTransport(_ transport: Transport) throws {
        let harness = try WebHarness(transport: transport)
        let browser = harness.browser()
        let authorize = QueryParameters(parsing: try harness.beginLogin(browser, as: "alice").split(separator: "?", maxSplits: 1).last ?? "")
        #expect(authorize["redirect_uri"] == harness.appBase + "/callback")
        let account = try harness.signedIn(browser, as: "alice")
        #expect(account["user"]?["idp_user_id"] == .string(try harness.user("alice").id))
        #expect(try harness.counts(try harness.user("alice").id) == [1, 1, 1])
    }

    @Test func signInProvisionsAndAccountAnswersHTMLAndJSONWithAppIDs() throws {
        let harness = try WebHarness()
        try harness.seedFixtureOrganizations()
        let carol = try harness.user("carol")
        let browser = harness.browser()
        let callback = try harness.signIn(browser, as: "carol")
        #expect(callback.status == 302)
        #expect(callback.location == "/account")
        let session = callback.setCookie("app_session") ?? ""
        #expect(session.contains("HttpOnly"))
        #expect(callback.setCookie("app_login")?.contains("Max-Age=0") == true)

        let (status, body) = try browser.accountJSON()
        #expect(status == 200)
        #expect(body?["user"]?["idp_user_id"] == .string(carol.id))
        #expect(body?["user"]?["email"] == .string(carol.email))
        #expect(IDSpace.of(body?["user"]?["id"]?.stringValue ?? "") == .app)
        #expect(IDSpace.of(body?["workspace"]?["id"]?.stringValue ?? "") == .app)
        #expect(IDSpace.of(body?["workspace_member"]?["id"]?.stringValue ?? "") == .app)
        // Memberships by app organization IDs (external_id), not IdP IDs.
        let organizations = body?["organizations"]?.arrayValue ?? []
        let roles = Dictionary(
            uniqueKeysWithValues: organizations.compactMap { entry -> (String, String)? in
                guard let id = entry["id"]?.stringValue, let role = entry["role"]?.stringValue else { return nil }
                return (id, role)
            })
        let acme = try #require(harness.idp.directory.organization(ref: "acme")?.externalID)
        let globex = try #require(harness.idp.directory.organization(ref: "globex")?.externalID)
        #expect(roles == [acme: "member", globex: "admin"])
        #expect(try harness.counts(carol.id) == [1, 1, 1])

        let page = try browser.send("GET", harness.appBase + "/account")
        #expect(page.status == 200)
        #expect(page.headers["Content-Type"]?.hasPrefix("text/html") == true)
        #expect(page.bodyText.contains("<dd id=\"user-id\">\(body?["user"]?["id"]?.stringValue ?? "?")</dd>"))
        #expect(page.bodyText.contains("data-organization-id=\"\(globex)\" data-role=\"admin\""))

        // A second sign-in is the same account.
        let again = try harness.signedIn(harness.browser(), as: "carol")
        #expect(again["workspace"]?["id"] == body?["workspace"]?["id"])
        #expect(try harness.counts(carol.id) == [1, 1, 1])
    }

    @Test func withoutASessionJSONGets401AndABrowserGoesToLogin() throws {
        let harness = try WebHarness()
        let browser = harness.browser()
        let json = try browser.send("GET", harness.appBase + "/account", json: true)
        #expect(json.status == 401)
        #expect(try json.json()["login_url"] == "/login?return_to=%2Faccount")
        let html = try browser.send("GET", harness.appBase + "/account")
        #expect(html.status == 302)
        #expect(html.location == "/login?return_to=%2Faccount")
        browser.setCookie("app_session", "made-up-value")
        let unknown = try browser.send("GET", harness.appBase + "/account", json: true)
        #expect(unknown.status == 401)
        #expect(unknown.setCookie("app_session")?.contains("Max-Age=0") == true)
        #expect(try browser.send("GET", harness.appBase + "/").status == 200)
    }

    @Test func callbackRefusesAForeignOrMissingState() throws {
        let harness = try WebHarness()
        let browser = harness.browser()
        let callbackURL = try harness.authorize(try harness.beginLogin(browser, as: "alice"))
        var parts = QueryParameters(parsing: callbackURL.split(separator: "?", maxSplits: 1).last ?? "")
        let code = try #require(parts["code"])
        parts = ["code": code, "state": "attacker-chosen-state"]
        let tampered = try browser.send("GET", harness.appBase + "/callback?" + parts.encoded)
        #expect(tampered.status == 400)
        #expect(tampered.setCookie("app_session") == nil)
        #expect(try browser.accountJSON().status == 401)
        // A browser that never started a login (no login cookie): refused too.
        let stranger = try harness.browser().send("GET", callbackURL)
        #expect(stranger.status == 400)
        // Bad input is a clear 4xx, never a 5xx.
        #expect(try browser.send("GET", harness.appBase + "/callback").status == 400)
        #expect(try browser.send("GET", harness.appBase + "/callback?error=access_denied&error_description=no").status == 401)
        browser.setCookie("app_login", "v1.garbage.garbage")
        #expect(try browser.send("GET", harness.appBase + "/callback?code=x&state=y").status == 400)
    }

    @Test func loginRotatesTheSessionCookie() throws {
        let harness = try WebHarness()
        let browser = harness.browser()
        let authorizeURL = try harness.beginLogin(browser, as: "alice")
        let before = try #require(browser.cookies["app_session"])
        #expect(try browser.send("GET", try harness.authorize(authorizeURL)).status == 302)
        let after = try #require(browser.cookies["app_session"])
        #expect(after != before)
        #expect(try browser.accountJSON().status == 200)
        // Whoever held the pre-login value (a planted cookie) holds nothing.
        let attacker = harness.browser()
        attacker.setCookie("app_session", before)
        #expect(try attacker.accountJSON().status == 401)
    }

    @Test func returnToOnlyLeadsToTheAppsOwnPaths() throws {
        let harness = try WebHarness()
        for hostile in ["https://evil.test/", "//evil.test/x", "/\\evil.test", "http:/evil.test", "javascript:alert(1)", " /account"] {
            let callback = try harness.signIn(harness.browser(), as: "alice", returnTo: hostile)
            #expect(callback.status == 302)
            #expect(callback.location == "/account", "return_to \(hostile)")
        }
        let callback = try harness.signIn(harness.browser(), as: "alice", returnTo: "/account?tab=keys")
        #expect(callback.location == "/account?tab=keys")
    }

    @Test func anExpiredAccessTokenIsRefreshedOnce() throws {
        let harness = try WebHarness()
        let browser = harness.browser()
        let first = try harness.signedIn(browser, as: "alice")
        let exchanges = harness.authenticateCalls
        harness.advanceClocks(seconds: 400)  // past the mock's 300 s token lifetime
        let (status, body) = try browser.accountJSON()
        #expect(status == 200)
        #expect(body?["user"]?["id"] == first["user"]?["id"])
        #expect(body?["session"]?["idp_session_id"] == first["session"]?["idp_session_id"])
        #expect(harness.authenticateCalls == exchanges + 1)
        // The refreshed token is good for a while: no refresh per page.
        #expect(try browser.accountJSON().status == 200)
        #expect(harness.authenticateCalls == exchanges + 1)
    }

    /// Two tabs of one session open a page at once after the token expired: they take turns,
    /// so one refresh serves both (the mock's refresh grace is never needed).
    @Test func twoTabsOfOneSessionRefreshOnceBetweenThem() throws {
        let harness = try WebHarness(transport: .loopback)
        let first = harness.browser()
        _ = try harness.signedIn(first, as: "alice")
        let second = harness.browser()
        second.setCookie("app_session", first.cookies["app_session"])
        harness.advanceClocks(seconds: 400)
        let exchanges = harness.authenticateCalls
        let results = harness.client.sendConcurrently([
            first.request("GET", harness.appBase + "/account", json: true), second.request("GET", harness.appBase + "/account", json: true),
        ])
        #expect(try results.map { try $0.get().status } == [200, 200])
        #expect(harness.authenticateCalls == exchanges + 1)
    }

    /// While the IdP answers 503 (or is slower than the app's timeout) a page that needs a refresh
    /// is a sign-in page, not a 500 and not a wait past the timeout; the session refreshes afterwards.
    @Test func anIdPOutageDuringARefreshIsNoServerError() throws {
        let harness = try WebHarness(transport: .loopback) { $0.idpTimeoutMilliseconds = 300 }
        let browser = harness.browser()
        _ = try harness.signedIn(browser, as: "alice")
        harness.advanceClocks(seconds: 400)
        try harness.idpControl("POST", "/_mock/faults", ["path": "/user_management/authenticate", "status": 503, "times": 1])
        #expect(try browser.accountJSON().status == 401)
        try harness.idpControl("POST", "/_mock/faults", ["path": "/user_management/authenticate", "latency_ms": 1500, "times": 1])
        #expect(try browser.accountJSON().status == 401)
        #expect(try browser.accountJSON().status == 200)
    }

    /// How a runner makes the app refresh without waiting: a token that expired a moment ago
    /// (within the leeway) signs in, and the next page refreshes it.
    @Test func aTokenExpiredWithinTheLeewaySignsInAndIsRefreshedAtTheNextPage() throws {
        let harness = try WebHarness()
        harness.bindNextLogin(["expires_in": -5])
        let browser = harness.browser()
        #expect(try harness.signIn(browser, as: "alice").status == 302)
        let exchanges = harness.authenticateCalls
        #expect(try browser.accountJSON().status == 200)
        #expect(harness.authenticateCalls == exchanges + 1)
    }

    /// The same callback URL twice: the code is spent, so no second sign-in, no 5xx, no new rows.
    @Test func aReplayedCallbackNeitherSignsInNorProvisionsAgain() throws {
        let harness = try WebHarness()
        let browser = harness.browser()
        let authorizeURL = try harness.beginLogin(browser, as: "alice")
        let loginCookie = try #require(browser.cookies["app_login"])
        let callbackURL = try harness.authorize(authorizeURL)
        #expect(try browser.send("GET", callbackURL).status == 302)
        // The login cookie is gone from the jar, so the browser's own replay fails the state check...
        #expect(try browser.send("GET", callbackURL).status == 400)
        // ...and a replay that brings the old login cookie back fails at the mock.
        let replay = harness.browser()
        replay.setCookie("app_login", loginCookie)
        let answer = try replay.send("GET", callbackURL)
        #expect(answer.status == 401)
        #expect(answer.setCookie("app_session") == nil)
        #expect(try harness.counts(try harness.user("alice").id) == [1, 1, 1])
    }

    @Test func aRevokedSessionEndsAtTheNextRefresh() throws {
        let harness = try WebHarness()
        let browser = harness.browser()
        let account = try harness.signedIn(browser, as: "alice")
        let sid = try #require(account["session"]?["idp_session_id"]?.stringValue)
        try harness.idp.endSession(sid)
        // Until the access token expires the app has no reason to ask.
        #expect(try browser.accountJSON().status == 200)
        harness.advanceClocks(seconds: 400)
        let page = try browser.send("GET", harness.appBase + "/account")
        #expect(page.status == 302)
        #expect(page.location?.hasPrefix("/login") == true)
        #expect(try browser.accountJSON().status == 401)
    }

    @Test func logoutEndsTheSessionHereAndAtTheMock() throws {
        let harness = try WebHarness()
        let browser = harness.browser()
        let account = try harness.signedIn(browser, as: "alice")
        let sid = try #require(account["session"]?["idp_session_id"]?.stringValue)
        let cookie = try #require(browser.cookies["app_session"])
        let logout = try browser.send("POST", harness.appBase + "/logout")
        #expect(logout.status == 302)
        let location = try #require(logout.location)
        #expect(location.hasPrefix(harness.idp.baseURL + "/user_management/sessions/logout?"))
        #expect(QueryParameters(parsing: location.split(separator: "?", maxSplits: 1).last ?? "")["session_id"] == sid)
        let atMock = try harness.client.send(.get(location))
        #expect(atMock.status == 302)
        #expect(atMock.location == harness.appBase + "/")
        #expect(harness.idp.directory.sessions[sid]?.status == .revoked)
        #expect(try browser.accountJSON().status == 401)
        let replayed = harness.browser()
        replayed.setCookie("app_session", cookie)
        #expect(try replayed.accountJSON().status == 401)
    }

    @Test func aJWKSOutageRefusesTheSignInWithoutA5xxAndRecovers() throws {
        let harness = try WebHarness { $0.jwksCooldownMilliseconds = 0 }
        try harness.idpControl("POST", "/_mock/faults", ["path": "/sso/jwks/*", "status": 500])
        let during = try harness.signIn(harness.browser(), as: "alice")
        #expect(during.status == 401)
        #expect(during.setCookie("app_session") == nil)
        try harness.idpControl("DELETE", "/_mock/faults")
        _ = try harness.signedIn(harness.browser(), as: "alice")
    }

    /// Keys past their TTL whose refetch fails keep verifying: an outage logs nobody out.
    @Test func aJWKSOutageWithCachedKeysIsSurvived() throws {
        let harness = try WebHarness {
            $0.jwksTTLMilliseconds = 1
            $0.jwksCooldownMilliseconds = 0
        }
        _ = try harness.signedIn(harness.browser(), as: "alice")
        try harness.idpControl("POST", "/_mock/faults", ["path": "/sso/jwks/*", "status": 500])
        let fetches = harness.app.jwksFetchCount
        _ = try harness.signedIn(harness.browser(), as: "bob")
        #expect(harness.app.jwksFetchCount > fetches)  // it did try
    }

    @Test func anUnknownKidIsRefetchedOrRefusedNeverA5xx() throws {
        let refetching = try WebHarness { $0.jwksCooldownMilliseconds = 0 }
        _ = try refetching.signedIn(refetching.browser(), as: "alice")
        try refetching.idpControl("POST", "/_mock/keys", ["action": "add"])
        _ = try refetching.signedIn(refetching.browser(), as: "bob")

        // Within the refetch cooldown the new kid cannot be fetched yet: refused, not a 500.
        let coolingDown = try WebHarness { $0.jwksCooldownMilliseconds = 600_000 }
        _ = try coolingDown.signedIn(coolingDown.browser(), as: "alice")
        try coolingDown.idpControl("POST", "/_mock/keys", ["action": "add"])
        #expect(try coolingDown.signIn(coolingDown.browser(), as: "bob").status == 401)
    }

    @Test func concurrentFirstLoginsProvisionOneWorkspace() throws {
        let harness = try WebHarness(transport: .loopback)
        let userID = try harness.idp.createUser(NewUser(email: "web-race@example.test")).id
        let browsers = (0..<8).map { _ in harness.browser() }
        let callbacks = try browsers.map { browser in browser.request("GET", try harness.authorize(try harness.beginLogin(browser, as: userID))) }
        let results = harness.client.sendConcurrently(callbacks)
        var workspaces = Set<String>()
        for (browser, result) in zip(browsers, results) {
            let response = try result.get()
            #expect(response.status == 302)
            browser.take(response)
            workspaces.insert(try browser.accountJSON().body?["workspace"]?["id"]?.stringValue ?? "")
        }
        #expect(workspaces.count == 1)
        #expect(try harness.counts(userID) == [1, 1, 1])
    }

    /// Tokens without `sid` reach the app through a code the mock binds to a minted token.
    @Test func aTokenWithoutSidSignsInAndEveryPageRenders() throws {
        let harness = try WebHarness()
        harness.bindNextLogin(["omit": ["sid"]])
        let browser = harness.browser()
        let account = try harness.signedIn(browser, as: "alice")
        #expect(account["session"]?["idp_session_id"] == .null)
        #expect(try browser.send("GET", harness.appBase + "/account").status == 200)
        #expect(try browser.send("GET", harness.appBase + "/").status == 200)
        let logout = try browser.send("GET", harness.appBase + "/logout")
        #expect(logout.status == 302)
        #expect(logout.location == "/")
    }

    @Test func emptyJtiWithoutSidIsRefusedForEveryUser() throws {
        let harness = try WebHarness()
        for user in ["alice", "bob"] {
            harness.bindNextLogin(["claims": ["jti": ""], "omit": ["sid"]])
            let callback = try harness.signIn(harness.browser(), as: user)
            #expect(callback.status == 401)
        }
        #expect(try harness.counts(try harness.user("bob").id) == [0, 0, 0])
    }

    @Test func testResetForgetsSessions() throws {
        let harness = try WebHarness()
        let browser = harness.browser()
        _ = try harness.signedIn(browser, as: "alice")
        let reset = try harness.client.send(ClientRequest(method: "POST", url: harness.appBase + "/_test/reset"))
        #expect(reset.status == 200)
        #expect(try browser.accountJSON().status == 401)
    }

    @Test func bugsOfOneShapeAreRefusedForTheOther() throws {
        for (bug, shape) in [(SeededBug.stateNotChecked, SampleAppShape.api), (.unusedIdempotencyKey, .web), (.algNoneAccepted, .web)] {
            var configuration = SampleAppConfiguration(idpBaseURL: "http://127.0.0.1:1", clientID: "c", apiKey: "k", issuer: "i")
            configuration.shape = shape
            configuration.bug = bug
            #expect(throws: SampleAppConfigurationError.self) { try configuration.validate() }
            do {
                try configuration.validate()
            } catch {
                #expect(error.description.contains("'\(bug.rawValue)'") && error.description.contains("--shape \(shape.rawValue)"))
            }
        }
        #expect(
            Set(SeededBug.applying(to: .web).map(\.rawValue)).isSuperset(of: [
                "state-not-checked", "missing-sid-crashes", "jwks-outage-crashes", "unknown-kid-crashes", "session-not-rotated",
                "open-redirect-after-login", "refresh-ignores-revocation", "id-space-confusion", "concurrent-duplicate-provisioning",
                "empty-sid-jti-accepted", "issuer-not-checked", "expiry-not-checked", "jwks-cached-forever", "concurrent-refresh-crashes",
            ]))
    }
}
