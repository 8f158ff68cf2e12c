import JSON

@testable import Conformance

/// Scenario text for parsing tests: the loader's own entry point, with a JSON error reported as the
/// loader reports a broken file.
enum ScenarioText {
    static func parse(_ text: String) throws(ConfigError) -> Scenario {
        let value: JSONValue
        do { value = try JSONValue.parse(text) } catch { throw ConfigError(file: "t.json", field: "", message: "\(error)") }
        return try ScenarioLoader.parse(value, file: "t.json")
    }

    /// `steps` (a JSON array) after a fresh user `u` and a token `t` minted for them.
    static func afterALogin(_ steps: String) throws(ConfigError) -> Scenario {
        let bound = #"[{"user": {"as": "u", "fresh": true}}, {"mint": {"as": "t", "user": "u"}}, "#
        return try parse(#"{"id": "t.x", "title": "t", "steps": "# + bound + steps.dropFirst() + "}")
    }
}
