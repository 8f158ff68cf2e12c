import Foundation

/// A WorkOS Python SDK generation the interop tests check, each in its own virtualenv at the repo
/// root (`.venv-workos5`, …) that `.ci/run` builds from `Tests/interop/requirements-workosN.txt`.
package enum WorkOSGeneration: Int, CaseIterable, Sendable, CustomStringConvertible {
    case v5 = 5, v6 = 6, v8 = 8, v10 = 10

    /// The pinned version (the newest of 5.x, then 6.2.0, 8.3.0 and the newest release).
    package var version: String {
        switch self {
        case .v5: return "5.46.0"
        case .v6: return "6.2.0"
        case .v8: return "8.3.0"
        case .v10: return "10.8.0"
        }
    }

    package var virtualenv: String { ".venv-workos\(rawValue)" }
    package var description: String { "workos \(version) (\(virtualenv))" }

    /// The generation's python, or nil when its virtualenv is missing.
    package var python: String? {
        let path = Interop.root.appendingPathComponent("\(virtualenv)/bin/python").path
        return FileManager.default.isExecutableFile(atPath: path) ? path : nil
    }

    /// Off only outside CI: under CI=true `.ci/run` builds every virtualenv, so a missing one must
    /// fail the test rather than skip it.
    package var enabled: Bool { python != nil || ProcessInfo.processInfo.environment["CI"] != nil }

    package var skipReason: String {
        "SKIPPED: needs \(virtualenv) with Tests/interop/requirements-workos\(rawValue).txt (run .ci/run)"
    }

    /// The python, or a failure that says how to get it (under CI=true a missing one is an error).
    package func requirePython() throws -> String {
        guard let python else {
            throw TestFailure("\(virtualenv) is missing: .ci/run builds it from Tests/interop/requirements-workos\(rawValue).txt")
        }
        return python
    }
}
