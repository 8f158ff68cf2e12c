import Foundation
import JSON

/// Runs the Python clients in Tests/interop (installed into .venv by .ci/run).
package enum Interop {
    package static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    package static var python: String? {
        if let configured = ProcessInfo.processInfo.environment["MOCKIDP_PYTHON"] { return configured }
        let venv = root.appendingPathComponent(".venv/bin/python").path
        return FileManager.default.isExecutableFile(atPath: venv) ? venv : nil
    }

    /// In CI a missing virtualenv is a failure, not a skip: the interop check must run there.
    package static var available: Bool { python != nil || ProcessInfo.processInfo.environment["CI"] != nil }

    /// `interpreter`: another virtualenv's python (a WorkOS SDK generation's); default `.venv`'s.
    package static func run(_ script: String, _ arguments: [String], python interpreter: String? = nil) throws -> JSONValue {
        guard let python = interpreter ?? python else {
            throw TestFailure("no Python with the interop packages: run .ci/run (it creates .venv) or set MOCKIDP_PYTHON")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [root.appendingPathComponent("Tests/interop/\(script)").path] + arguments
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let stdout = output.fileHandleForReading.readDataToEndOfFile()
        let stderr = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw TestFailure("\(script) exited \(process.terminationStatus):\n\(String(decoding: stderr, as: UTF8.self))")
        }
        return try JSONValue.parse(Array(stdout))
    }
}

/// A virtualenv at the repo root that `.ci/run` builds from one pinned requirements file in
/// Tests/interop: one per set of clients whose pins must not share an environment.
package struct Virtualenv: Sendable, CustomStringConvertible {
    /// The folder at the repo root, e.g. `.venv-oidc`.
    package let name: String
    /// The requirements file's name in Tests/interop, e.g. `requirements-oidc.txt`.
    package let requirements: String

    package init(_ name: String, requirements: String) {
        self.name = name
        self.requirements = requirements
    }

    /// Authlib, flask-oidc, mozilla-django-oidc and Django: the OIDC relying-party tests.
    package static let oidc = Virtualenv(".venv-oidc", requirements: "requirements-oidc.txt")
    /// FastMCP and the MCP Python SDK: the MCP protected-resource test.
    package static let mcp = Virtualenv(".venv-mcp", requirements: "requirements-mcp.txt")
    /// The WorkOS Python SDK 4.x (module-level client): the SSO API test.
    package static let workos4 = Virtualenv(".venv-workos4", requirements: "requirements-workos4.txt")

    package var description: String { name }

    /// Its python, or nil when the virtualenv is missing.
    package var python: String? {
        let path = Interop.root.appendingPathComponent("\(name)/bin/python").path
        return FileManager.default.isExecutableFile(atPath: path) ? path : nil
    }

    /// Off only outside CI: under CI=true `.ci/run` builds every virtualenv, so a missing one must
    /// fail the test rather than skip it.
    package var enabled: Bool { python != nil || ProcessInfo.processInfo.environment["CI"] != nil }

    package var skipReason: String { "SKIPPED: needs \(name) with Tests/interop/\(requirements) (run .ci/run)" }

    /// The python, or a failure that says how to get it (under CI=true a missing one is an error).
    package func requirePython() throws -> String {
        guard let python else { throw TestFailure("\(name) is missing: .ci/run builds it from Tests/interop/\(requirements)") }
        return python
    }
}
