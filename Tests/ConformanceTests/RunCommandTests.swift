import Foundation
import JSON
import Synchronization
import TestSupport
import Testing

@testable import Conformance

/// The built `mockidp` next to the test bundle (swift test builds every product).
enum BuiltTool {
    static var path: String? {
        let candidates =
            [Bundle.main.executablePath, CommandLine.arguments.first].compactMap { $0 }.map {
                URL(fileURLWithPath: $0).deletingLastPathComponent().appendingPathComponent("mockidp").path
            } + [Interop.root.appendingPathComponent(".build/debug/mockidp").path]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs the built `mockidp`; a run past `timeout` is killed and reported as a test failure, so a
    /// regression that leaves a run going fails its test instead of hanging the whole suite.
    static func run(_ arguments: [String], timeout seconds: Int = 600) throws -> Result {
        guard let path else { throw TestFailure("the mockidp executable was not built next to the tests") }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        process.currentDirectoryURL = Interop.root
        var environment = ProcessInfo.processInfo.environment
        environment["NO_COLOR"] = "1"
        process.environment = environment
        // stderr goes to a file, not a second pipe: a child that fills one pipe while this reads the
        // other to its end would block both (an app's tracebacks can outgrow a pipe's 64 KiB).
        let errorsFile = FileManager.default.temporaryDirectory.appendingPathComponent("mockidp-stderr-\(UUID().uuidString)")
        guard FileManager.default.createFile(atPath: errorsFile.path, contents: nil) else { throw TestFailure("cannot create \(errorsFile.path)") }
        defer { try? FileManager.default.removeItem(at: errorsFile) }
        let errors = try FileHandle(forWritingTo: errorsFile)
        let out = Pipe()
        process.standardOutput = out
        process.standardError = errors
        try process.run()
        try errors.close()
        let pid = process.processIdentifier
        let timedOut = Atomic<Bool>(false)
        let watchdog = DispatchWorkItem {
            timedOut.store(true, ordering: .relaxed)
            kill(pid, SIGKILL)
        }
        DispatchQueue.global().asyncAfter(deadline: .now() + .seconds(seconds), execute: watchdog)
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        watchdog.cancel()
        if timedOut.load(ordering: .relaxed) {
            throw TestFailure("mockidp \(arguments.joined(separator: " ")) was still running after \(seconds) s and was killed")
        }
        let stderr = (try? Data(contentsOf: errorsFile)) ?? Data()
        return Result(
            status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
            stderr: String(decoding: stderr, as: UTF8.self))
    }

    static func temporaryFile(_ name: String, _ text: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("mockidp-\(UUID().uuidString)-\(name)")
        try Data(text.utf8).write(to: url)
        return url
    }
}

@Suite(.enabled(if: BuiltTool.path != nil, "the mockidp executable must be built (swift build)"))
struct RunCommandTests {
    @Test func brokenScenarioExitsTwoNamingFileStepAndField() throws {
        let file = try BuiltTool.temporaryFile(
            "broken.json",
            #"""
            {"id": "demo.broken", "title": "Broken on purpose",
             "steps": [{"user": {"as": "u", "fresh": true}}, {"mint": {"as": "t", "user": "u", "sign": "sometimes"}}]}
            """#)
        defer { try? FileManager.default.removeItem(at: file) }
        let result = try BuiltTool.run(["run", "--scenario", file.path])
        #expect(result.status == 2)
        #expect(result.stderr.contains("\(file.path): steps[1]: mint.sign: 'sometimes' is not one of"), "\(result.stderr)")
    }

    @Test func aRunThatOutlivesItsTimeoutIsKilledAndFailsItsTest() {
        // `serve` without an app runs until a signal: the watchdog must end it and say so.
        #expect(throws: TestFailure.self) { try BuiltTool.run(["serve", "--port", "0", "--log", "off"], timeout: 2) }
    }

    @Test func appThatIsDownExitsThree() throws {
        let port = AppTarget.freePort()
        let profile = try BuiltTool.temporaryFile(
            "down.json",
            """
            {"name": "down", "base_url": "http://127.0.0.1:\(port)", "callback": {"path": "/cb"},
             "start": {"command": ["/bin/sh", "-c", "echo starting; exit 7"], "ready": {"path": "/health", "timeout_seconds": 1}}}
            """)
        defer { try? FileManager.default.removeItem(at: profile) }
        let result = try BuiltTool.run(["run", "--target", profile.path, "--filter", "first-login.no-token"])
        #expect(result.status == 3)
        #expect(result.stderr.contains("app unreachable: the app exited with status 7 before it was ready"), "\(result.stderr)")
        #expect(result.stderr.contains("starting"))
    }

    @Test func appThatNeverListensExitsThreeAfterItsTimeout() throws {
        let port = AppTarget.freePort()
        let profile = try BuiltTool.temporaryFile(
            "silent.json",
            """
            {"name": "silent", "base_url": "http://127.0.0.1:\(port)", "callback": {"path": "/cb"},
             "start": {"command": ["/bin/sleep", "30"], "ready": {"path": "/health", "timeout_seconds": 0.5}}}
            """)
        defer { try? FileManager.default.removeItem(at: profile) }
        let result = try BuiltTool.run(["run", "--target", profile.path, "--filter", "first-login.no-token"])
        #expect(result.status == 3)
        #expect(result.stderr.contains("did not answer within 0.5 s"), "\(result.stderr)")
    }

    @Test func runAgainstTheReferenceAppPassesAndWritesReports() throws {
        let junit = FileManager.default.temporaryDirectory.appendingPathComponent("mockidp-\(UUID().uuidString).xml")
        let json = FileManager.default.temporaryDirectory.appendingPathComponent("mockidp-\(UUID().uuidString).json")
        defer {
            try? FileManager.default.removeItem(at: junit)
            try? FileManager.default.removeItem(at: json)
        }
        let result = try BuiltTool.run(["run", "--filter", "replay", "--junit", junit.path, "--json", json.path])
        #expect(result.status == 0, "\(result.stdout)\n\(result.stderr)")
        #expect(result.stdout.split(separator: "\n").last == "3 passed, 0 failed, 0 skipped, 0 not applicable")
        let report = try JSONValue.parse(Array(try Data(contentsOf: json)))
        #expect(report["summary"]?["passed"] == 3)
        #expect(try String(contentsOf: junit, encoding: .utf8).contains("<testsuite name=\"replay\" tests=\"3\" failures=\"0\""))
    }

    @Test func aSeededBugFailsTheScenarioThatNamesIt() throws {
        let result = try BuiltTool.run(["run", "--filter", "replay.same-token", "--app-arg=--bug=unused-idempotency-key"])
        #expect(result.status == 1)
        #expect(result.stdout.contains("FAIL  replay.same-token-identical"))
        #expect(result.stdout.contains("differ (a replay must return the identical body)"))
        #expect(result.stdout.contains("first difference: /default_api_key"), "\(result.stdout)")
        #expect(result.stdout.split(separator: "\n").last == "0 passed, 1 failed, 0 skipped, 0 not applicable")
    }

    @Test func listAndShardSelectWithoutStartingAnything() throws {
        let all = try BuiltTool.run(["run", "--list"])
        let first = try BuiltTool.run(["run", "--list", "--shard", "1/2"])
        let second = try BuiltTool.run(["run", "--list", "--shard", "2/2"])
        func ids(_ output: String) -> [String] { output.split(separator: "\n").dropLast().map { String($0.split(separator: " ").first ?? "") } }
        #expect(all.status == 0)
        #expect(Set(ids(first.stdout)).union(ids(second.stdout)) == Set(ids(all.stdout)))
        #expect(Set(ids(first.stdout)).isDisjoint(with: ids(second.stdout)))
        #expect(try BuiltTool.run(["run", "--list", "--shard", "3/2"]).status == 2)
    }
}
