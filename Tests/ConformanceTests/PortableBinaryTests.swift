import Foundation
import JSON
import TestSupport
import Testing

@testable import Conformance

/// `mockidp` copied alone into an empty folder, as a team copies it into its CI image: everything
/// it needs is inside it.
@Suite(.enabled(if: BuiltTool.path != nil, "the mockidp executable must be built (swift build)"))
struct PortableBinaryTests {
    /// A fresh folder holding only a copy of the binary, with no checkout above it.
    final class Workspace {
        let folder: URL
        let binary: URL

        init() throws {
            folder = FileManager.default.temporaryDirectory.appendingPathComponent("mockidp-portable-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            binary = folder.appendingPathComponent("mockidp")
            guard let built = BuiltTool.path else { throw TestFailure("mockidp is not built") }
            // cp in its own process: a write descriptor opened here could leak into a child another
            // test forks meanwhile, and exec of the copy would then fail with "text file busy".
            let copy = try Process.run(URL(fileURLWithPath: "/bin/cp"), arguments: [built, binary.path])
            copy.waitUntilExit()
            guard copy.terminationStatus == 0 else { throw TestFailure("cannot copy \(built) to \(binary.path)") }
            for ancestor in [folder, folder.deletingLastPathComponent(), folder.deletingLastPathComponent().deletingLastPathComponent()] {
                if FileManager.default.fileExists(atPath: ancestor.appendingPathComponent("scenarios").path) {
                    throw TestFailure("\(ancestor.path) has a scenarios/ folder; the test needs a place with no checkout")
                }
            }
        }

        deinit { try? FileManager.default.removeItem(at: folder) }

        /// Runs `./mockidp ARGS` in the folder; stdout goes to `stdoutFile` when given.
        func run(_ arguments: [String], stdoutFile: String? = nil) throws -> BuiltTool.Result {
            let process = Process()
            process.executableURL = binary
            process.arguments = arguments
            process.currentDirectoryURL = folder
            var environment = ProcessInfo.processInfo.environment
            environment["NO_COLOR"] = "1"
            process.environment = environment
            // Output goes to files: no pipe to fill up and stall a chatty child.
            let outFile = folder.appendingPathComponent(".out-\(UUID().uuidString)")
            let errFile = folder.appendingPathComponent(".err-\(UUID().uuidString)")
            _ = FileManager.default.createFile(atPath: outFile.path, contents: nil)
            _ = FileManager.default.createFile(atPath: errFile.path, contents: nil)
            defer {
                try? FileManager.default.removeItem(at: outFile)
                try? FileManager.default.removeItem(at: errFile)
            }
            process.standardOutput = try FileHandle(forWritingTo: outFile)
            process.standardError = try FileHandle(forWritingTo: errFile)
            try process.run()
            process.waitUntilExit()
            let stdout = try Data(contentsOf: outFile)
            if let stdoutFile { try stdout.write(to: folder.appendingPathComponent(stdoutFile)) }
            return BuiltTool.Result(
                status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                stderr: String(decoding: try Data(contentsOf: errFile), as: UTF8.self))
        }
    }

