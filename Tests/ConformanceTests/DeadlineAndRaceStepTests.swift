import Foundation
import JSON
import TestSupport
import Testing

@testable import Conformance

/// The steps of the refresh-race and slow-IdP scenarios: how they parse, and that a `deadline`
/// turns an app that answers later than its declared IdP timeout into a failed check.
@Suite struct DeadlineAndRaceStepTests {
    func parse(_ steps: String) throws(ConfigError) -> Scenario { try ScenarioText.afterALogin(steps) }

    @Test func parallelProbesDeadlinesAndFaultsPastTheTimeoutParse() throws {
        let scenario = try parse(
            #"""
            [{"callback": {"as": "r", "token": "t"}}, {"cookies": {"as": "c", "token": "t"}},
             {"parallel": {"as": "pages", "count": 2, "cookies": "c"}}, {"probe": {"as": "p2", "cookies": "pages#2"}},
             {"idp_fault": {"path": "/user_management/authenticate", "past_app_timeout_ms": 1000, "times": 1}},
             {"deadline": {"idp_timeout_plus": 2}}, {"deadline": {"clear": true}}]
            """#)
        guard case .parallel(let race) = scenario.steps[4], case .deadline(let plus) = scenario.steps[7],
            case .deadline(let cleared) = scenario.steps[8]
        else {
            Issue.record("steps")
            return
        }
        #expect(race.cookies == "c" && race.count == 2 && race.mint == nil && race.token == nil)
        #expect(plus == 2 && cleared == nil)
        #expect(scenario.exclusiveReason == "arms a fault")
    }

    @Test(arguments: [
        (#"[{"parallel": {"as": "pages", "count": 2, "cookies": "nowhere"}}]"#, "parallel.cookies"),
        (#"[{"cookies": {"as": "c", "token": "t"}}, {"parallel": {"as": "pages", "count": 2, "cookies": "c", "token": "t"}}]"#, "mint"),
        (
            #"[{"cookies": {"as": "c", "token": "t"}}, {"parallel": {"as": "pages", "count": 2, "cookies": "c"}}, "#
                + #"{"probe": {"as": "p", "cookies": "pages#3"}}]"#,
            "probe.cookies"
        ),
        (#"[{"deadline": {}}]"#, "idp_timeout_plus"),
        (#"[{"deadline": {"idp_timeout_plus": 2, "clear": true}}]"#, "idp_timeout_plus"),
        (#"[{"deadline": {"idp_timeout_plus": 31}}]"#, "idp_timeout_plus"),
        (#"[{"idp_fault": {"path": "/x", "past_app_timeout_ms": 1000, "latency_ms": 5}}]"#, "past_app_timeout_ms"),
        (#"[{"idp_fault": {"path": "/x", "past_app_timeout_ms": 10001}}]"#, "past_app_timeout_ms"),
    ])
    func malformedStepsNameTheField(_ steps: String, _ field: String) {
        #expect {
            _ = try parse(steps)
        } throws: { error in
            (error as? ConfigError).map { $0.field.hasSuffix(field) } ?? false
        }
    }

    @Test func theIdPTimeoutIsACapabilityWithARange() throws {
        let base = #"{"name": "p", "base_url": "http://127.0.0.1:1", "callback": {"shape": "code", "path": "/cb"}, "probe": {"path": "/me"}"#
        let declared = try TargetProfile.parse(try JSONValue.parse(base + #", "capabilities": {"idp_timeout_seconds": 5}}"#), file: "p.json")
        #expect(declared.idpTimeoutSeconds == 5 && declared.capabilities.contains(.idpTimeout))
        let undeclared = try TargetProfile.parse(try JSONValue.parse(base + "}"), file: "p.json")
        #expect(!undeclared.capabilities.contains(.idpTimeout))
        #expect(throws: ConfigError.self) {
            _ = try TargetProfile.parse(try JSONValue.parse(base + #", "capabilities": {"idp_timeout_seconds": 61}}"#), file: "p.json")
        }
    }
}

/// `mockidp run` with a deadline against the reference web app: the app really waits 10 s for
/// the IdP (its default), so a profile declaring 0.5 s makes it late, while one whose app is
/// started with that timeout is on time.
@Suite(.enabled(if: BuiltTool.path != nil, "the mockidp executable must be built (swift build)"))
struct DeadlineRunTests {
    static func profile(appTimeoutMilliseconds: Int?) -> String {
        let flag = appTimeoutMilliseconds.map { #", "--idp-timeout-ms", "\#($0)""# } ?? ""
        return """
            {"name": "web-timeout", "base_url": "http://127.0.0.1:{app_port}",
             "start": {"command": ["{mockidp}", "sample-app", "--shape", "web", "--port", "{app_port}", "--idp", "{idp_base_url}",
                                   "--client-id", "{client_id}", "--api-key", "{api_key}", "--issuer", "{issuer}"\(flag)],
                       "ready": {"path": "/health"}},
             "callback": {"shape": "code", "path": "/callback", "login_path": "/login"},
             "probe": {"path": "/account", "headers": {"Accept": "application/json"}, "signed_in_status": 200},
             "capabilities": {"idp_timeout_seconds": 0.5}}
            """
    }

    static let scenario = """
        {"id": "deadline.slow-exchange", "title": "slow exchange", "requires": ["code_flow", "idp_timeout"],
         "steps": [{"user": {"as": "u", "fresh": true}}, {"mint": {"as": "t", "user": "u"}},
                   {"idp_fault": {"path": "/user_management/authenticate", "method": "POST", "past_app_timeout_ms": 3000, "times": 1}},
                   {"deadline": {"idp_timeout_plus": 1}}, {"callback": {"as": "r", "token": "t"}}, {"deadline": {"clear": true}},
                   {"expect": {"any_of": [{"response": "r", "outcome": "not_5xx"}, {"response": "r", "status": [502, 503, 504]}]}}]}
        """

    static func verdict(appTimeoutMilliseconds: Int?) throws -> (verdict: String?, output: String) {
        let profile = try BuiltTool.temporaryFile("web-timeout.json", profile(appTimeoutMilliseconds: appTimeoutMilliseconds))
        let scenario = try BuiltTool.temporaryFile("slow-exchange.json", Self.scenario)
        let json = FileManager.default.temporaryDirectory.appendingPathComponent("mockidp-\(UUID().uuidString).json")
        defer {
            for file in [profile, scenario, json] { try? FileManager.default.removeItem(at: file) }
        }
        let result = try BuiltTool.run(["run", "--no-color", "--json", json.path, "--target", profile.path, "--scenario", scenario.path])
        let report = (try? Data(contentsOf: json)).flatMap { try? JSONValue.parse(Array($0)) }
        let verdict = report?["scenarios"]?[0]?["verdict"]?.stringValue
        return (verdict, result.stdout + result.stderr)
    }

    @Test func anAppLaterThanItsDeclaredTimeoutFailsAndOneOnTimePasses() throws {
        let late = try Self.verdict(appTimeoutMilliseconds: nil)
        #expect(late.verdict == "fail", "\(late.output)")
        #expect(late.output.contains("got no answer"), "\(late.output)")
        let onTime = try Self.verdict(appTimeoutMilliseconds: 500)
        #expect(onTime.verdict == "pass", "\(onTime.output)")
    }
}
