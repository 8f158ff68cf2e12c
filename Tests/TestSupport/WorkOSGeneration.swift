import Foundation

/// A WorkOS Python SDK generation the interop tests check, each in its own virtualenv at the repo
/// root (`.venv-workos5`, …) that `.ci/run` builds from `Tests/interop/requirements-workosN.txt`.
package enum WorkOSGeneration: Int, CaseIterable, Sendable, CustomStringConvertible {
    case v5 = 5
    case v6 = 6
    case v8 = 8
    case v10 = 10

    /// The pinned version (the newest of 5.x, then 6.2.0, 8.3.0 and the newest release).
    package var version: String {
        switch self {
        case .v5: return "5.46.0"
        case .v6: return "6.2.0"
        case .v8: return "8.3.0"
        case .v10: return "10.8.0"
        }
    }

    package var virtualenv: String { environment.name }
    package var description: String { "workos \(version) (\(virtualenv))" }
    /// The generation's virtualenv, built by `.ci/run` from `Tests/interop/requirements-workosN.txt`.
    package var environment: Virtualenv { Virtualenv(".venv-workos\(rawValue)", requirements: "requirements-workos\(rawValue).txt") }

    /// The generation's python, or nil when its virtualenv is missing.
    package var python: String? { environment.python }
    package var enabled: Bool { environment.enabled }
    package var skipReason: String { environment.skipReason }
    package func requirePython() throws -> String { try environment.requirePython() }
}
