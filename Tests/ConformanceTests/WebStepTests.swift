import Foundation
import JSON
import Testing

@testable import Conformance

/// The steps and the check the web-shape families are written in: how they parse, and how the
/// runner resolves a redirect as a browser does.
@Suite struct WebStepTests {
    func parse(_ steps: String) throws(ConfigError) -> Scenario { try ScenarioText.afterALogin(steps) }

    @Test func callbackOptionsProbeSnapshotsLogoutAndRevocationParse() throws {
        let scenario = try parse(
            #"""
            [{"callback": {"as": "r", "token": "t", "login_query": {"return_to": "//evil.example/"}, "state": "other_login", "browser": "victim"}},
             {"cookies": {"as": "c", "token": "t", "at": "before_callback"}}, {"probe": {"as": "p", "cookies": "c"}},
             {"logout": {"as": "l", "token": "t"}}, {"revoke_session": {"token": "t"}}, {"wait": {"leeway_plus": 3}},
             {"expect": {"response": "r", "redirects": "app_or_idp"}}]
            """#)
        guard case .callback(let callback) = scenario.steps[2] else {
            Issue.record("not a callback")
            return
        }
        #expect(callback.loginQuery.map(\.name) == ["return_to"] && callback.loginQuery.map(\.value) == ["//evil.example/"])
        #expect(callback.state == .otherLogin && callback.freshBrowser)
        guard case .cookies(let snapshot) = scenario.steps[3], case .probe(let probe) = scenario.steps[4] else {
            Issue.record("steps")
            return
        }
        #expect(snapshot.beforeCallback && snapshot.token == "t" && probe.cookies == "c" && probe.token == nil)
        guard case .wait(_, _, _, let leeway) = scenario.steps[7] else {
            Issue.record("not a wait")
            return
        }
        #expect(leeway == 3)
    }

    @Test(arguments: [
        (#"[{"callback": {"as": "r", "token": "t", "state": "sometimes"}}]"#, "state"),
        (#"[{"callback": {"as": "r", "token": "t", "browser": "mine"}}]"#, "browser"),
        (#"[{"callback": {"as": "r", "no_token": true, "browser": "victim"}}]"#, "no_token"),
        (#"[{"probe": {"as": "p"}}]"#, "token"),
        (#"[{"probe": {"as": "p", "token": "t", "cookies": "c"}}]"#, "token"),
        (#"[{"cookies": {"as": "c", "token": "t", "at": "later"}}]"#, "at"),
        (#"[{"revoke_session": {}}]"#, "token"),
        (#"[{"probe": {"as": "p", "cookies": "nowhere"}}]"#, "probe.cookies"),
        (#"[{"logout": {"as": "l", "token": "stranger"}}]"#, "logout.token"),
    ])
    func malformedWebStepsNameTheField(_ steps: String, _ field: String) {
        #expect {
            _ = try parse(steps)
        } throws: { error in
            (error as? ConfigError).map { $0.field.hasSuffix(field) } ?? false
        }
    }

    @Test func redirectsResolveAsBrowsersReadThem() {
        let app = "http://127.0.0.1:8080/callback"
        #expect(LoginDriver.resolve("//evil.example/x", against: app) == "http://evil.example/x")
        #expect(LoginDriver.resolve("/\\evil.example/x", against: app) == "http://evil.example/x")
        #expect(LoginDriver.resolve("\\\\evil.example", against: app) == "http://evil.example")
        #expect(LoginDriver.resolve("HTTPS://evil.example/", against: app) == "HTTPS://evil.example/")
        #expect(LoginDriver.resolve("/account", against: app) == "http://127.0.0.1:8080/account")
        #expect(LoginDriver.sameOrigin(LoginDriver.resolve("/account?next=//evil.example", against: app), app))
        #expect(!LoginDriver.sameOrigin(LoginDriver.resolve("https://127.0.0.1:1/", against: app), app))
    }
}
