import Foundation
import JSON
import SampleApp
import Testing

@testable import Conformance

@Suite struct ScenarioParsingTests {
    func parse(_ text: String) throws(ConfigError) -> Scenario { try ScenarioText.parse(text) }

    @Test func readsAWellFormedScenario() throws {
        let scenario = try parse(
            #"""
            {"id": "replay.x", "title": "T", "references": {"bugs": ["b"]}, "requires": ["introspection"],
             "steps": [{"user": {"as": "u", "fresh": true}}, {"mint": {"as": "t", "user": "u", "sign": "none"}},
                       {"callback": {"as": "r", "token": "t"}}, {"expect": {"response": "r", "status": "4xx", "because": "why"}}]}
            """#)
        #expect(scenario.family == "replay")
        #expect(scenario.steps.map(\.kind) == [.user, .mint, .callback, .expect])
        #expect(scenario.references.bugs == ["b"])
        guard case .expect(let expectation) = scenario.steps[3] else {
            Issue.record("not an expect step")
            return
        }
        #expect(expectation.because == "why")
        #expect(expectation.step == "steps[3]")
    }

    // Each broken file must name the file, the step and the field, with a message that says what to do.
    @Test(arguments: [
        (#"{"title": "T", "steps": [{"mark": "m"}]}"#, nil as String?, "id", "is required"),
        (#"{"id": "a.b", "title": "T", "steps": []}"#, nil, "steps", "non-empty"),
        (#"{"id": "a.b", "title": "T", "steps": [{"callbak": {"as": "r", "token": "t"}}]}"#, "steps[0]", "callbak", "did you mean 'callback'"),
        (#"{"id": "a.b", "title": "T", "steps": [{"mark": "m"}, {"mint": {"as": "t"}}]}"#, "steps[1]", "mint.user", "is required"),
        (#"{"id": "a.b", "title": "T", "steps": [{"mint": {"as": "t", "user": "u", "sign": "nope"}}]}"#, "steps[0]", "mint.sign", "is not one of"),
        (
            #"{"id": "a.b", "title": "T", "steps": [{"mint": {"as": "t", "user": "u", "expires": 5}}]}"#, "steps[0]", "mint.expires",
            "did you mean 'expires_in'"
        ),
        (
            #"{"id": "a.b", "title": "T", "steps": [{"parallel": {"as": "p", "count": 0, "token": "t"}}]}"#, "steps[0]", "parallel.count",
            "from 1 to 256"
        ),
        (
            #"{"id": "a.b", "title": "T", "steps": [{"expect": {"response": "r", "distinct": {}}}]}"#, "steps[0]", "expect.distinct",
            "does not apply to 'response'"
        ),
        (#"{"id": "a.b", "title": "T", "steps": [{"expect": {"status": 200}}]}"#, "steps[0]", "expect", "needs a subject"),
        (
            #"{"id": "a.b", "title": "T", "steps": [{"repeat": {"times": 2, "steps": [{"wait": {}}]}}]}"#, "steps[0].repeat.steps[0]", "wait.seconds",
            "say how long"
        ),
        (#"{"id": "a.b", "title": "T", "steps": [{"mark": "m", "wait": {"seconds": 1}}]}"#, "steps[0]", "", "exactly one key"),
        (#"{"id": "a.b", "title": "T", "id_spaces": "mixed", "steps": [{"mark": "m"}]}"#, nil, "id_spaces", "strict or adversarial"),
    ])
    func brokenFilesNameFileStepAndField(_ text: String, _ step: String?, _ field: String, _ message: String) {
        do {
            _ = try parse(text)
            Issue.record("expected an error")
        } catch {
            #expect(error.file == "t.json")
            #expect(error.step == step)
            #expect(error.field == field)
            #expect(error.message.contains(message), "\(error.message)")
        }
    }

    @Test func everyBuiltInScenarioParsesAndIdsAreUnique() throws {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("scenarios/suite").path
        let scenarios = try ScenarioSuite.load(directory: folder)
        #expect(scenarios.count >= 50)
        // Every built-in scenario says when it fails and when it passes.
        for scenario in scenarios {
            #expect(
                !(scenario.verdict?.failsWhen.isEmpty ?? true) && !(scenario.verdict?.passesWhen.isEmpty ?? true), "\(scenario.id) has no verdict")
        }
        let families = Set(scenarios.map(\.family))
        #expect(
            families.isSuperset(of: [
                "first-login", "replay", "concurrency", "sid-jti", "id-spaces", "token", "rotation", "email", "provisioning", "credentials",
                "web-state", "web-redirect", "web-session", "web-refresh", "web-errors",
            ]))
        // Every seeded bug of the reference app, of either shape, is named by at least one
        // scenario that catches it (`mockidp selftest` proves the catching).
        let caught = Set(scenarios.flatMap(\.references.bugs))
        for bug in SeededBug.allCases.map(\.rawValue) {
            #expect(caught.contains(bug), "no scenario names \(bug)")
        }
    }

    @Test func filterAndShardCoverEveryScenarioOnce() throws {
        let scenarios = (0..<10).map { index in
            Scenario(file: "f\(index).json", id: "fam\(index % 3).s\(index)", family: "fam\(index % 3)", title: "t", steps: [.mark("m")])
        }
        #expect(ScenarioSuite.filter(scenarios, pattern: "fam1").count == 3)
        #expect(ScenarioSuite.filter(scenarios, pattern: "*.s1").map(\.id) == ["fam1.s1"])
        let shards = (1...3).map { ScenarioSuite.shard(scenarios, index: $0, count: 3).map(\.id) }
        #expect(shards.flatMap { $0 }.sorted() == scenarios.map(\.id).sorted())
        #expect(Set(shards[0]).isDisjoint(with: shards[1]))
    }
}

@Suite struct TargetProfileTests {
    @Test func referenceProfileDeclaresEveryCapability() throws {
        let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("scenarios/targets/reference-app.json").path
        let profile = try TargetProfile.load(file: file)
        #expect(
            Set(profile.capabilities.map(\.rawValue)) == [
                "introspection", "fault_hook", "seeding", "reset", "jwks_cache_ttl", "email_claim", "organization_credentials",
                "token_callback",
            ])
        #expect(profile.tokenPlacement == .bearer)
        #expect(profile.responseFields["workspace_id"] == .pointer("/workspace/id"))
    }

    @Test func referenceWebProfileDrivesTheCodeFlowWithProbeAndLogout() throws {
        let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("scenarios/targets/reference-web-app.json").path
        let profile = try TargetProfile.load(file: file)
        #expect(
            Set(profile.capabilities.map(\.rawValue)) == [
                "introspection", "fault_hook", "seeding", "reset", "jwks_cache_ttl", "email_claim", "code_flow", "probe", "logout",
                "login_route",
                "idp_timeout",
            ])
        #expect(profile.codeFlow?.loginPath == "/login")
        #expect(profile.probe?.call.path == "/account")
        #expect(profile.logout?.path == "/logout")
        #expect(profile.start?.command.contains("web") == true)
    }

    @Test func profileErrorsNameTheField() {
        let cases: [(String, String)] = [
            (#"{"base_url": "https://x", "callback": {"path": "/cb"}}"#, "base_url"),
            (#"{"base_url": "http://127.0.0.1:1", "callback": {"path": "/cb", "token": {"in": "header"}}}"#, "callback.token.in"),
            (#"{"base_url": "http://127.0.0.1:1", "callback": {"path": "/cb", "token": {"in": "cookie"}}}"#, "callback.token.field"),
            (#"{"base_url": "http://127.0.0.1:1", "callback": {"path": "/cb", "shape": "code", "token": {"in": "bearer"}}}"#, "callback.token"),
            (#"{"base_url": "http://127.0.0.1:1", "callback": {"path": "/cb", "login_path": "/login"}}"#, "callback.login_path"),
            (#"{"base_url": "http://127.0.0.1:1", "callback": {"path": "/cb", "shape": "saml"}}"#, "callback.shape"),
            (#"{"base_url": "http://127.0.0.1:1", "callback": {"path": "/cb"}, "response": {"u": {"pattern": "no group"}}}"#, "response.u.pattern"),
            (
                #"{"base_url": "http://127.0.0.1:1", "callback": {"path": "/cb"}, "probe": {"path": "/a", "signed_in_status": [true]}}"#,
                "probe.signed_in_status"
            ),
            (#"{"base_url": "http://127.0.0.1:1", "callback": {"path": "/cb"}, "start": {"command": ["a"], "restart": "always"}}"#, "start.restart"),
            (#"{"base_url": "http://127.0.0.1:1", "callback": {"path": "/cb"}, "response": {"w": "workspace/id"}}"#, "response.w"),
            (#"{"base_url": "http://127.0.0.1:1", "callback": {"path": "/cb"}, "capabilities": {"introspect": {}}}"#, "capabilities.introspect"),
            (#"{"base_url": "http://127.0.0.1:1"}"#, "callback"),
        ]
        for (text, field) in cases {
            do {
                _ = try TargetProfile.parse(try JSONValue.parse(text), file: "p.json")
                Issue.record("expected an error for \(field)")
            } catch let error as ConfigError {
                #expect(error.field == field, "\(error)")
                #expect(error.file == "p.json")
            } catch {
                Issue.record("unexpected \(error)")
            }
        }
    }
}

@Suite struct AssertionEngineTests {
    @Test(
        arguments: [
            (200, JSONValue.int(200), true), (201, "2xx", true), (404, "2xx", false), (503, "not 5xx", false), (401, "not 5xx", true),
            (409, ["2xx", 409], true), (500, ["2xx", 409], false), (204, "!2xx", false),
        ] as [(Int, JSONValue, Bool)])
    func statusPatterns(_ status: Int, _ wanted: JSONValue, _ matches: Bool) throws {
        let pattern = try #require(StatusPattern(wanted), "\(wanted) parses")
        #expect(pattern.matches(status) == matches)
        #expect(!pattern.matches(nil))
    }

    /// Parsed once at load: what is not a status is refused there, never matched as nothing later.
    @Test(arguments: [JSONValue.int(99), 600, "6xx", "2x", "20x", "abc", "!!2xx", [], [200, "nope"], true])
    func nonStatusesAreRefused(_ value: JSONValue) {
        #expect(StatusPattern(value) == nil)
    }

    @Test func statusPatternsDescribeThemselvesAsWritten() throws {
        #expect(try #require(StatusPattern(["2xx", 409])).description == "2xx or 409")
        #expect(try #require(StatusPattern(JSONValue.string("not 5xx"))).description == "not 5xx")
    }

    @Test func countsTakeExactOrBounds() throws {
        #expect(CountRule(exact: 1).failure(1, label: "x") == nil)
        #expect(CountRule(exact: 1).failure(2, label: "x") == "x: expected 1, got 2")
        #expect(try #require(CountRule(["max": 5])).failure(6, label: "x") == "x: expected at most 5, got 6")
        #expect(try #require(CountRule(["min": 1])).failure(0, label: "x") == "x: expected at least 1, got 0")
        #expect(CountRule(exact: 1).failure(nil, label: "x") != nil)
        #expect(CountRule(["min": "1"]) == nil && CountRule("lots") == nil && CountRule([:]) == nil)
    }

    @Test func differencesPointAtTheMember() {
        let a: JSONValue = ["w": ["id": "1"], "last_seen_at": "t1"]
        let b: JSONValue = ["w": ["id": "1"], "last_seen_at": "t2"]
        #expect(ExpectationEvaluator.firstDifference(a, b) == #"/last_seen_at: "t1" vs "t2""#)
        #expect(ExpectationEvaluator.removing(["/last_seen_at"], from: a) == ExpectationEvaluator.removing(["/last_seen_at"], from: b))
    }
}
