import Essentials
import FoundationEssentials
import Glibc

extension ScenarioSuite {
    /// The scenarios of `--scenarios builtin,./auth-scenarios`: a comma-separated list of
    /// `builtin` (the suite compiled into the binary) and folders on disk, loaded in order. A
    /// scenario whose id an earlier source already has replaces it, and `notes` says so, so a
    /// team can adapt one built-in scenario without copying the rest.
    package static func load(sources list: String) throws(ConfigError) -> (scenarios: [Scenario], notes: [String]) {
        let sources = list.split(separator: ",", omittingEmptySubsequences: true).map { $0.trimmingWhitespace() }
        guard !sources.isEmpty else { throw ConfigError(file: list, field: "", message: "name at least one scenario source: builtin, or a folder") }
        var byID: [String: Scenario] = [:]
        var notes: [String] = []
        for source in sources {
            let folder = source == Builtin.sourceName ? Builtin.suite : source
            for scenario in try load(directory: folder) {
                if let earlier = byID[scenario.id] { notes.append("\(scenario.file) replaces \(earlier.file) (same id \(scenario.id))") }
                byID[scenario.id] = scenario
            }
        }
        return (byID.values.sorted { ($0.family, $0.id) < ($1.family, $1.id) }, notes)
    }
}

extension Builtin {
    /// What `--scenarios` calls the embedded suite.
    package static let sourceName = "builtin"
}

extension Scenario {
    /// The capabilities this scenario requires that `profile` does not offer: the scenario is not
    /// applicable to that app (the runner's skip rule, shared with `run --check`).
    package func missingCapabilities(in profile: TargetProfile) -> [String] {
        requires.filter { !profile.capabilities.contains($0) }.map(\.rawValue)
    }
}
