import FoundationEssentials
import Glibc

/// Finds, filters and shards scenario files.
package enum ScenarioSuite {
    /// Every `*.json` below `directory` (or `builtin:suite`), parsed; errors name the file, step and field.
    package static func load(directory: String) throws(ConfigError) -> [Scenario] {
        guard let files = Builtin.files(in: directory, suffix: ".json") else {
            throw ConfigError(file: directory, field: "", message: "no such scenario folder")
        }
        var scenarios: [Scenario] = []
        var seen: [String: String] = [:]
        for file in files.sorted() {
            for scenario in try ScenarioLoader.loadAll(file: file) {
                if let other = seen[scenario.id] {
                    throw ConfigError(file: file, field: "id", message: "'\(scenario.id)' is also the id of \(other)")
                }
                seen[scenario.id] = file
                scenarios.append(scenario)
            }
        }
        return scenarios.sorted { ($0.family, $0.id) < ($1.family, $1.id) }
    }

    /// `pattern` matches an id, family or file by substring, or by glob with `*`; a pattern that
    /// is exactly a scenario's id selects only that scenario (what a reproduce command uses).
    package static func filter(_ scenarios: [Scenario], pattern: String?) -> [Scenario] {
        guard let pattern, !pattern.isEmpty else { return scenarios }
        let exact = scenarios.filter { $0.id == pattern }
        if !exact.isEmpty { return exact }
        return scenarios.filter { scenario in
            [scenario.id, scenario.family, scenario.file].contains { (text: String) -> Bool in
                pattern.contains("*") ? fnmatch(pattern, text, 0) == 0 : text.contains(pattern)
            }
        }
    }

    /// Shard `index` of `count` (1-based), by position in the sorted list, so a CI matrix
    /// covers every scenario exactly once.
    package static func shard(_ scenarios: [Scenario], index: Int, count: Int) -> [Scenario] {
        scenarios.enumerated().filter { $0.offset % count == index - 1 }.map(\.element)
    }
}
