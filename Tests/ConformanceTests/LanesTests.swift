import Foundation
import JSON
import Testing

@testable import Conformance

/// Which profiles can give an exclusive scenario a mock and an app of its own, and how many lanes
/// run at once by default.
@Suite struct LaneRulesTests {
    func profile(baseURL: String = "http://127.0.0.1:{app_port}", start: String?) throws -> TargetProfile {
        let text = #"{"name": "p", "base_url": ""# + baseURL + #"", "callback": {"path": "/cb"}"# + (start.map { #", "start": "# + $0 } ?? "") + "}"
        return try TargetProfile.parse(try JSONValue.parse(Array(text.utf8)), file: "p.json")
    }

    @Test func anAppTheRunnerStartsOnItsOwnPortAgainstTheMockGetsLanes() throws {
        let started = try profile(start: #"{"command": ["app", "--port", "{app_port}"], "env": {"IDP": "{idp_base_url}"}}"#)
        #expect(started.laneRefusal() == nil)
        // A port given with --set is one port: a second app could not bind it.
        #expect(started.laneRefusal(placeholders: ["app_port": "8000"])?.contains("port is fixed") == true)
    }

    @Test func anAppTheRunnerCannotPointAtALanesMockHasNoLanes() throws {
        let running = try profile(baseURL: "http://127.0.0.1:8000", start: nil)
        #expect(running.laneRefusal()?.contains("no start command") == true)
        let fixed = try profile(baseURL: "http://127.0.0.1:8000", start: #"{"command": ["app"], "env": {"IDP": "{idp_base_url}"}}"#)
        #expect(fixed.laneRefusal()?.contains("port is fixed") == true)
        let deaf = try profile(start: #"{"command": ["app", "--port", "{app_port}"], "env": {"IDP": "http://127.0.0.1:9999"}}"#)
        #expect(deaf.laneRefusal()?.contains("{idp_base_url}") == true)
    }

    func scenario(_ id: String, _ step: String) throws -> Scenario {
        let text = """
            {"id": "demo.\(id)", "family": "demo", "title": "t", "verdict": {"fails_when": "f", "passes_when": "p"},
             "steps": [{"user": {"as": "u", "fresh": true}}, \(step)]}
            """
        return try ScenarioLoader.parse(try JSONValue.parse(Array(text.utf8)), file: "demo.json")
    }

    /// Working lanes are bounded by the job slots; waiting ones only add overlap; memory caps both.
    @Test func theDefaultOverlapsTheWaitsWithinMemory() throws {
        let shared = try scenario("shared", #"{"mint": {"as": "t", "user": "u"}}"#)
        let rotating = try (0..<3).map { try scenario("rotate\($0)", #"{"keys": {"action": "add", "as": "k2"}}"#) }
        let waiting = try (0..<4).map { try scenario("wait\($0)", #"{"wait": {"seconds": 1}}"#) }
        let plenty = UInt64(64) << 30
        #expect(LaneBudget.defaultCount(scenarios: [shared], jobs: 2, availableMemory: plenty) == 1)
        #expect(LaneBudget.defaultCount(scenarios: [shared] + rotating, jobs: 2, availableMemory: plenty) == 1 + 2)
        #expect(LaneBudget.defaultCount(scenarios: rotating + waiting, jobs: 2, availableMemory: plenty) == 1 + 2 + 4)
        #expect(LaneBudget.defaultCount(scenarios: rotating + waiting, jobs: 2, availableMemory: 3 * LaneBudget.bytesPerLane) == 1 + 3)
    }
}

/// Lanes against the real reference app: the rotation family (every scenario changes the
/// mock's keys) runs each scenario against an app and a mock of its own, with the verdicts of
/// the one-at-a-time run.
@Suite(.enabled(if: BuiltTool.path != nil, "the mockidp executable must be built (swift build)"))
struct LanesRunTests {
    struct Run {
        var mainAppPort: String
        var verdicts: [String: String]
        /// Each scenario's app port and token issuer (its mock), from its transcript.
        var appPorts: [String: Set<String>]
        var issuers: [String: Set<String>]
    }

    func run(lanes: Int) throws -> Run {
        let json = FileManager.default.temporaryDirectory.appendingPathComponent("mockidp-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: json) }
        let result = try BuiltTool.run(["run", "--filter", "rotation", "--seed", "7", "--lanes", String(lanes), "--json", json.path])
        #expect(result.status == 0, "\(result.stdout)\n\(result.stderr)")
        let header = try #require(result.stdout.split(separator: "\n").first.map(String.init))
        let mainAppPort = try #require(header.firstMatch(of: /at http:\/\/127\.0\.0\.1:([0-9]+) \(mock IdP/)).1
        let report = try JSONValue.parse(Array(try Data(contentsOf: json)))
        var run = Run(mainAppPort: String(mainAppPort), verdicts: [:], appPorts: [:], issuers: [:])
        for scenario in report["scenarios"]?.arrayValue ?? [] {
            let id = try #require(scenario["id"]?.stringValue)
            run.verdicts[id] = scenario["verdict"]?.stringValue
            for exchange in scenario["transcript"]?.arrayValue ?? [] {
                if let url = exchange["url"]?.stringValue, let port = url.firstMatch(of: /^http:\/\/127\.0\.0\.1:([0-9]+)\//)?.1 {
                    run.appPorts[id, default: []].insert(String(port))
                }
                if let issuer = exchange["token"]?["payload"]?["iss"]?.stringValue { run.issuers[id, default: []].insert(issuer) }
            }
        }
        return run
    }

    @Test func eachRotationScenarioGetsAnAppAndAMockOfItsOwnAndTheSameVerdict() throws {
        let alone = try run(lanes: 1)
        let laned = try run(lanes: 4)
        #expect(!alone.verdicts.isEmpty)
        #expect(laned.verdicts == alone.verdicts)
        #expect(alone.appPorts.values.allSatisfy { $0 == [alone.mainAppPort] })
        let lanePorts = laned.appPorts.values.map { try? #require($0.count == 1 ? $0.first : nil) }
        #expect(lanePorts.count == laned.appPorts.count && lanePorts.allSatisfy { $0 != nil && $0 != laned.mainAppPort })
        #expect(Set(lanePorts).count == lanePorts.count, "two scenarios shared an app: \(laned.appPorts)")
        let laneIssuers = laned.issuers.values.flatMap { $0 }
        #expect(Set(laneIssuers).count == laned.issuers.count, "two scenarios shared a mock: \(laned.issuers)")
    }
}
