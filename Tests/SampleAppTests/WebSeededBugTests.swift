import HTTP
import IdP
import JSON
import SampleApp
import Testing

/// One black-box test per web-shape bug: each drives the app through the real mock the way a
/// browser would, and shows the behaviour WebAppTests proves absent from the correct app.
@Suite struct WebSeededBugTests {
    /// Login CSRF: a callback whose state is not this browser's still signs it in.
    @Test func stateNotCheckedAcceptsAForeignState() throws {
        let harness = try WebHarness(bug: .stateNotChecked)
        let browser = harness.browser()
        let callbackURL = try harness.authorize(try harness.beginLogin(browser, as: "alice"))
        let code = try #require(QueryParameters(parsing: callbackURL.split(separator: "?", maxSplits: 1).last ?? "")["code"])
        let callback = try browser.send(
            "GET", harness.appBase + "/callback?" + QueryParameters.encode([("code", code), ("state", "attacker-chosen-state")]))
        #expect(callback.status == 302)
        #expect(try browser.accountJSON().status == 200)
    }

    /// A token without sid (the code bound to a minted token): the login works, then every page is a 500.
    @Test func missingSidCrashesEveryPage() throws {
        let harness = try WebHarness(bug: .missingSidCrashes)
        harness.bindNextLogin(["omit": ["sid"]])
        let browser = harness.browser()
        #expect(try harness.signIn(browser, as: "alice").status == 302)
        #expect(try browser.send("GET", harness.appBase + "/account").status == 500)
        #expect(try browser.send("GET", harness.appBase + "/account", json: true).status == 500)
        #expect(try browser.send("GET", harness.appBase + "/").status == 500)
        // A token with sid is fine.
        _ = try harness.signedIn(harness.browser(), as: "bob")
    }

    /// While the JWKS endpoint is down, a sign-in that needs the JWKS (none cached yet, or the
    /// cached set past its TTL) answers 500.
    @Test func jwksOutageCrashesTheSignIn() throws {
        let harness = try WebHarness(bug: .jwksOutageCrashes) {
            $0.jwksTTLMilliseconds = 1
            $0.jwksCooldownMilliseconds = 0
        }
        try harness.idpControl("POST", "/_mock/faults", ["path": "/sso/jwks/*", "status": 500])
        #expect(try harness.signIn(harness.browser(), as: "alice").status == 500)
        try harness.idpControl("DELETE", "/_mock/faults")
        _ = try harness.signedIn(harness.browser(), as: "alice")
        try harness.idpControl("POST", "/_mock/faults", ["path": "/sso/jwks/*", "status": 500])
        #expect(try harness.signIn(harness.browser(), as: "bob").status == 500)
    }

    /// A new signing key the cached JWKS lacks: 500, although a refetch was allowed.
    @Test func unknownKidCrashesInsteadOfRefetching() throws {
        let harness = try WebHarness(bug: .unknownKidCrashes) { $0.jwksCooldownMilliseconds = 0 }
        _ = try harness.signedIn(harness.browser(), as: "alice")
        try harness.idpControl("POST", "/_mock/keys", ["action": "add"])
        #expect(try harness.signIn(harness.browser(), as: "bob").status == 500)
    }

    /// Fixation: the pre-login session value is the signed-in session afterwards.
    @Test func sessionNotRotatedKeepsThePreLoginValue() throws {
        let harness = try WebHarness(bug: .sessionNotRotated)
        let victim = harness.browser()
        let authorizeURL = try harness.beginLogin(victim, as: "alice")
        let planted = try #require(victim.cookies["app_session"])
        #expect(try victim.send("GET", try harness.authorize(authorizeURL)).status == 302)
        #expect(victim.cookies["app_session"] == planted)
        let attacker = harness.browser()
        attacker.setCookie("app_session", planted)
        let stolen = try attacker.accountJSON()
        #expect(stolen.status == 200)
        #expect(stolen.body?["user"]?["idp_user_id"] == .string(try harness.user("alice").id))
    }

