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
        let output = Pipe(), errors = Pipe()
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

