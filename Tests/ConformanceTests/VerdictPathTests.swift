import Foundation
import HTTP
import IdP
import JSON
import Synchronization
import TestSupport
import Testing

@testable import Conformance

/// Verdict rules that were each changed by hand with `swift test` and the self-test still passing
/// (issue #23, point 9), and the false-alarm rules of point 8: each test here fails when its rule
/// is removed.
@Suite struct VerdictPathTests {
    static let codeFlowWithProbe =
        #"{"base_url": "http://127.0.0.1:1", "callback": {"path": "/cb", "shape": "code"}, "probe": {"path": "/me"}, "#
        + #""response": {"user_id": "/u", "workspace_id": "/w", "api_key_secret": "/k"}}"#

    static func evaluate(_ context: ScenarioContext, _ text: String) throws -> String? {
        try ExpectationEvaluator(context: context).failure(
            of: ScenarioLoader.parseExpectation(try JSONValue.parse(text), file: "s", step: "steps[0]", path: "expect"))
    }

    // MARK: The probe's 5xx

    @Test func aServerErrorFromTheProbeIsNeverARefusal() throws {
        let judge = OutcomeJudge(profile: try OutcomeTests.context(Self.codeFlowWithProbe).app.profile)
        // The login redirected to the login page (a refusal's shape), then the probe crashed.
        let crashed = OutcomeTests.answer(302, chain: [302], probe: 500)
        let reason = try judge.failure(.refused, crashed, label: "r")
        #expect(reason?.contains("server error") == true, "\(reason ?? "judged refused")")
        #expect(try judge.failure(.refused, OutcomeTests.answer(302, chain: [302], probe: 401), label: "r") == nil)
        #expect(try judge.failure(.acceptedWhileCached, crashed, label: "r") != nil)
    }

    // MARK: Cookie name prefixes (RFC 6265bis §4.1.3)

    @Test func hostPrefixedCookiesNeedSecureNoDomainAndPathSlash() {
        let url = "http://127.0.0.1:8080/callback"
        func kept(_ header: String) -> Bool {
            let jar = CookieJar()
            jar.store([header], from: url)
            return !jar.all.isEmpty
        }
        #expect(kept("__Host-s=1; Secure; Path=/"))
        #expect(!kept("__Host-s=1; Path=/"), "__Host- without Secure")
        #expect(!kept("__Host-s=1; Secure; Path=/app"), "__Host- with a Path other than /")
        #expect(kept("__Host-s=1; Secure"), "the default path of /callback is /")
        #expect(!kept("__Host-s=1; Secure; Path=/; Domain=127.0.0.1"), "__Host- with a Domain attribute")
        #expect(kept("__Secure-s=1; Secure"))
        #expect(!kept("__Secure-s=1"), "__Secure- without Secure")
        #expect(!kept("__Secure-s=1; Path=/; HttpOnly; SameSite=Lax"), "__Secure- without Secure, whatever else it has")
        #expect(kept("plain=1; Path=/"), "no prefix, no rule")
        let deeper = CookieJar()
        deeper.store(["__Host-s=1; Secure"], from: "http://127.0.0.1:8080/auth/callback")
        #expect(deeper.all.isEmpty, "__Host- whose default path is /auth")
    }

    // MARK: Same origin: scheme, host and port

