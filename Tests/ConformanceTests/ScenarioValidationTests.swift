import Foundation
import JSON
import Testing

@testable import Conformance

/// Authoring mistakes are found when the scenario loads, naming file, step and field.
@Suite struct ScenarioValidationTests {
    func load(_ steps: String, id: String = "demo.case") -> ConfigError? {
        let text = #"{"id": "\#(id)", "title": "t", "steps": [\#(steps)]}"#
        do {
            _ = try ScenarioLoader.parse(try JSONValue.parse(Array(text.utf8)), file: "case.json")
            return nil
        } catch let error as ConfigError {
            return error
        } catch {
            return ConfigError(file: "?", field: "?", message: "\(error)")
        }
    }

    static let cases: [(steps: String, step: String, field: String, says: String)] = [
        (
            #"{"user": {"as": "u", "fresh": true}}, {"request": {"as": "r", "path": "/x/${usr}"}}"#, "steps[1]", "request.path",
            "'usr' is not bound by any step"
        ),
        (
            #"{"request": {"as": "r", "path": "/x/${u.id}"}}, {"user": {"as": "u", "fresh": true}}"#, "steps[0]", "request.path",
            "bound only by a later step (steps[1])"
        ),
        (#"{"callback": {"as": "c", "token": "tok"}}"#, "steps[0]", "callback.token", "token 'tok' is not bound"),
        (
            #"{"mint": {"as": "t", "user": "alice"}}, {"callback": {"as": "c", "token": "t"}}, {"expect": {"response": "c", "status": {"x": 1}}}"#,
            "steps[2]", "expect.status", "is not a status"
        ),
        (
            #"{"mint": {"as": "t", "user": "alice"}}, {"callback": {"as": "c", "token": "t"}}, {"expect": {"response": "cc", "status": 200}}"#,
            "steps[2]", "expect.response", "response 'cc' is not bound"
        ),
        (
            #"{"mint": {"as": "t", "user": "alice"}}, {"callback": {"as": "c", "token": "t"}}, {"expect": {"response": "c", "equals": 1}}"#,
            "steps[2]", "expect.equals", "applies to a field"
        ),
        (#"{"expect": {"journal": {"since": "m", "count": 0}}}"#, "steps[0]", "expect.journal.since", "mark 'm' is not bound"),
        (#"{"mark": "m"}, {"expect": {"journal": {"since": "m", "count": "lots"}}}"#, "steps[1]", "expect.journal.count", "whole number"),
        (
            #"{"mark": "m"}, {"expect": {"journal": {"count": {"max": 5}, "refetch_allowance": true}}}"#, "steps[1]",
            "expect.journal.refetch_allowance", "give since and count.max"
        ),
        (
            #"{"mark": "m"}, {"expect": {"journal": {"since": "m", "count": {"max": 5}, "refetch_allowance": 2}}}"#, "steps[1]",
            "expect.journal.refetch_allowance", "must be true"
        ),
        (
            #"{"mark": "m"}, {"expect": {"journal": {"since": "m", "session_of": 3, "count": 1}}}"#, "steps[1]", "expect.journal.session_of",
            "a token name"
        ),
        (
            #"{"mark": "m"}, {"expect": {"journal": {"since": "m", "session_of": "t", "count": 1}}}"#, "steps[1]", "expect.journal.session_of",
            "token 't' is not bound"
        ),
        (#"{"wait": {"until_expired": "t"}}"#, "steps[0]", "wait.until_expired", "token 't' is not bound"),
        (
            #"{"mint": {"as": "t", "user": "alice"}}, {"wait": {"until_expired": "t", "seconds": 1}}"#, "steps[1]", "wait.until_expired",
            "stands alone"
        ),
        (#"{"mint": {"as": "t", "user": "alice", "raw_payload": "{\"exp\": ${now+soon}}"}}"#, "steps[0]", "mint.raw_payload", "${now+N}"),
        (
            #"{"repeat": {"times": 2, "steps": [{"callback": {"as": "c", "token": "nope"}}]}}"#, "steps[0].repeat.steps[0]", "callback.token",
            "token 'nope'"
        ),
    ]

    @Test(arguments: 0..<cases.count)
    func mistakesAreFoundAtLoad(index: Int) throws {
        let (steps, step, field, says) = Self.cases[index]
        let error = try #require(load(steps), "\(steps) loaded")
        #expect(error.step == step && error.field == field, "\(error)")
        #expect(error.message.contains(says), "\(error)")
    }

    @Test func aCorrectScenarioLoads() {
        #expect(
            load(
                #"""
                {"user": {"as": "u", "fresh": true}}, {"mint": {"as": "t", "user": "u", "claims": {"x": "${u.email}", "y": "${alice.id}", "z": "${now+60}"}}},
                {"mark": "m"}, {"callback": {"as": "c", "token": "t"}}, {"callback": {"as": "d", "token": "${t}"}},
                {"expect": {"response": "c", "status": ["2xx", "!500"], "field": "/user/id", "not_null": true}},
                {"expect": {"any_of": [{"response": "d", "status": "4xx"}, {"same": ["c", "d"]}]}},
                {"expect": {"journal": {"since": "m", "count": {"min": 1}}}}
                """#) == nil)
    }

    @Test(arguments: ["Demo.case", "democase", "demo.", ".case", "demo.ca se", "demo_x.case"])
    func theIDPatternIsEnforced(id: String) throws {
        let error = try #require(load(#"{"mark": "m"}"#, id: id))
        #expect(error.field == "id" && error.message.contains("does not match"), "\(error)")
    }
}
