import Foundation
import JSON
import TestSupport
import Testing

@testable import Conformance

/// The values that crash-tested the mock, written into scenario files: each is refused at load
/// time with exit 2 naming the file, the step and the field, before anything runs.
@Suite(.enabled(if: BuiltTool.path != nil, "the mockidp executable must be built (swift build)"))
struct ScenarioRangeTests {
    static let cases: [(step: String, field: String)] = [
        (#"{"mint": {"as": "t", "user": "alice", "expires_in": 9223372036854775807}}"#, "mint.expires_in"),
        (#"{"mint": {"as": "t", "user": "alice", "not_before_in": -9223372036854775808}}"#, "mint.not_before_in"),
        (#"{"mint": {"as": "t", "user": "alice", "issued_at_offset": 10000000000000000}}"#, "mint.issued_at_offset"),
        (#"{"mint": {"as": "t", "user": "alice", "expires_in": "soon"}}"#, "mint.expires_in"),
        (#"{"clock": {"advance": 9223372036854775807}}"#, "clock.advance"),
        (#"{"clock": {"advance": 10000000000000000}}"#, "clock.advance"),
        (#"{"idp_fault": {"path": "/x", "latency_ms": 9223372036854775807}}"#, "idp_fault.latency_ms"),
        (#"{"idp_fault": {"path": "/x", "status": 1000}}"#, "idp_fault.status"),
        (#"{"wait": {"seconds": -1}}"#, "wait.seconds"),
        (#"{"wait": {"jwks_ttl_plus": 1e300}}"#, "wait.jwks_ttl_plus"),
        (#"{"app_fault": {"point": "api_key.create", "times": 0}}"#, "app_fault.times"),
        (#"{"app_fault": {"point": "api_key.create", "times": 9223372036854775807}}"#, "app_fault.times"),
    ]

    @Test(arguments: 0..<cases.count)
    func outOfRangeValueExitsTwoNamingStepAndField(index: Int) throws {
        let (step, field) = Self.cases[index]
        let file = try BuiltTool.temporaryFile(
            "range.json",
            """
            {"id": "demo.range", "title": "Out of range on purpose",
             "steps": [{"mark": "start"}, \(step)]}
            """)
        defer { try? FileManager.default.removeItem(at: file) }
        let result = try BuiltTool.run(["run", "--scenario", file.path])
        #expect(result.status == 2, "\(result.stdout)\(result.stderr)")
        #expect(result.stderr.contains("\(file.path): steps[1]: \(field): "), "\(result.stderr)")
        #expect(result.stderr.contains(" to "), "the message gives the range: \(result.stderr)")
    }

    @Test func outOfRangeProfileValueExitsTwoNamingTheField() throws {
        let profile = try BuiltTool.temporaryFile(
            "profile.json",
            #"""
            {"name": "x", "base_url": "http://127.0.0.1:1", "callback": {"path": "/cb"},
             "capabilities": {"jwks_cache_ttl_seconds": -5}}
            """#)
        defer { try? FileManager.default.removeItem(at: profile) }
        let result = try BuiltTool.run(["run", "--target", profile.path, "--list"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("\(profile.path): capabilities.jwks_cache_ttl_seconds: "), "\(result.stderr)")
    }
}

/// Profile mistakes are exit 2 at load naming the field, not "app unreachable" after the
/// readiness timeout; nothing in a profile can add a header line to the runner's requests.
@Suite struct ProfileLoadErrorTests {
    static let base = #""base_url": "http://127.0.0.1:{app_port}", "callback": {"path": "/cb"}"#

    static let cases: [(json: String, field: String)] = [
        (#"{"base_url": "http://10.1.2.3:8080", "callback": {"path": "/cb"}}"#, "base_url"),
        (#"{"base_url": "http://app.example.com", "callback": {"path": "/cb"}}"#, "base_url"),
        (#"{"base_url": "http://user:pw@127.0.0.1:3000", "callback": {"path": "/cb"}}"#, "base_url"),
        (#"{"base_url": "http://127.0.0.1:3000/api", "callback": {"path": "/cb"}}"#, "base_url"),
        (#"{"base_url": "http://[::1]:3000", "callback": {"path": "/cb"}}"#, "base_url"),
        (#"{\#(base), "start": {"command": ["app"], "ready": {"path": "http://127.0.0.1:3000/health"}}}"#, "start.ready.path"),
        (#"{\#(base), "start": {"command": ["app"], "ready": {"path": "health"}}}"#, "start.ready.path"),
        (#"{"base_url": "http://127.0.0.1:1", "callback": {"path": "cb"}}"#, "callback.path"),
        (#"{"base_url": "http://127.0.0.1:1", "callback": {"path": "/cb", "method": "PO ST"}}"#, "callback.method"),
        (#"{"base_url": "http://127.0.0.1:1", "callback": {"path": "/cb", "method": "POST\r\nX-Injected: 1"}}"#, "callback.method"),
        (#"{"base_url": "http://127.0.0.1:1", "callback": {"path": "/cb\r\nX-Injected: 1"}}"#, "callback.path"),
        (#"{\#(base), "start": {"command": ["app"], "env": {"A=B": "x"}}}"#, "start.env"),
        (#"{\#(base), "start": {"command": ["app"], "env": {"": "x"}}}"#, "start.env"),
        (#"{\#(base), "probe": {"path": "/me", "headers": {"Accept": "a\r\nX-Injected: 1"}}}"#, "probe.headers.Accept"),
        (#"{\#(base), "probe": {"path": "/me", "headers": {"Bad Name": "x"}}}"#, "probe.headers"),
        (#"{\#(base), "logout": {"method": "GET\n", "path": "/logout"}}"#, "logout.method"),
        (#"{\#(base), "capabilities": {"reset": {"path": "/_test/reset\n"}}}"#, "capabilities.reset.path"),
    ]

    @Test(arguments: cases.indices) func aBadProfileIsRefusedAtLoadNamingTheField(_ index: Int) throws {
        let (json, field) = Self.cases[index]
        let value = try JSONValue.parse(Array(json.utf8))
        do {
            _ = try TargetProfile.parse(value, file: "p.json")
            Issue.record("accepted: \(json)")
        } catch {
            #expect(error.field == field, "\(error)")
        }
    }

    @Test func correctProfilesStillLoad() throws {
        let base = Self.base
        for json in [
            #"{\#(base)}"#, #"{"base_url": "http://localhost:3000/", "callback": {"path": "/cb"}}"#,
            #"{"base_url": "http://{app_host}:{app_port}", "callback": {"path": "/cb"}}"#,
            #"{\#(base), "probe": {"path": "/_test/introspect?idp_user_id={idp_user_id}", "headers": {"Accept": "application/json"}}}"#,
        ] {
            _ = try TargetProfile.parse(try JSONValue.parse(Array(json.utf8)), file: "p.json")
        }
        for name in ["reference-app", "reference-web-app"] {
            _ = try TargetProfile.load(file: Interop.root.appendingPathComponent("scenarios/targets/\(name).json").path)
        }
    }

    @Test(.enabled(if: BuiltTool.path != nil)) func aRemoteBaseURLExitsTwoAtLoad() throws {
        let json = #"{"name": "x", "base_url": "http://10.1.2.3:8080", "callback": {"path": "/cb"}, "start": {"command": ["true"]}}"#
        let profile = try BuiltTool.temporaryFile("profile.json", json)
        defer { try? FileManager.default.removeItem(at: profile) }
        let result = try BuiltTool.run(["run", "--target", profile.path, "--filter", "token.wrong-issuer"])
        #expect(result.status == 2, "\(result.stdout)\(result.stderr)")
        #expect(result.stderr.contains("\(profile.path): base_url: host '10.1.2.3' is not loopback"), "\(result.stderr)")
    }
}