    @Test func listSelftestExportInitAndCheckWorkWithNoCheckout() throws {
        let workspace = try Workspace()

        let list = try workspace.run(["run", "--list"])
        #expect(list.status == 0, "\(list.stderr)")
        let builtin = try ScenarioSuite.load(directory: Builtin.suite)
        #expect(list.stdout.contains("\(builtin.count) scenario(s)"), "\(list.stdout.suffix(300))")

        // The whole self-test runs in .ci/run; here one bug and one scenario that names it prove
        // the suite, the reference profile and the reference app all come from the binary.
        let catching = try #require(builtin.first { $0.references.bugs.contains("alg-none-accepted") })
        let selftest = try workspace.run(["selftest", "--bug", "alg-none-accepted", "--filter", catching.id])
        #expect(selftest.status == 0, "\(selftest.stdout)\n\(selftest.stderr)")
        #expect(selftest.stdout.contains("self-test PASSED"))

        let export = try workspace.run(["scenarios", "export", "suite-copy"])
        #expect(export.status == 0, "\(export.stderr)")
        let exported = workspace.folder.appendingPathComponent("suite-copy")
        let expired = try Data(contentsOf: exported.appendingPathComponent("suite/token/expired.json"))
        #expect(Array(expired) == Builtin.contents(of: "builtin:suite/token/expired.json"))
        #expect(FileManager.default.fileExists(atPath: exported.appendingPathComponent("schema/scenario.schema.json").path))
        let again = try workspace.run(["scenarios", "export", "suite-copy"])
        #expect(again.status == 2 && again.stderr.contains("--force"), "\(again.stderr)")
        // The exported suite runs from disk, and the relative $schema of each file resolves there.
        let fromDisk = try workspace.run(["run", "--scenarios", "suite-copy/suite", "--list"])
        #expect(fromDisk.status == 0 && fromDisk.stdout.contains("\(builtin.count) scenario(s)"), "\(fromDisk.stderr)")
        let reference = try JSONValue.parse(Array(expired))["$schema"]?.stringValue ?? ""
        #expect(
            FileManager.default.fileExists(atPath: exported.appendingPathComponent("suite/token").appendingPathComponent(reference).standardized.path)
        )

        let initialized = try workspace.run(
            ["init", "--shape", "web", "--command", "python3 -m myapp --port {app_port}"], stdoutFile: "mockidp.json")
        #expect(initialized.status == 0, "\(initialized.stderr)")
        #expect(initialized.stderr.contains("start.command: "), "the field guide goes to stderr")
        let check = try workspace.run(["run", "--target", "mockidp.json", "--check"])
        #expect(check.status == 0, "\(check.stdout)\n\(check.stderr)")
        #expect(check.stdout.contains("a valid target profile"))
        #expect(check.stdout.contains("not applicable"))
        #expect(check.stdout.contains("needs introspection"))
    }

    @Test func checkRefusesABrokenProfileWithExitTwoBeforeStartingAnything() throws {
        let workspace = try Workspace()
        try Data(#"{"base_url": "http://127.0.0.1:1", "callback": {"path": "/cb"}, "start": {"command": ["/bin/false"], "redy": {}}}"#.utf8)
            .write(to: workspace.folder.appendingPathComponent("broken.json"))
        let check = try workspace.run(["run", "--target", "broken.json", "--check"])
        #expect(check.status == 2)
        #expect(check.stderr.contains("broken.json: start.redy: unknown field; did you mean 'ready'?"), "\(check.stderr)")
        let unknown = try workspace.run(["run", "--target", "no-such-app", "--check"])
        #expect(unknown.status == 2 && unknown.stderr.contains("built-in: reference-app"), "\(unknown.stderr)")
    }

    @Test func initWithASchemaFolderPointsAtAnExportedSchema() throws {
        let workspace = try Workspace()
        let initialized = try workspace.run(["init", "--shape", "api", "--port", "9000", "--schema-dir", ".mockidp"], stdoutFile: "mockidp.json")
        #expect(initialized.status == 0, "\(initialized.stderr)")
        let profile = try JSONValue.parse(Array(try Data(contentsOf: workspace.folder.appendingPathComponent("mockidp.json"))))
        #expect(profile["$schema"]?.stringValue == ".mockidp/target-profile.schema.json")
        #expect(profile["base_url"]?.stringValue == "http://127.0.0.1:9000")
        #expect(profile["start"] == nil, "no --command: the app is already running")
        let schema = try Data(contentsOf: workspace.folder.appendingPathComponent(".mockidp/target-profile.schema.json"))
        #expect(Array(schema) == ProfileSchema.bytes)
        let check = try workspace.run(["run", "--target", "mockidp.json", "--check"])
        #expect(check.status == 0 && !check.stdout.contains("$schema"), "\(check.stdout)")
    }
}
