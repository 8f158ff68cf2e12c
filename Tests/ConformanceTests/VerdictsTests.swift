import Foundation
import JSON
import TestSupport
import Testing

@testable import Conformance

/// --jobs, reproduce commands and readable (cut) failures, through the real `mockidp run`
/// against the reference app.
@Suite(.enabled(if: BuiltTool.path != nil, "the mockidp executable must be built (swift build)"))
struct VerdictsTests {
    static func verdicts(_ arguments: [String]) throws -> [String: String] {
        let json = FileManager.default.temporaryDirectory.appendingPathComponent("mockidp-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: json) }
        let result = try BuiltTool.run(["run", "--json", json.path] + arguments)
        #expect(result.status == 0 || result.status == 1, "\(result.stdout)\n\(result.stderr)")
        let report = try JSONValue.parse(Array(try Data(contentsOf: json)))
        var verdicts: [String: String] = [:]
        for scenario in report["scenarios"]?.arrayValue ?? [] {
            verdicts[scenario["id"]?.stringValue ?? "?"] = scenario["verdict"]?.stringValue
        }
        return verdicts
    }

    /// The same suite, one scenario at a time and eight at a time, against the correct app and
    /// against bugs that only some scenarios catch: the same verdict for every scenario. (Not a
    /// race bug: whether a race it loses also shows in scenarios that do not name it depends on
    /// timing by nature, with any number of jobs.)
    @Test(arguments: [[], ["--app-arg=--bug=kid-absent-skips-signature"], ["--app-arg=--bug=issuer-not-checked"], ["-t", "reference-web-app"]])
    func verdictsDoNotDependOnJobs(_ extra: [String]) throws {
        let one = try Self.verdicts(extra + ["--jobs", "1"])
        let eight = try Self.verdicts(extra + ["--jobs", "8"])
        #expect(one.count >= 100)
        #expect(one == eight, "differ: \(one.filter { eight[$0.key] != $0.value }.keys.sorted())")
        if !extra.contains(where: { $0.hasPrefix("--app-arg") }) {
            #expect(one.values.allSatisfy { $0 == "pass" || $0 == "not_applicable" })
        } else {
            #expect(one.values.contains("fail"))
        }
    }

    /// The flood bound grows with the refetch windows that pass during the flood (a correct app
    /// may refetch once per expired cache or passed cooldown), and still bites an app that
    /// refetches on every unknown kid.
    @Test func theFloodBoundAllowsARefetchPerWindowAndNoMore() throws {
        let reference = Interop.root.appendingPathComponent("scenarios/targets/reference-app.json")
        let text = try String(contentsOf: reference, encoding: .utf8)
        let noCooldown = text.replacingOccurrences(of: #""--jwks-cooldown-ms", "200""#, with: #""--jwks-cooldown-ms", "0""#)
            .replacingOccurrences(of: #""jwks_refetch_cooldown_seconds": 0.2"#, with: #""jwks_refetch_cooldown_seconds": 0"#)
        #expect(noCooldown != text && noCooldown.contains(#""--jwks-cooldown-ms", "0""#))
        let profile = FileManager.default.temporaryDirectory.appendingPathComponent("mockidp-flood-\(UUID().uuidString).json")
        try noCooldown.write(to: profile, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: profile) }
        let filter = ["-f", "rotation.unknown-kid-flood-bounded"]
        #expect(try Self.verdicts(filter)["rotation.unknown-kid-flood-bounded"] == "pass")
        let result = try BuiltTool.run(["run", "-t", profile.path] + filter)
        #expect(result.status == 1, "\(result.stdout)\n\(result.stderr)")
        #expect(result.stdout.contains("requests the app sent the IdP") && result.stdout.contains("expected at most"), "\(result.stdout)")
    }

    @Test func aFailureEndsWithACommandThatReRunsOnlyIt() throws {
        let junit = FileManager.default.temporaryDirectory.appendingPathComponent("mockidp-\(UUID().uuidString).xml")
        let json = FileManager.default.temporaryDirectory.appendingPathComponent("mockidp-\(UUID().uuidString).json")
        defer {
            try? FileManager.default.removeItem(at: junit)
            try? FileManager.default.removeItem(at: json)
        }
        let result = try BuiltTool.run([
            "run", "--filter", "token.forgery.bad-signature", "--app-arg=--bug=kid-absent-skips-signature", "--seed", "42",
            "--set", "unused=a b", "--junit", junit.path, "--json", json.path,
        ])
        #expect(result.status == 1)
        let command =
            "mockidp run --set 'unused=a b' --app-arg=--bug=kid-absent-skips-signature --filter token.forgery.bad-signature.kid-absent --jobs 1 --seed 42"
        #expect(result.stdout.contains("   reproduce: \(command)"), "\(result.stdout)")
        #expect(try String(contentsOf: junit, encoding: .utf8).contains("reproduce: \(command.replacingOccurrences(of: "'", with: "&apos;"))"))
        let report = try JSONValue.parse(Array(try Data(contentsOf: json)))
        let failed = report["scenarios"]?.arrayValue?.first { $0["verdict"] == "fail" }
        #expect(failed?["reproduce"]?.stringValue == command)
        #expect(report["scenarios"]?.arrayValue?.first { $0["verdict"] == "pass" }?["reproduce"] == .null)

        // The command re-runs exactly that scenario, and it fails the same way.
        let words = [
            "run", "--app-arg=--bug=kid-absent-skips-signature", "--filter", "token.forgery.bad-signature.kid-absent", "--jobs", "1", "--seed", "42",
        ]
        let again = try BuiltTool.run(words)
        #expect(again.status == 1)
        #expect(again.stdout.contains("1 scenario(s)") && again.stdout.contains("0 passed, 1 failed"), "\(again.stdout)")
    }

    @Test func longTokensAndBodiesAreCutInTheConsoleButKeptInJSONAndTrace() throws {
        let scenario = try BuiltTool.temporaryFile(
            "big.json",
            #"""
            {"id": "demo.big-token", "title": "A big token the app must refuse (it does not)",
             "steps": [{"user": {"as": "u", "fresh": true}},
                       {"mint": {"as": "big", "user": "u", "filler": {"claim": "padding", "bytes": 24576}}},
                       {"callback": {"as": "r", "token": "big"}},
                       {"expect": {"response": "r", "status": 401}}]}
            """#)
        let json = FileManager.default.temporaryDirectory.appendingPathComponent("mockidp-\(UUID().uuidString).json")
        defer {
            try? FileManager.default.removeItem(at: scenario)
            try? FileManager.default.removeItem(at: json)
        }
        let plain = try BuiltTool.run(["run", "--scenario", scenario.path, "--json", json.path])
        #expect(plain.status == 1)
        let claimsLine = plain.stdout.split(separator: "\n").first { $0.contains("token claims") } ?? ""
        #expect(claimsLine.utf8.count < 600, "not cut: \(claimsLine.utf8.count) bytes")
        #expect(claimsLine.contains(" bytes") && claimsLine.contains("… 24,"), "\(claimsLine)")
        let report = try JSONValue.parse(Array(try Data(contentsOf: json)))
        let exchange = report["scenarios"]?[0]?["transcript"]?[0]
        #expect((exchange?["token_text"]?.stringValue?.utf8.count ?? 0) > 24576 * 4 / 3)
        #expect(exchange?["token"]?["payload"]?["padding"]?.stringValue?.utf8.count == 24576)

        let traced = try BuiltTool.run(["run", "--scenario", scenario.path, "--trace"])
        #expect(traced.stdout.contains(String(repeating: "x", count: 24576)))
    }

    /// A correct app that makes every other allowed choice (Tests/interop/pyjwt_bearer_app.py:
    /// PyJWT, its own field names, accepts the 24 KiB token, refuses replays, 503 while the
    /// JWKS is down, last duplicate sub) fails nothing: what it cannot be judged on (it has no
    /// organizations, no hooks) is not applicable, never a failure.
    @Test(.enabled(if: Interop.python != nil, "needs .venv with PyJWT (created by .ci/run)"))
    func aCorrectAppThatChoosesDifferentlyPasses() throws {
        let python = try #require(Interop.python)
        let app = Interop.root.appendingPathComponent("Tests/interop/pyjwt_bearer_app.py").path
        let profile = try BuiltTool.temporaryFile(
            "pyjwt.json",
            """
            {"name": "pyjwt-bearer-app", "base_url": "http://127.0.0.1:{app_port}",
             "start": {"command": ["\(python)", "\(app)", "{app_port}", "{issuer}", "{jwks_url}", "1", "0.5"], "ready": {"path": "/", "timeout_seconds": 30}},
             "callback": {"method": "POST", "path": "/login"},
             "response": {"workspace_id": "/account/ws", "member_id": "/account/member", "user_id": "/account/uid", "idp_user_id": "/sub", "api_key_secret": "/key"},
             "capabilities": {"jwks_cache_ttl_seconds": 1, "jwks_refetch_cooldown_seconds": 0.5}}
            """)
        defer { try? FileManager.default.removeItem(at: profile) }
        let verdicts = try Self.verdicts(["--target", profile.path])
        let failed = verdicts.filter { $0.value == "fail" || $0.value == "error" }.keys.sorted()
        #expect(failed.isEmpty, "false alarms: \(failed)")
        for id in [
            "token.oversized", "rotation.jwks-outage-survived", "token.duplicate-sub", "replay.three-times",
            "email.user-id-mismatch-rejected", "concurrency.distinct-users-8", "token.forgery.alg-none-lower.kid-absent",
        ] {
            #expect(verdicts[id] == "pass", "\(id): \(verdicts[id] ?? "missing")")
        }
        #expect(verdicts.filter { $0.key.hasPrefix("token.forgery.") && $0.value == "pass" }.count == 88)
    }

    @Test func clippingCountsBytesAndKeepsCharactersWhole() {
        #expect(Clipped.text("short") == "short")
        let long = String(repeating: "é", count: 300)  // 600 bytes
        let cut = Clipped.text(long)
        #expect(cut.hasSuffix("… 600 bytes"))
        #expect(cut.hasPrefix(String(repeating: "é", count: 200)))
        #expect(Clipped.grouped(24577) == "24,577" && Clipped.grouped(1_234_567) == "1,234,567" && Clipped.grouped(999) == "999")
        #expect(
            Reproduction.quoted("--app-arg=--bug=x") == "--app-arg=--bug=x" && Reproduction.quoted("a b") == "'a b'"
                && Reproduction.quoted("it's") == "'it'\\''s'")
    }
}
