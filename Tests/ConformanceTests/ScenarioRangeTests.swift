import Foundation
import JSON
import Testing
import TestSupport
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
    ]

    @Test(arguments: 0..<cases.count)
    func outOfRangeValueExitsTwoNamingStepAndField(index: Int) throws {
        let (step, field) = Self.cases[index]
        let file = try BuiltTool.temporaryFile("range.json", """
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
        let profile = try BuiltTool.temporaryFile("profile.json", #"""
        {"name": "x", "base_url": "http://127.0.0.1:1", "callback": {"path": "/cb"},
         "capabilities": {"jwks_cache_ttl_seconds": -5}}
        """#)
        defer { try? FileManager.default.removeItem(at: profile) }
        let result = try BuiltTool.run(["run", "--target", profile.path, "--list"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("\(profile.path): capabilities.jwks_cache_ttl_seconds: "), "\(result.stderr)")
    }
}
