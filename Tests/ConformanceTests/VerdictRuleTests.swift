import Foundation
import Testing

@testable import Conformance

/// The one rule that turns how a scenario ended into its verdict.
@Suite struct VerdictRuleTests {
    static let scenario = Scenario(file: "f.json", id: "fam.case", family: "fam", title: "t", steps: [.mark("m")])
    static let exchange = Exchange(step: "callback r", method: "POST", url: "http://127.0.0.1/cb", requestHeaders: [], requestBody: "")

    func check(premise: Bool = false) -> Conformance.Expectation {
        Conformance.Expectation(subject: .journal(JournalCheck()), because: "why", step: "steps[1]", premise: premise)
    }

    func findings(failures: [String] = [], unreadable: [String] = [], premises: [String] = []) throws -> Findings {
        var findings = Findings()
        for failure in failures { try findings.record(check()) { failure } }
        for reason in unreadable { try findings.record(check()) { throw ScenarioStop.notApplicable(reason) } }
        for failure in premises { try findings.record(check(premise: true)) { failure } }
        try findings.record(check()) { nil }
        return findings
    }

    func result(_ ending: ScenarioEnding) -> ScenarioResult {
        ending.result(Self.scenario, seconds: 1.5, transcript: [Self.exchange]) { "app log" }
    }

    @Test func everyStepRanAndEveryCheckHeldIsAPass() throws {
        let passed = result(ScenarioEnding(started: true, findings: try findings()))
        #expect(passed.verdict == .pass && passed.findings.isEmpty && passed.reason == nil && passed.seconds == 1.5 && passed.transcript.count == 1)
        let failed = result(ScenarioEnding(started: true, findings: try findings(failures: ["r: expected 401, got 200"])))
        #expect(failed.verdict == .fail && failed.findings.map(\.message) == ["r: expected 401, got 200"] && failed.findings.first?.because == "why")
    }

    @Test func aCheckThatCouldNotBeReadDecidesOnlyWhenNothingFailed() throws {
        let unread = result(
            ScenarioEnding(started: true, findings: try findings(unreadable: ["no field", "no field"], premises: ["never redirected"])))
        #expect(unread.verdict == .notApplicable)
        #expect(unread.reason == "steps[1]: no field; steps[1]: the premise did not hold: never redirected", "reasons once each, in order")
        let failed = result(ScenarioEnding(started: true, findings: try findings(failures: ["bad"], unreadable: ["no field"])))
        #expect(failed.verdict == .fail && failed.reason == nil)
    }

    @Test func aStopDecidesByItsKind() throws {
        let unread = result(ScenarioEnding(started: true, stop: ScenarioStop.notApplicable("no hook")))
        #expect(unread.verdict == .notApplicable && unread.reason == "no hook" && unread.transcript.count == 1)
        let failedFirst = result(
            ScenarioEnding(started: true, stop: ScenarioStop.notApplicable("no hook"), findings: try findings(failures: ["bad"])))
        #expect(failedFirst.verdict == .fail, "a failure found before the part the app cannot do stands")
        let long = result(ScenarioEnding(started: true, stop: ScenarioStop.tooLong("needs 300 s"), findings: try findings(failures: ["bad"])))
        #expect(long.verdict == .skipped && long.reason == "needs 300 s" && long.findings.isEmpty)
        let harness = result(ScenarioEnding(started: true, stop: ScenarioStop.harness("no user 'x'"), findings: try findings(failures: ["bad"])))
        #expect(harness.verdict == .error && harness.reason == "no user 'x'" && harness.findings.count == 1)
    }

    @Test func anAppThatExitedMakesAnyRunAnError() throws {
        let exited = result(ScenarioEnding(started: true, stop: ScenarioStop.harness("connection refused"), appExited: true))
        #expect(exited.verdict == .error && exited.reason == "app unreachable: the app exited during the scenario (connection refused)\napp log")
        let quiet = result(ScenarioEnding(started: true, findings: try findings(failures: ["bad"]), appExited: true))
        #expect(
            quiet.verdict == .error && quiet.reason == "app unreachable: the app exited during the scenario\napp log" && quiet.findings.count == 1)
        let stopped = result(ScenarioEnding(started: true, stop: ScenarioStop.tooLong("needs 300 s"), appExited: true))
        #expect(stopped.verdict == .skipped, "a skip is decided before the app's state matters")
    }

    @Test func aScenarioThatNeverStartedHasNoTranscriptOrTime() {
        for (stop, verdict) in [
            (ScenarioStop.notApplicable("the profile offers no probe"), Verdict.notApplicable),
            (.tooLong("needs 300 s"), .skipped), (.harness("app unreachable: the app is not running"), .error),
        ] {
            let never = result(ScenarioEnding(started: false, stop: stop))
            #expect(never.verdict == verdict && never.reason == stop.description && never.seconds == 0 && never.transcript.isEmpty)
        }
    }
}

@Suite struct IndexedResultsTests {
    @Test func workersFillSlotsInAnyOrderAndTheReaderTakesThemInOrderOrAsTheyArrive() {
        let count = 16
        let results = IndexedResults<Int>(count: count)
        let threads = (0..<count).reversed().map { index in Thread { results.put(index, index * 10) } }
        for thread in threads { thread.start() }
        #expect((0..<count).map { results.wait($0) } == (0..<count).map { $0 * 10 })
        #expect(results.wait(3) == 30, "a second wait for the same slot returns at once")
        var arrived: [Int: Int] = [:]
        while arrived.count < count {
            for (index, value) in results.takeArrived() { arrived[index] = value }
        }
        #expect(arrived == Dictionary(uniqueKeysWithValues: (0..<count).map { ($0, $0 * 10) }))
        #expect(results.all.compactMap { $0 } == (0..<count).map { $0 * 10 })
    }
}
