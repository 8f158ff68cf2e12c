import Essentials
import FoundationEssentials
import Glibc
import JSON

/// What `mockidp run --check` prints for a profile that loaded: how the app is reached, which
/// scenario families it can run, which scenarios are not applicable and what the profile would
/// need for them, and placeholders nobody fills. Decided from the profile's parsed capabilities
/// and each scenario's `requires`, the rule the runner skips by, so a new capability plugs in.
package struct ProfileCheck {
    package struct FamilyLine: Sendable, Equatable {
        package var family: String
        package var runnable: Int
        package var total: Int
        /// Missing capability → how many of this family's scenarios need it.
        package var missing: [String: Int]
    }

    package let profile: TargetProfile
    package let families: [FamilyLine]
    package let warnings: [String]
    package let runnableCount: Int
    package let totalCount: Int

    /// Filled by the runner itself; anything else must come from `--set`.
    static let runnerPlaceholders: Set<String> = ["mockidp", "app_port", "idp_base_url", "issuer", "jwks_url", "client_id", "api_key", "profile_dir"]

    /// Where a capability is declared, when its name is not the field's.
    static let capabilityFields: [String: String] = [
        "jwks_cache_ttl": "capabilities.jwks_cache_ttl_seconds", "code_flow": "callback.shape",
        "token_callback": "callback.shape", "login_route": "callback.login_path", "idp_timeout": "capabilities.idp_timeout_seconds",
        "resource_metadata": "resource_server.metadata_path",
        "id_token_role": "callback.token_role",
    ]

    package init(profile: TargetProfile, scenarios: [Scenario], placeholders: [String: String] = [:]) {
        self.profile = profile
        var lines: [String: FamilyLine] = [:]
        for scenario in scenarios {
            var line = lines[scenario.family] ?? FamilyLine(family: scenario.family, runnable: 0, total: 0, missing: [:])
            line.total += 1
            let missing = scenario.missingCapabilities(in: profile)
            if missing.isEmpty { line.runnable += 1 }
            for name in missing { line.missing[name, default: 0] += 1 }
            lines[scenario.family] = line
        }
        families = lines.values.sorted { $0.family < $1.family }
        runnableCount = families.reduce(0) { $0 + $1.runnable }
        totalCount = scenarios.count
        warnings = Self.placeholderWarnings(profile, known: Self.runnerPlaceholders.union(placeholders.keys)) + Self.schemaWarnings(profile)
    }

    /// Why a capability is missing, in the schema's words.
    package static func explain(capability: String) -> String {
        // A capability is declared under capabilities, or (login shapes, start options) at the top.
        let candidates = [capabilityFields[capability], "capabilities.\(capability)", capability].compactMap { $0 }
        guard let field = candidates.first(where: ProfileSchema.knows) else { return "the profile does not offer '\(capability)'" }
        let description = ProfileSchema.description(of: field).map { ": \($0)" } ?? ""
        return "declare \(field)\(description)"
    }

    private var laneLine: String {
        let which = profile.start?.restart == .scenario ? "every scenario (the app restarts for each)" : "each exclusive scenario"
        return "\(which) gets a fresh mock and app of its own, beside the shared pair (--lanes)"
    }

    package var report: String {
        var out: [String] = []
        out.append("\(profile.name) (\(profile.file)): a valid target profile")
        if let start = profile.start {
            out.append("  app:          started by mockidp: \(start.command.joined(separator: " "))")
            out.append("                ready when \(profile.baseURL)\(start.readyPath) answers (within \(start.timeoutSeconds) s)")
        } else {
            out.append("  app:          already running at \(profile.baseURL) (no start command)")
        }
        out.append("  lanes:        " + (profile.laneRefusal().map { "none: \($0)" } ?? laneLine))
        out.append("  capabilities: \(profile.capabilities.isEmpty ? "none" : profile.capabilities.map(\.rawValue).sorted().joined(separator: ", "))")
        out.append("")
        out.append("can run \(runnableCount) of \(totalCount) scenarios:")
        let width = (families.map(\.family.count).max() ?? 0) + 2
        for line in families {
            let name = line.family.padded(to: width)
            let verdict =
                line.runnable == line.total
                ? "all \(line.total)" : line.runnable == 0 ? "none of \(line.total) (not applicable)" : "\(line.runnable) of \(line.total)"
            out.append("  \(name)\(verdict)")
        }
        let needs = families.flatMap { line in line.missing.map { (capability: $0.key, family: line.family, count: $0.value) } }
        if !needs.isEmpty {
            out.append("")
            out.append("not applicable (reported as skipped, never as a pass; --strict fails the run on them):")
            for capability in Set(needs.map(\.capability)).sorted() {
                let uses = needs.filter { $0.capability == capability }.map { "\($0.family) \($0.count)" }.joined(separator: ", ")
                out.append("  needs \(capability) (\(uses))")
                out.append("    \(Self.explain(capability: capability))")
            }
        }
        if !warnings.isEmpty {
            out.append("")
            out.append("warnings:")
            for warning in warnings { out.append("  \(warning)") }
        }
        return out.joined(separator: "\n")
    }

    /// `{name}` in base_url, start.command and start.env that neither the runner nor `--set` fills:
    /// the app would receive the braces literally.
    static func placeholderWarnings(_ profile: TargetProfile, known: Set<String>) -> [String] {
        var places: [(String, String)] = [("base_url", profile.baseURL)]
        if let start = profile.start {
            places += start.command.enumerated().map { ("start.command[\($0.offset)]", $0.element) }
            places += start.environment.sorted { $0.key < $1.key }.map { ("start.env.\($0.key)", $0.value) }
        }
        var warnings: [String] = []
        for (field, text) in places {
            for name in placeholders(in: text) where !known.contains(name) {
                warnings.append(
                    "\(field): {\(name)} is not filled by mockidp (\(runnerPlaceholders.sorted().joined(separator: ", "))); give it with --set \(name)=VALUE"
                )
            }
        }
        return warnings
    }

    /// Names in `{name}` (letters, digits, `_`), the form the runner substitutes.
    static func placeholders(in text: String) -> [String] {
        var names: [String] = []
        var current: String?
        for character in text {
            if character == "{" {
                current = ""
            } else if character == "}", let name = current {
                if !name.isEmpty { names.append(name) }
                current = nil
            } else if current != nil {
                if character.isLetter || character.isNumber || character == "_" { current?.append(character) } else { current = nil }
            }
        }
        return names
    }

    /// A `$schema` an editor cannot follow, or one that differs from this mockidp's schema.
    static func schemaWarnings(_ profile: TargetProfile) -> [String] {
        guard let bytes = Builtin.contents(of: profile.file), let reference = (try? JSONValue.parse(bytes))?["$schema"]?.stringValue else {
            return []
        }
        if reference == ProfileSchema.id || Builtin.embeddedPath(profile.file) != nil || reference.contains("://") { return [] }
        let folder = Paths.parent(profile.file)
        let path = reference.hasPrefix("/") ? reference : Paths.join(folder, reference)
        guard let exported = FileManager.default.contents(atPath: path) else {
            return [
                "$schema: \(reference) is not found next to the profile, so editors show no field help; write it with: mockidp scenarios export DIR (or init --schema-dir DIR), or use \"\(ProfileSchema.id)\""
            ]
        }
        if Array(exported) != ProfileSchema.bytes {
            return [
                "$schema: \(reference) differs from this mockidp's profile schema (exported by another version?); refresh it with: mockidp scenarios export DIR --force"
            ]
        }
        return []
    }
}
