import Foundation
import Glibc
import JSON
import TestSupport
import Testing

@testable import Conformance

/// Issue 26, problem 1: nested `repeat`s, `parallel` counts and waits multiply; their totals
/// have ceilings checked at load, and a long scenario's transcript is bounded by bytes.
@Suite struct ScenarioBudgetTests {
    func load(_ steps: String, id: String = "demo.budget") -> ConfigError? {
        let text = #"{"id": "\#(id)", "title": "t", "steps": [\#(steps)]}"#
        do {
            _ = try ScenarioLoader.parse(try JSONValue.parse(Array(text.utf8)), file: "budget.json")
            return nil
        } catch let error as ConfigError {
            return error
        } catch {
            return ConfigError(file: "?", field: "?", message: "\(error)")
        }
    }

    static func nested(_ times: [Int], _ inner: String) -> String {
        times.reversed().reduce(inner) { #"{"repeat": {"times": \#($1), "steps": [\#($0)]}}"# }
    }

    static let overBudget: [(steps: String, step: String, field: String, says: String)] = [
        (
            nested([1000, 1000, 1000], #"{"mark": "m"}"#), "steps[0].repeat.steps[0].repeat.steps[0]", "repeat",
            "asks for 1001001001 steps in all, more than the 10000"
        ),
        (
            nested([1000], #"{"mint": {"as": "t", "user": "alice"}}, {"parallel": {"as": "p", "count": 256, "token": "t"}}"#),
            "steps[0].repeat.steps[1]", "parallel", "256000 requests in all, more than the 20000"
        ),
        (
            #"{"mark": "m"}, "# + nested([100], #"{"wait": {"seconds": 30}}"#), "steps[1].repeat.steps[0]", "wait",
            "3000 declared wait seconds in all, more than the 600"
        ),
        // Seven levels overflow Int64: the totals saturate instead of trapping.
        (
            nested([1000, 1000, 1000, 1000, 1000, 1000, 1000], #"{"mark": "m"}"#), "steps[0].repeat.steps[0].repeat.steps[0]", "repeat",
            "over 9223372036854775807 steps"
        ),
    ]

    @Test(arguments: 0..<overBudget.count)
    func workPastTheBudgetIsRefusedAtLoadNamingTheStep(index: Int) throws {
        let (steps, step, field, says) = Self.overBudget[index]
        let error = try #require(load(steps), "\(steps) loaded")
        #expect(error.step == step && error.field == field, "\(error)")
        #expect(error.message.contains("work budget") && error.message.contains(says), "\(error)")
    }

    @Test func workInsideTheBudgetLoads() {
        #expect(load(Self.nested([100, 50], #"{"mark": "m"}"#)) == nil)
        #expect(load(Self.nested([19], #"{"wait": {"seconds": 30}}"#)) == nil)
    }

    /// The ceilings leave the built-in suite a wide margin: no scenario reaches a fiftieth of any.
    @Test func everyBuiltInScenarioStaysWellInsideTheBudget() throws {
        let suite = try ScenarioSuite.load(directory: Builtin.suite)
        #expect(suite.count > 100)
        var most = (steps: Int64(0), requests: Int64(0), wait: 0.0)
        for scenario in suite {
            let budget = try ScenarioBudget.measure(scenario.steps, file: scenario.file)
            most = (max(most.steps, budget.steps), max(most.requests, budget.requests), max(most.wait, budget.waitSeconds))
        }
        #expect(most.steps * 50 <= ScenarioBudget.maxSteps, "\(most)")
        #expect(most.requests * 50 <= ScenarioBudget.maxRequests, "\(most)")
        #expect(most.wait * 50 <= ScenarioBudget.maxWaitSeconds, "\(most)")
        print("largest built-in figures: \(most)")
    }

    /// A scenario of many requests over loopback (the mock itself stands in for the app): the
    /// transcript keeps the first and the latest exchanges within its budget, and says how many
    /// it dropped in every report.
    @Test func aLongScenarioKeepsItsTranscriptWithinTheBudget() throws {
        let running = try RunningIdP()
        let profile = try TargetProfile.parse(try JSONValue.parse(#"{"base_url": "\#(running.base)", "callback": {"path": "/cb"}}"#), file: "p.json")
        let scenario = try ScenarioLoader.parse(
            try JSONValue.parse(
                #"""
                {"id": "demo.long", "title": "many requests", "steps": [
                  {"request": {"as": "first", "path": "/.well-known/openid-configuration?n=first"}},
                  {"repeat": {"times": 400, "steps": [{"request": {"as": "r", "path": "/.well-known/openid-configuration"}}]}},
                  {"request": {"as": "last", "path": "/.well-known/openid-configuration?n=last"}}]}
                """#), file: "long.json")
        let context = ScenarioContext(scenario: scenario, idp: running.idp, app: AppTarget(profile: profile, placeholders: [:]))
        let budget = 64 << 10
        context.wire.limitTranscript(to: budget)
        try StepExecutor(context: context).run(scenario.steps)
        #expect(context.bindings.responses["last"]?.status == 200)

        let transcript = context.wire.transcript
        let markers = transcript.filter { $0.dropped != nil }
        let marker = try #require(markers.first, "nothing was dropped from \(transcript.count) exchanges")
        #expect(markers.count == 1)
        let kept = transcript.filter { $0.dropped == nil }
        #expect(kept.count + (marker.dropped ?? 0) == 402, "every exchange is either kept or counted as dropped")
        #expect(kept.reduce(0) { $0 + $1.approximateBytes } <= budget)
        #expect(kept.first?.url.hasSuffix("n=first") == true && kept.last?.url.hasSuffix("n=last") == true)
        #expect(marker.step.contains("\(marker.dropped ?? 0) exchange(s)") && marker.step.contains("dropped"))

        let result = ScenarioEnding(started: true).result(scenario, seconds: 1, transcript: transcript) { "" }
        let json = JSONReporter.render(result).serializedString()
        #expect(json.contains("\"dropped_exchanges\":\(marker.dropped ?? 0)"), "\(json.prefix(300))")
        #expect(ConsoleReporter(color: false, trace: true).render(marker) == ["… \(marker.step)"])
        #expect(HTMLReporter.exchange(marker).contains("exchange(s)"))
    }

    /// Many small exchanges: the bytes kept stay under the budget however many come, and the
    /// dropped slots are released (the kept array does not grow with the scenario).
    @Test func theTranscriptStaysBoundedAcrossManyExchanges() {
        var transcript = Transcript(budget: 16 << 10)
        let body = [UInt8](repeating: 0x61, count: 700)
        for index in 0..<20_000 {
            transcript.append(
                Exchange(
                    step: "request r\(index)", method: "GET", url: "http://127.0.0.1:1/x", requestHeaders: [], requestBody: "",
                    status: 200, responseBody: body))
        }
        let exchanges = transcript.exchanges
        let kept = exchanges.filter { $0.dropped == nil }
        #expect(kept.reduce(0) { $0 + $1.approximateBytes } <= 16 << 10)
        #expect(kept.first?.step == "request r0" && kept.last?.step == "request r19999")
        #expect(transcript.droppedCount == 20_000 - kept.count)
        #expect(exchanges.count < 40)
    }
}

/// Issue 26, problems 1 and 7 from the command line: each file is refused with exit 2 naming
/// the file, the step and the field before anything starts (no app, no run).
@Suite(.enabled(if: BuiltTool.path != nil, "the mockidp executable must be built (swift build)"))
struct ScenarioLoadErrorCLITests {
    func run(_ scenario: String) throws -> (file: String, result: BuiltTool.Result) {
        let file = try BuiltTool.temporaryFile("load-error.json", scenario)
        defer { try? FileManager.default.removeItem(at: file) }
        return (file.path, try BuiltTool.run(["run", "--scenario", file.path, "--no-preflight"]))
    }

    @Test func threeNestedRepeatsOfAThousandExitTwoNamingTheStepAndTheBudget() throws {
        let steps = ScenarioBudgetTests.nested([1000, 1000, 1000], #"{"mark": "m"}"#)
        let (file, result) = try run(#"{"id": "demo.nested", "title": "10^9 iterations", "steps": [\#(steps)]}"#)
        #expect(result.status == 2, "\(result.stdout)\(result.stderr)")
        let location = "\(file): steps[0].repeat.steps[0].repeat.steps[0]: repeat: "
        #expect(result.stderr.contains(location + "exceeds the scenario work budget"), "\(result.stderr)")
        #expect(result.stderr.contains("more than the 10000 one scenario may"), "\(result.stderr)")
        #expect(!result.stdout.contains("scenario(s) ×"), "nothing started: \(result.stdout)")
    }

    static let injections: [(request: String, field: String)] = [
        (#"{"as": "r", "method": "GET / HTTP/1.1\r\nX-Injected: 1\r\nX:", "path": "/x"}"#, "request.method"),
        (#"{"as": "r", "method": "GET\n", "path": "/x"}"#, "request.method"),
        (#"{"as": "r", "path": "/x HTTP/1.1\r\nX-Injected: 1"}"#, "request.path"),
        (#"{"as": "r", "path": "/x\u0000y"}"#, "request.path"),
        (#"{"as": "r", "path": "/x", "token": "eyJ.eyJ.sig\r\nX-Injected: 1"}"#, "request.token"),
    ]

    @Test(arguments: 0..<injections.count)
    func aControlCharacterInARequestExitsTwo(index: Int) throws {
        let (request, field) = Self.injections[index]
        let (file, result) = try run(#"{"id": "demo.inject", "title": "header injection", "steps": [{"mark": "m"}, {"request": \#(request)}]}"#)
        #expect(result.status == 2, "\(result.stdout)\(result.stderr)")
        #expect(result.stderr.contains("\(file): steps[1]: \(field): "), "\(result.stderr)")
    }

    static let unbound: [(request: String, field: String)] = [
        (#"{"as": "r", "method": "POST", "path": "/x", "body": {"a": ["${nobody}"]}}"#, "request.body.a[0]"),
        (#"{"as": "r", "path": "/x", "token": "${nobody}"}"#, "request.token"),
        // A name with a field may be a fixture user: checked against the fixtures before the run.
        (#"{"as": "r", "path": "/users/${nobody.id}"}"#, "request.path"),
    ]

    @Test(arguments: 0..<unbound.count)
    func anUnboundReferenceInARequestExitsTwo(index: Int) throws {
        let (request, field) = Self.unbound[index]
        let (file, result) = try run(#"{"id": "demo.unbound", "title": "unbound", "steps": [{"mark": "m"}, {"request": \#(request)}]}"#)
        #expect(result.status == 2, "\(result.stdout)\(result.stderr)")
        #expect(result.stderr.contains("\(file): steps[1]: \(field): ${nobody"), "\(result.stderr)")
        #expect(result.stderr.contains("'nobody' is not bound by any step"), "\(result.stderr)")
    }

    @Test func anOverLongIDExitsTwo() throws {
        let id = "demo." + String(repeating: "a", count: 300)
        let (file, result) = try run(#"{"id": "\#(id)", "title": "long id", "steps": [{"mark": "m"}]}"#)
        #expect(result.status == 2, "\(result.stdout)\(result.stderr)")
        #expect(result.stderr.contains("\(file): id: is 305 bytes long, more than the 200"), "\(result.stderr)")
    }
}