    @Test func anotherPortOnTheSameHostIsAnotherOrigin() throws {
        // The mock and the app share 127.0.0.1: only the port tells them apart.
        #expect(!LoginDriver.sameOrigin("http://127.0.0.1:8080/a", "http://127.0.0.1:9090"))
        #expect(LoginDriver.sameOrigin("http://127.0.0.1:8080/a", "http://127.0.0.1:8080"))
        #expect(LoginDriver.sameOrigin("http://127.0.0.1/a", "http://127.0.0.1:80"), "no port is the scheme's default")
        #expect(!LoginDriver.sameOrigin("http://127.0.0.1/a", "http://127.0.0.1:8080"))
        // The redirect check: a Location on the app's host but another port leaves the app.
        let context = try OutcomeTests.context(Self.codeFlowWithProbe)
        var answer = OutcomeTests.answer(302, chain: [302])
        let appPort = try #require(URLComponents(string: context.app.baseURL)?.port)
        let idpPort = URLComponents(string: context.idp.baseURL)?.port
        let other = (1...3).map { appPort + $0 }.first { $0 != idpPort } ?? appPort + 1
        answer.firstHeaders = [(name: "Location", value: "http://127.0.0.1:\(other)/steal")]
        context.bindings.responses["r"] = answer
        let reason = try Self.evaluate(context, #"{"response": "r", "redirects": "app_or_idp"}"#)
        #expect(reason?.contains("neither the app's") == true, "\(reason ?? "judged same-origin")")
        answer.firstHeaders = [(name: "Location", value: "http://127.0.0.1:\(appPort)/account")]
        context.bindings.responses["r"] = answer
        #expect(try Self.evaluate(context, #"{"response": "r", "redirects": "app_or_idp"}"#) == nil)
    }

    // MARK: distinct and non_null over a race's answers

    static func race(_ context: ScenarioContext, _ bodies: [JSONValue]) {
        context.bindings.responseLists["logins"] = bodies.map { OutcomeTests.answer(200, json: $0) }
    }

    @Test func distinctCountsTheValuesTheAnswersName() throws {
        let context = try OutcomeTests.context(Self.codeFlowWithProbe.replacingOccurrences(of: #", "probe": {"path": "/me"}"#, with: ""))
        let one = #"{"responses": "logins", "distinct": {"field": "user_id", "count": 1}}"#
        Self.race(context, [["u": "a"], ["u": "a"], ["u": "a"]])
        #expect(try Self.evaluate(context, one) == nil)
        Self.race(context, [["u": "a"], ["u": "b"], ["u": "a"]])
        #expect(try Self.evaluate(context, one)?.contains("expected 1 distinct user_id across 3 responses, got 2") == true)
        let three = #"{"responses": "logins", "distinct": {"field": "user_id", "count": 3}}"#
        #expect(try Self.evaluate(context, three) != nil)
        Self.race(context, [["u": "a"], ["u": "b"], ["u": "c"]])
        #expect(try Self.evaluate(context, three) == nil)
        // A user_id is not allowed to be missing: a race that signed nobody in named no account.
        Self.race(context, [["u": .null], ["x": 1]])
        #expect(try Self.evaluate(context, one) != nil)
    }

    @Test func nonNullCountsAnswersCarryingTheValue() throws {
        let context = try OutcomeTests.context(Self.codeFlowWithProbe)
        Self.race(context, [["k": "s1"], ["k": .null], ["x": 1]])
        #expect(try Self.evaluate(context, #"{"responses": "logins", "non_null": {"field": "api_key_secret", "max": 1}}"#) == nil)
        #expect(try Self.evaluate(context, #"{"responses": "logins", "non_null": {"field": "api_key_secret", "min": 1}}"#) == nil)
        Self.race(context, [["k": "s1"], ["k": "s2"], ["x": 1]])
        let twice = try Self.evaluate(context, #"{"responses": "logins", "non_null": {"field": "api_key_secret", "max": 1}}"#)
        #expect(twice == "logins: expected at most 1 responses with api_key_secret, got 2")
        Self.race(context, [["k": .null], ["x": 1]])
        let none = try Self.evaluate(context, #"{"responses": "logins", "non_null": {"field": "api_key_secret", "min": 1}}"#)
        #expect(none == "logins: expected at least 1 responses with api_key_secret, got 0")
    }

    // MARK: A null workspace_id (point 8)

    @Test func aNullWorkspaceIsNoFailureUnlessEveryUserHasOne() throws {
        let optional = try OutcomeTests.context(Self.codeFlowWithProbe)
        let declared = try OutcomeTests.context(
            Self.codeFlowWithProbe.replacingOccurrences(of: #""response""#, with: #""capabilities": {"every_user_has_workspace": true}, "response""#))
        #expect(declared.app.profile.everyUserHasWorkspace && !optional.app.profile.everyUserHasWorkspace)
        let checks = [
            #"{"response": "r", "field": "workspace_id", "not_null": true, "id_space": "not_idp"}"#,
            #"{"responses": "logins", "distinct": {"field": "workspace_id", "count": 1}}"#,
            #"{"responses": "logins", "non_null": {"field": "workspace_id", "min": 1}}"#,
        ]
        for context in [optional, declared] {
            context.bindings.responses["r"] = OutcomeTests.answer(200, json: ["w": .null])
            Self.race(context, [["w": .null], ["u": "a"]])
        }
        for check in checks {
            #expect(try Self.evaluate(optional, check) == nil, "\(check)")
            #expect(try Self.evaluate(declared, check) != nil, "\(check)")
        }
        // The IDs it does name are still judged: two workspaces for one user, an IdP ID.
        Self.race(optional, [["w": "w-1"], ["w": .null], ["w": "w-2"]])
        #expect(try Self.evaluate(optional, checks[1]) != nil)
        Self.race(optional, [["w": "w-1"], ["w": .null], ["w": "w-1"]])
        #expect(try Self.evaluate(optional, checks[1]) == nil)
        optional.bindings.responses["r"] = OutcomeTests.answer(200, json: ["w": "org_01KDVDNCXR3YCZK7KAWQ1WF5AR"])
        #expect(try Self.evaluate(optional, checks[0])?.contains("IdP ID") == true)
        // Eight users, three with a workspace: the three must differ.
        let eight = #"{"responses": "logins", "distinct": {"field": "workspace_id", "count": 8}}"#
        Self.race(optional, [["w": "a"], ["w": "b"], ["w": "c"]] + Array(repeating: ["w": .null], count: 5))
        #expect(try Self.evaluate(optional, eight) == nil)
        Self.race(optional, [["w": "a"], ["w": "a"], ["w": "c"]] + Array(repeating: ["w": .null], count: 5))
        #expect(try Self.evaluate(optional, eight) != nil)
    }

    // MARK: A declared JWKS cache TTL (point 8)

    @Test func withoutAJWKSCacheAValidTokenDuringAnOutageIsJudgedLikeAnUnknownKid() throws {
        let cached = OutcomeJudge(
            profile: try OutcomeTests.context(
                #"{"base_url": "http://127.0.0.1:1", "callback": {"path": "/cb"}, "capabilities": {"jwks_cache_ttl_seconds": 300}}"#
            )
            .app.profile)
        let uncached = OutcomeJudge(
            profile: try OutcomeTests.context(
                #"{"base_url": "http://127.0.0.1:1", "callback": {"path": "/cb"}, "capabilities": {"jwks_cache_ttl_seconds": 0}}"#
            )
            .app.profile)
        for status in [401, 503] {
            #expect(try cached.failure(.acceptedWhileCached, OutcomeTests.answer(status), label: "r") != nil, "cached keys must verify: \(status)")
            #expect(try uncached.failure(.acceptedWhileCached, OutcomeTests.answer(status), label: "r") == nil, "\(status)")
        }
        #expect(try cached.failure(.acceptedWhileCached, OutcomeTests.answer(200), label: "r") == nil)
        #expect(try uncached.failure(.acceptedWhileCached, OutcomeTests.answer(200), label: "r") == nil)
        #expect(try uncached.failure(.acceptedWhileCached, OutcomeTests.answer(500), label: "r") != nil, "a 500 is the app failing")
        var lost = OutcomeTests.answer(200)
        lost.status = nil
        lost.error = "read timed out"
        #expect(try uncached.failure(.acceptedWhileCached, lost, label: "r") != nil, "a hang is no answer")
    }

    // MARK: Not applicable before it runs (point 8)

    /// A fresh user's login as `r`, then `checks`.
    static func login(then checks: String) throws -> Scenario {
        try scenario(
            #"[{"user": {"as": "u", "fresh": true}}, {"mint": {"as": "t", "user": "u"}}, {"callback": {"as": "r", "token": "t"}}, "# + checks + "]")
    }

    static func scenario(_ steps: String) throws -> Scenario {
        try ScenarioLoader.parse(
            try JSONValue.parse(#"{"id": "a.b", "family": "a", "title": "t", "steps": \#(steps)}"#), file: "s.json")
    }

    @Test func aScenarioReadingOnlyUnmappedValuesIsNotApplicableBeforeItRuns() throws {
        let profile = try OutcomeTests.context(
            #"{"base_url": "http://127.0.0.1:1", "callback": {"path": "/cb"}, "response": {"user_id": "/u"}, "#
                + #""capabilities": {"introspection": {"path": "/i", "members": "/m"}}}"#
        ).app.profile
        let unmapped = try Self.scenario(
            #"""
            [{"user": {"as": "u", "fresh": true}},
             {"repeat": {"times": 2, "steps": [
               {"parallel": {"as": "logins", "count": 2, "mint": {"user": "u"}}},
               {"expect": {"responses": "logins", "status": ["2xx", 409]}},
               {"expect": {"responses": "logins", "distinct": {"field": "workspace_id", "count": 1}}},
               {"expect": {"responses": "logins", "non_null": {"field": "api_key_secret", "max": 1}}},
               {"expect": {"introspect": "u", "workspaces": 1}}]}}]
            """#)
        let reason = try #require(UnmappedFields.reason(unmapped, profile: profile))
        #expect(reason.contains("'workspace_id'") && reason.contains("'api_key_secret'") && reason.contains("maps no 'workspaces'"), "\(reason)")
        // One value it reads is mapped: it runs (the others end it not applicable only if nothing fails).
        let mapped = try Self.login(
            then: #"{"expect": {"response": "r", "field": "workspace_id", "not_null": true}}, "#
                + #"{"expect": {"response": "r", "field": "user_id", "not_null": true}}"#)
        #expect(UnmappedFields.reason(mapped, profile: profile) == nil)
        let members = try Self.scenario(#"[{"user": {"as": "u", "fresh": true}}, {"expect": {"introspect": "u", "members": 1}}]"#)
        #expect(UnmappedFields.reason(members, profile: profile) == nil)
        // Status alone reads no mapped value; a JSON Pointer needs no mapping; any_of is readable through one alternative.
        let statusOnly = try Self.login(then: #"{"expect": {"response": "r", "status": 200}}"#)
        #expect(UnmappedFields.reason(statusOnly, profile: profile) == nil)
        let pointer = try Self.login(then: #"{"expect": {"response": "r", "field": "/x", "equals": 1}}"#)
        #expect(UnmappedFields.reason(pointer, profile: profile) == nil)
        let either = try Self.login(
            then: #"{"expect": {"any_of": [{"response": "r", "field": "workspace_id", "not_null": true}, "#
                + #"{"response": "r", "field": "user_id", "not_null": true}]}}"#)
        #expect(UnmappedFields.reason(either, profile: profile) == nil)
    }

    // MARK: org_id in a bound code-flow token (point 8)

    @Test func aCodeFlowTokenCarriesOrgIDForAUsersOneMembershipAsAuthenticateDoes() throws {
        let code = try OutcomeTests.context(Self.codeFlowWithProbe)
        let token = try OutcomeTests.context(#"{"base_url": "http://127.0.0.1:1", "callback": {"path": "/cb"}}"#)
        for context in [code, token] {
            let idp = context.idp
            let user = try idp.createUser(NewUser(email: "one-\(UUID().uuidString.prefix(8))@example.test"))
            let initech = try #require(idp.directory.resolveOrganization("initech"))
            _ = try idp.createMembership(NewMembership(userID: user.id, organizationID: initech.id, roleSlugs: ["member"]))
            let (_, minted) = try StepExecutor(context: context).mint(["user": .string(user.id)])
            // The mock's own authenticate, for the same user: org_id is its one organization.
            let (_, explicit) = try StepExecutor(context: context).mint(["user": .string(user.id), "organization": .null])
            if context === code {
                #expect(minted.claims["org_id"] == .string(initech.id))
                #expect(explicit.claims["org_id"] == nil, "an explicit organization: null is kept")
            } else {
                #expect(minted.claims["org_id"] == nil, "the token shape mints as /_mock/tokens does")
            }
            let acme = try #require(idp.directory.resolveOrganization("acme"))
            _ = try idp.createMembership(NewMembership(userID: user.id, organizationID: acme.id, roleSlugs: ["member"]))
            let (_, two) = try StepExecutor(context: context).mint(["user": .string(user.id)])
            #expect(two.claims["org_id"] == nil, "several memberships: authenticate asks the user to choose")
        }
    }

    // MARK: A race connection that never opens (point 8)

    @Test func aRaceConnectionThatNeverOpensIsAHarnessError() throws {
        // Nothing listens on port 1 of 127.0.0.1: the connection is refused before the race.
        let context = try OutcomeTests.context(#"{"base_url": "http://127.0.0.1:1", "callback": {"path": "/cb"}}"#)
        let requests = (0..<2).map { _ in ClientRequest(method: "POST", url: "http://127.0.0.1:1/cb", headers: [:]) }
        #expect {
            _ = try context.wire.sendConcurrently(requests, step: "parallel logins", tokens: [nil, nil])
        } throws: { error in
            guard case ScenarioStop.harness(let reason)? = error as? ScenarioStop else { return false }
            return reason.contains("parallel logins #1") && reason.contains("never opened")
        }
    }
}

/// The state-tampering callback steps (`"state": "missing" | "altered" | "other_login"`), run
/// against a small app that uses state without PKCE (the reference web app uses PKCE, so there
/// these scenarios are not applicable): each step delivers the callback it names, and the app's
/// refusal is judged a refusal.
@Suite struct StateTamperingTests {
    /// A code-flow app that keeps the state it issued in a cookie and signs the browser in only
    /// when the callback carries that state.
    final class StateApp: Sendable {
        final class Log: Sendable {
            let issued = Mutex<[String]>([])
            /// The `state` query parameter of each callback (nil: none), with the browser's cookie state.
            let callbacks = Mutex<[(state: String?, cookie: String?)]>([])
        }
        let log = Log()
        var issued: [String] { log.issued.withLock { $0 } }
        var callbacks: [(state: String?, cookie: String?)] { log.callbacks.withLock { $0 } }
        let server: HTTPServer
        let port: UInt16

        init(idp: MockIdP) throws {
            let log = self.log
            server = HTTPServer { request in
                let cookies = request.headers["Cookie"] ?? ""
                func cookie(_ name: String) -> String? {
                    cookies.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
                        .first { $0.hasPrefix(name + "=") }.map { String($0.dropFirst(name.count + 1)) }
                }
                switch request.path {
                case "/login":
                    let state = "s\(log.issued.withLock { $0.count })-" + UUID().uuidString
                    log.issued.withLock { $0.append(state) }
                    let host = request.headers["Host"] ?? ""
                    let location =
                        idp.baseURL + "/user_management/authorize?"
                        + QueryParameters.encode([
                            (name: "client_id", value: idp.configuration.clientID), (name: "redirect_uri", value: "http://\(host)/callback"),
                            (name: "response_type", value: "code"), (name: "provider", value: "authkit"), (name: "state", value: state),
                        ])
                    return HTTPResponse(status: 302, headers: ["Location": location, "Set-Cookie": "login_state=\(state); Path=/; HttpOnly"])
                case "/callback":
                    let state = request.query["state"]
                    log.callbacks.withLock { $0.append((state, cookie("login_state"))) }
                    guard let state, state == cookie("login_state"), request.query["code"] != nil else { return HTTPResponse(status: 400) }
                    return HTTPResponse(status: 302, headers: ["Location": "/me", "Set-Cookie": "session=ok; Path=/; HttpOnly"])
                case "/me":
                    return HTTPResponse(status: cookie("session") == "ok" ? 200 : 401)
                default:
                    return HTTPResponse(status: 404)
                }
            }
            port = try server.start(host: "127.0.0.1", port: 0)
        }

        deinit { server.stop() }
    }

    static func run(_ scenarioFile: String) throws -> (app: StateApp, context: ScenarioContext) {
        let running = try RunningIdP()
        let app = try StateApp(idp: running.idp)
        let profile = try TargetProfile.parse(
            try JSONValue.parse(
                #"{"base_url": "http://127.0.0.1:{app_port}", "callback": {"shape": "code", "path": "/callback", "login_path": "/login"}, "#
                    + #""probe": {"path": "/me"}}"#
            ), file: "state-app.json")
        let scenario = try ScenarioLoader.load(file: "builtin:suite/web-state/\(scenarioFile)")
        let context = ScenarioContext(
            scenario: scenario, idp: running.idp, app: AppTarget(profile: profile, placeholders: ["app_port": String(app.port)]))
        try StepExecutor(context: context).run(scenario.steps)
        withExtendedLifetime(running) {}
        return (app, context)
    }

    @Test func aMissingStateIsRemovedFromTheCallback() throws {
        let (app, context) = try Self.run("missing-state.json")
        let callbacks = app.callbacks
        #expect(callbacks.count == 1 && callbacks[0].state == nil && callbacks[0].cookie != nil, "\(callbacks)")
        #expect(context.findings.failed.isEmpty && context.findings.notApplicable.isEmpty, "\(context.findings)")
    }

    @Test func anAlteredStateDiffersFromTheIssuedOne() throws {
        let (app, context) = try Self.run("altered-state.json")
        let callbacks = app.callbacks
        let delivered = try #require(callbacks.first?.state)
        let issued = try #require(callbacks.first?.cookie)
        #expect(delivered != issued && delivered.count == issued.count, "\(delivered) vs \(issued)")
        #expect(context.findings.failed.isEmpty && context.findings.notApplicable.isEmpty, "\(context.findings)")
    }

    @Test func anotherLoginsStateIsAGenuineStateOfAnotherBrowser() throws {
        let (app, context) = try Self.run("other-login-state.json")
        let callbacks = app.callbacks
        let issued = app.issued
        let delivered = try #require(callbacks.first?.state)
        #expect(issued.contains(delivered), "the app issued \(delivered) to some login: \(issued)")
        #expect(delivered != callbacks.first?.cookie, "but not to this browser's")
        #expect(context.findings.failed.isEmpty && context.findings.notApplicable.isEmpty, "\(context.findings)")
    }
}
