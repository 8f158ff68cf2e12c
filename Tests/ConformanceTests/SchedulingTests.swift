import Foundation
import JSON
import Testing

@testable import Conformance

/// Which scenarios may share the mock and the app with others: a wait for a token's expiry
/// concerns that token only; a wait that may be for the app's caches, or a journal count other
/// scenarios could reach, runs alone.
@Suite struct SchedulingTests {
    func scenario(_ steps: String) throws -> Scenario {
        let text = """
            {"id": "demo.case", "family": "demo", "title": "t", "verdict": {"fails_when": "f", "passes_when": "p"},
             "steps": [{"user": {"as": "u", "fresh": true}}, {"mint": {"as": "t", "user": "u", "expires_in": 2}}, {"callback": {"as": "r", "token": "t"}}, {"mark": "m"}, \(steps)]}
            """
        return try ScenarioLoader.parse(try JSONValue.parse(Array(text.utf8)), file: "demo.json")
    }

    @Test func aLeewayWaitSharesAndOtherWaitsRunAlone() throws {
        #expect(try scenario(#"{"wait": {"leeway_plus": 3}}"#).exclusiveReason == nil)
        #expect(try scenario(#"{"wait": {"leeway_plus": 3}}"#).waits)
        #expect(try scenario(#"{"wait": {"until_expired": "t"}}"#).exclusiveReason == nil)
        #expect(try scenario(#"{"wait": {"until_expired": "t"}}"#).waits)
        #expect(try scenario(#"{"wait": {"seconds": 1}}"#).exclusiveReason == "waits on the app's caches")
        #expect(try scenario(#"{"wait": {"jwks_ttl_plus": 0.1}}"#).exclusiveReason == "waits on the app's caches")
        #expect(try scenario(#"{"wait": {"cooldown_plus": 0.1, "leeway_plus": 1}}"#).exclusiveReason == "waits on the app's caches")
        #expect(try !scenario(#"{"expect": {"response": "r", "status": 200}}"#).waits)
    }

    /// A 60 s TTL is waited out in full (within --max-wait), not cut to a scenario's own 30 s
    /// cap: an app that still uses its cached keys at 30 s is right to.
    @Test func aDeclaredTTLIsWaitedOutInFull() throws {
        var profile = try TargetProfile.parse(
            .object([
                "name": "p", "base_url": "http://127.0.0.1:1", "callback": ["path": "/cb"],
                "capabilities": ["jwks_cache_ttl_seconds": 60],
            ]), file: "p.json")
        let total = try StepExecutor.waitSeconds(seconds: nil, ttlPlus: 0.1, cooldownPlus: nil, profile: profile, maxWait: 120)
        #expect(total == 60.1)
        #expect(StepExecutor.sleepSeconds(total) == 60.1)
        profile.jwksCacheTTLSeconds = 200
        #expect(
            performing: { try StepExecutor.waitSeconds(seconds: nil, ttlPlus: 0.1, cooldownPlus: nil, profile: profile, maxWait: 120) },
            throws: { if case ScenarioStop.tooLong = $0 { true } else { false } })
    }

    @Test func aJournalCountOfItsOwnSessionShares() throws {
        #expect(
            try scenario(
                #"{"expect": {"journal": {"path_prefix": "/user_management/authenticate", "session_of": "t", "since": "m", "count": {"min": 1}}}}"#
            ).exclusiveReason == nil)
        #expect(
            try scenario(#"{"expect": {"journal": {"path_prefix": "/user_management/authenticate", "since": "m", "count": {"min": 1}}}}"#)
                .exclusiveReason
                == "counts requests in the shared journal")
    }

    @Test func asleepAScenarioGivesItsJobSlotUp() throws {
        let slots = JobSlots(1)
        slots.acquire()
        // The one slot is held; a sleeper releases it, so another worker gets it at once.
        let acquired = DispatchSemaphore(value: 0)
        Thread {
            slots.acquire()
            acquired.signal()
            slots.release()
        }.start()
        #expect(acquired.wait(timeout: .now() + 0.2) == .timedOut)
        slots.release()
        #expect(acquired.wait(timeout: .now() + 10) == .success)
        slots.acquire()
        slots.release()
    }
}