    @Test func openRedirectAfterLoginFollowsAnotherOrigin() throws {
        let harness = try WebHarness(bug: .openRedirectAfterLogin)
        let callback = try harness.signIn(harness.browser(), as: "alice", returnTo: "https://evil.test/phish")
        #expect(callback.status == 302)
        #expect(callback.location == "https://evil.test/phish")
    }

    /// The IdP refuses the refresh (revoked session) and the page is served anyway.
    @Test func refreshIgnoresRevocationKeepsARevokedSession() throws {
        let harness = try WebHarness(bug: .refreshIgnoresRevocation)
        let browser = harness.browser()
        let account = try harness.signedIn(browser, as: "alice")
        try harness.idp.endSession(try #require(account["session"]?["idp_session_id"]?.stringValue))
        harness.advanceClocks(seconds: 400)
        let exchanges = harness.authenticateCalls
        #expect(try browser.accountJSON().status == 200)
        #expect(try browser.send("GET", harness.appBase + "/account").status == 200)
        #expect(harness.authenticateCalls == exchanges + 2)  // refused twice, served twice
    }

    /// Two tabs of one session refresh at once with its one refresh token (the mock's reuse
    /// grace honours both); the second to store finds the session changed: a 500.
    @Test func concurrentRefreshCrashesOneOfTwoTabs() throws {
        let harness = try WebHarness(transport: .loopback, bug: .concurrentRefreshCrashes)
        let first = harness.browser()
        _ = try harness.signedIn(first, as: "alice")
        let second = harness.browser()
        second.setCookie("app_session", first.cookies["app_session"])
        harness.advanceClocks(seconds: 400)
        let exchanges = harness.authenticateCalls
        let results = harness.client.sendConcurrently([
            first.request("GET", harness.appBase + "/account", json: true), second.request("GET", harness.appBase + "/account", json: true),
        ])
        #expect(try results.map { try $0.get().status }.sorted() == [200, 500])
        #expect(harness.authenticateCalls == exchanges + 2)
        // One tab at a time is fine.
        harness.advanceClocks(seconds: 400)
        #expect(try first.accountJSON().status == 200)
    }

    /// Strict fixtures: IdP org IDs never equal app org IDs, so no membership links.
    @Test func idSpaceConfusionLinksNoOrganization() throws {
        let harness = try WebHarness(bug: .idSpaceConfusion)
        try harness.seedFixtureOrganizations()
        let account = try harness.signedIn(harness.browser(), as: "carol")
        #expect(account["organizations"] == [])
    }

    @Test func concurrentDuplicateProvisioningMakesSeveralWorkspaces() throws {
        let harness = try WebHarness(transport: .loopback, bug: .concurrentDuplicateProvisioning)
        let userID = try harness.idp.createUser(NewUser(email: "web-dup-race@example.test")).id
        let browsers = (0..<16).map { _ in harness.browser() }
        let callbacks = try browsers.map { browser in browser.request("GET", try harness.authorize(try harness.beginLogin(browser, as: userID))) }
        let results = harness.client.sendConcurrently(callbacks)
        #expect(try results.allSatisfy { try $0.get().status == 302 })
        #expect(try harness.counts(userID)[0] > 1)
    }

    /// Empty jti and no sid (codes bound to minted tokens): B signs into A's workspace.
    @Test func emptySidJtiSignsTheSecondUserIntoTheFirstUsersAccount() throws {
        let harness = try WebHarness(bug: .emptySidJtiAccepted)
        harness.bindNextLogin(["claims": ["jti": ""], "omit": ["sid"]])
        let a = try harness.signedIn(harness.browser(), as: "alice")
        harness.bindNextLogin(["claims": ["jti": ""], "omit": ["sid"]])
        let b = try harness.signedIn(harness.browser(), as: "bob")
        #expect(b["workspace"]?["id"] == a["workspace"]?["id"])
        #expect(b["user"]?["idp_user_id"] == .string(try harness.user("alice").id))
        #expect(try harness.counts(try harness.user("bob").id) == [0, 0, 0])
    }

    /// The mock issues under another issuer than the app expects.
    @Test func issuerNotCheckedSignsInWithAForeignIssuer() throws {
        let harness = try WebHarness(bug: .issuerNotChecked, idpIssuer: .custom("https://issuer.evil.test"))
        _ = try harness.signedIn(harness.browser(), as: "alice")
        let correct = try WebHarness(idpIssuer: .custom("https://issuer.evil.test"))
        #expect(try correct.signIn(correct.browser(), as: "alice").status == 401)
    }

    /// The mock's clock an hour behind: its tokens have expired by the app's clock.
    @Test func expiryNotCheckedSignsInWithAnExpiredToken() throws {
        let harness = try WebHarness(bug: .expiryNotChecked)
        harness.idp.clock.setOffset(-3_600)
        _ = try harness.signedIn(harness.browser(), as: "alice")
        let correct = try WebHarness()
        correct.idp.clock.setOffset(-3_600)
        #expect(try correct.signIn(correct.browser(), as: "alice").status == 401)
    }

    /// A same-kid key replacement at the mock is never seen, TTL or not.
    @Test func jwksCachedForeverRefusesAReplacedKey() throws {
        let harness = try WebHarness(bug: .jwksCachedForever) {
            $0.jwksTTLMilliseconds = 1
            $0.jwksCooldownMilliseconds = 0
        }
        _ = try harness.signedIn(harness.browser(), as: "alice")
        try harness.idpControl("POST", "/_mock/keys", ["action": "replace", "kid": .string(harness.idp.keys.activeKey.kid)])
        let fetches = harness.app.jwksFetchCount
        #expect(try harness.signIn(harness.browser(), as: "bob").status == 401)
        #expect(harness.app.jwksFetchCount == fetches)
    }

    /// The signed-in session cookie is set without HttpOnly (the correct app sets it).
    @Test func sessionCookieNotHTTPOnlyLeavesTheSessionReadableByScripts() throws {
        let harness = try WebHarness(bug: .sessionCookieNotHTTPOnly)
        let buggy = try #require(try harness.signIn(harness.browser(), as: "alice").setCookie("app_session"))
        #expect(!buggy.contains("HttpOnly") && buggy.contains("SameSite=Lax"))
        let correct = try WebHarness()
        let cookie = try #require(try correct.signIn(correct.browser(), as: "alice").setCookie("app_session"))
        #expect(cookie.contains("HttpOnly"))
    }

    /// Logout ends the app's session and never sends the browser to the IdP: the IdP session
    /// (and its refresh token) stays alive, although the app itself signs nobody in any more.
    @Test func logoutKeepsIdPSessionLeavesTheIdPSessionActive() throws {
        let harness = try WebHarness(bug: .logoutKeepsIdPSession)
        let browser = harness.browser()
        let account = try harness.signedIn(browser, as: "alice")
        let sid = try #require(account["session"]?["idp_session_id"]?.stringValue)
        let logout = try browser.send("GET", harness.appBase + "/logout")
        #expect(logout.status == 302)
        #expect(logout.location == "/")
        #expect(try browser.accountJSON().status == 401)
        let standing = harness.idp.sessionStanding(sid)
        #expect(standing.exists && !standing.ended)
        #expect(harness.idp.directory.sessions[sid]?.status == .active)
    }

    /// No PKCE and the same short state on every login: the mock flags the state as guessable
    /// and, from the second login on, as reused; the logins themselves still work.
    @Test func constantStateSendsOneWeakStateWithoutPKCE() throws {
        let harness = try WebHarness(bug: .constantState)
        var states: [String?] = []
        for user in ["alice", "bob"] {
            let url = try harness.beginLogin(harness.browser(), as: user)
            let query = QueryParameters(parsing: url.split(separator: "?", maxSplits: 1).last ?? "")
            #expect(query["code_challenge"] == nil)
            states.append(query["state"])
            _ = try harness.authorize(url)
        }
        #expect(states[0] != nil && states[0] == states[1])
        let flags = harness.idp.journal.entries(Journal.Filter(pathPrefix: "/user_management/authorize")).flatMap(\.flags).map(\.kind)
        #expect(flags.filter { $0 == .stateGuessable }.count == 2)
        #expect(flags.filter { $0 == .stateReused }.count == 1)
        _ = try harness.signedIn(harness.browser(), as: "carol")
    }
}
