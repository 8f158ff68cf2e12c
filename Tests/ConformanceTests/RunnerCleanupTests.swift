import Foundation
import Glibc
import HTTP
import JSON
import TestSupport
import Testing

@testable import Conformance

/// `mockidp run` killed mid-run (what a CI timeout or a cancelled job does) leaves no app
/// process and no temp file; on SIGTERM it also writes the reports with the interrupted
/// scenario marked `error`.
@Suite(.enabled(if: BuiltTool.path != nil, "the mockidp executable must be built (swift build)"), .serialized)
struct RunnerCleanupTests {
    struct Run {
        let runner: Process
        let appPID: pid_t
        let folder: URL
    }

    /// Starts `mockidp run` on a scenario that waits 30 s, and returns once the app is up. With
    /// `wrappedWritingPIDTo`, the reference app runs behind `sh -c` (as `npm start` would) and its
    /// PID, a grandchild of the runner, is written to that file.
    func startSlowRun(wrappedWritingPIDTo pidFile: URL? = nil) throws -> Run {
        guard let tool = BuiltTool.path else { throw TestFailure("mockidp not built") }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("mockidp-cleanup-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("tmp"), withIntermediateDirectories: true)
        // A previous run's reports: gone once this run starts, whatever happens to it later.
        for name in ["report.json", "report.xml"] { try Data("stale green report".utf8).write(to: folder.appendingPathComponent(name)) }
        let scenario = folder.appendingPathComponent("slow.json")
        // The clock step tells the test the scenario is running (its steps began).
        try Data(#"{"id": "demo.slow", "title": "Waits", "steps": [{"clock": {"advance": 60}}, {"mark": "m"}, {"wait": {"seconds": 30}}]}"#.utf8)
            .write(to: scenario)
        let runner = Process()
        runner.executableURL = URL(fileURLWithPath: tool)
        // --lanes 1: the slow scenario runs against the shared mock, whose clock the test polls.
        runner.arguments = [
            "run", "--scenario", scenario.path, "--lanes", "1", "--json", folder.appendingPathComponent("report.json").path,
            "--junit", folder.appendingPathComponent("report.xml").path,
        ]
        if let pidFile {
            let target = folder.appendingPathComponent("wrapped.json")
            try Self.wrappedProfile(pidFile: pidFile).write(to: target)
            runner.arguments? += ["--target", target.path]
        }
        runner.currentDirectoryURL = Interop.root
        var environment = ProcessInfo.processInfo.environment
        environment["TMPDIR"] = folder.appendingPathComponent("tmp").path
        environment["NO_COLOR"] = "1"
        runner.environment = environment
        let output = Pipe()
        runner.standardOutput = output
        runner.standardError = FileHandle.nullDevice
        try runner.run()
        // The runner prints its banner once the app answered its readiness check.
        var seen = ""
        while !seen.contains("scenario(s)") {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { throw TestFailure("mockidp run ended before the scenario started: \(seen)") }
            seen += String(decoding: chunk, as: UTF8.self)
        }
        try Self.waitForTheClockStep(banner: seen)
        let children = Self.children(of: runner.processIdentifier)
        guard children.count == 1, let app = children.first else { throw TestFailure("expected one app process, found \(children)") }
        return Run(runner: runner, appPID: app, folder: folder)
    }

    /// Polls the mock (its URL from the banner) until the slow scenario's clock step has run: the
    /// scenario is then running, past preflight and its reset.
    static func waitForTheClockStep(banner: String) throws {
        guard let start = banner.range(of: "mock IdP at "), let end = banner[start.upperBound...].firstIndex(of: ",") else {
            throw TestFailure("no mock URL in the banner: \(banner)")
        }
        let clock = ClientRequest(method: "GET", url: banner[start.upperBound..<end] + "/_mock/clock")
        let client = HTTPClient()
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            if let offset = try? client.send(clock).json()["offset"], offset == 60 { return }
            usleep(20_000)
        }
        throw TestFailure("the slow scenario's clock step did not run within 10 s")
    }

    /// The reference-app profile with its command behind `sh -c`, which starts the app in the
    /// background, writes the app's PID and waits: the shell is the runner's child, the app is not.
    static func wrappedProfile(pidFile: URL) throws -> Data {
        let profile = Interop.root.appendingPathComponent("scenarios/targets/reference-app.json")
        var text = try String(contentsOf: profile, encoding: .utf8)
        let script = #"\"$0\" \"$@\" & echo $! > '\#(pidFile.path)'; wait"#
        text = text.replacingOccurrences(of: #""command": ["{mockidp}""#, with: #""command": ["/bin/sh", "-c", "\#(script)", "{mockidp}""#)
        guard text.contains("/bin/sh") else { throw TestFailure("reference-app.json has no command to wrap") }
        return Data(text.utf8)
    }

    static func children(of parent: pid_t) -> [pid_t] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { Int32($0) }.filter { pid in
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                let close = stat.lastIndex(of: ")")
            else { return false }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            return fields.count > 1 && Int32(fields[1]) == parent
        }
    }

    /// Gone or a zombie waiting for init: either way no longer running.
    static func isAlive(_ pid: pid_t) -> Bool {
        guard kill(pid, 0) == 0, let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return false }
        return !stat[stat.index(after: close)...].hasPrefix(" Z")
    }

    /// The app's death follows the runner's asynchronously (parent-death signal): bounded poll.
    static func waitGone(_ pid: pid_t) -> Bool {
        let deadline = Date().addingTimeInterval(10)
        while isAlive(pid) && Date() < deadline { usleep(20_000) }
        return !isAlive(pid)
    }

    @Test func sigtermStopsTheAppRemovesTempFilesAndWritesTheReports() throws {
        let run = try startSlowRun()
        defer { try? FileManager.default.removeItem(at: run.folder) }
        kill(run.runner.processIdentifier, SIGTERM)
        run.runner.waitUntilExit()
        #expect(run.runner.terminationReason == .exit && run.runner.terminationStatus == 128 + SIGTERM)
        #expect(Self.waitGone(run.appPID), "app \(run.appPID) still running")
        #expect(try FileManager.default.contentsOfDirectory(atPath: run.folder.appendingPathComponent("tmp").path) == [])
        let report = try JSONValue.parse(Array(Data(contentsOf: run.folder.appendingPathComponent("report.json"))))
        let text = report.serializedString()
        let running = "interrupted: the run received SIGTERM while this scenario was running"
        #expect(text.contains("demo.slow") && text.contains("\"error\"") && text.contains(running), "\(text)")
        let junit = try String(contentsOf: run.folder.appendingPathComponent("report.xml"), encoding: .utf8)
        #expect(junit.contains("demo.slow") && junit.contains(running), "\(junit)")
    }

    @Test func sigkillLeavesNoAppAndNoTempFile() throws {
        let run = try startSlowRun()
        defer { try? FileManager.default.removeItem(at: run.folder) }
        kill(run.runner.processIdentifier, SIGKILL)
        run.runner.waitUntilExit()
        #expect(run.runner.terminationReason == .uncaughtSignal)
        #expect(Self.waitGone(run.appPID), "app \(run.appPID) still running")
        #expect(try FileManager.default.contentsOfDirectory(atPath: run.folder.appendingPathComponent("tmp").path) == [])
        // No report at all rather than the previous run's: CI cannot publish a stale result.
        for name in ["report.json", "report.xml"] {
            #expect(!FileManager.default.fileExists(atPath: run.folder.appendingPathComponent(name).path), "\(name) survived")
        }
    }

    /// The parent-death signal reaches only the shell; the supervisor must end the app behind it.
    @Test func sigkillLeavesNoAppBehindAShellWrapper() throws {
        let pidFile = FileManager.default.temporaryDirectory.appendingPathComponent("mockidp-wrapped-\(UUID().uuidString).pid")
        defer { try? FileManager.default.removeItem(at: pidFile) }
        let run = try startSlowRun(wrappedWritingPIDTo: pidFile)
        defer { try? FileManager.default.removeItem(at: run.folder) }
        let text = try String(contentsOf: pidFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let app = try #require(pid_t(text), "no PID in \(pidFile.path): '\(text)'")
        #expect(app != run.appPID && Self.isAlive(app), "the app runs behind the shell")
        kill(run.runner.processIdentifier, SIGKILL)
        run.runner.waitUntilExit()
        #expect(Self.waitGone(run.appPID), "shell \(run.appPID) still running")
        let gone = Self.waitGone(app)
        if !gone { kill(app, SIGKILL) }
        #expect(gone, "app \(app) behind the shell outlived the SIGKILLed runner")
    }

    /// SIGTERM early in the built-in suite (several scenarios per file): every selected scenario
    /// is in both reports, the unfinished ones as `error`, and the summary counts them.
    @Test func anInterruptedRunListsEverySelectedScenarioInJSONAndJUnit() throws {
        guard let tool = BuiltTool.path else { throw TestFailure("mockidp not built") }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("mockidp-interrupt-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let json = folder.appendingPathComponent("report.json")
        let junit = folder.appendingPathComponent("report.xml")
        let runner = Process()
        runner.executableURL = URL(fileURLWithPath: tool)
        // One job and no lanes: one scenario at a time, so at most one is in progress at the signal.
        runner.arguments = ["run", "--jobs", "1", "--lanes", "1", "--no-color", "--json", json.path, "--junit", junit.path]
        runner.currentDirectoryURL = Interop.root
        let output = Pipe()
        runner.standardOutput = output
        runner.standardError = FileHandle.nullDevice
        try runner.run()
        var seen = ""
        while !seen.contains("[  3/") {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { throw TestFailure("mockidp run ended before its third scenario: \(seen)") }
            seen += String(decoding: chunk, as: UTF8.self)
        }
        kill(runner.processIdentifier, SIGTERM)
        seen += String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        runner.waitUntilExit()
        #expect(runner.terminationStatus == 128 + SIGTERM)
        let banner = try #require(seen.split(separator: "\n").first { $0.hasPrefix("mockidp run: ") })
        let selected = try #require(Int(banner.dropFirst("mockidp run: ".count).prefix { $0.isNumber }))
        let report = try JSONValue.parse(Array(Data(contentsOf: json)))
        let scenarios = try #require(report["scenarios"]?.arrayValue)
        let ids = scenarios.compactMap { $0["id"]?.stringValue }
        #expect(scenarios.count == selected && Set(ids).count == selected, "\(scenarios.count) of \(selected) in the JSON report")
        // One job: at most the scenario in progress was interrupted; the rest never started.
        let interrupted = scenarios.filter { $0["reason"]?.stringValue?.hasPrefix("interrupted: the run received SIGTERM while") == true }
        let notStarted = scenarios.filter { $0["reason"]?.stringValue?.hasPrefix("not started: the run received SIGTERM before") == true }
        #expect(interrupted.count <= 1 && notStarted.count > selected / 2, "\(interrupted.count) interrupted, \(notStarted.count) not started")
        let unfinished = interrupted + notStarted
        #expect(unfinished.allSatisfy { $0["verdict"] == "error" }, "\(unfinished.prefix(1))")
        #expect(report["summary"]?["errors"]?.intValue.map(Int.init) ?? 0 >= unfinished.count, "\(report["summary"] ?? .null)")
        let xml = try String(contentsOf: junit, encoding: .utf8)
        #expect(xml.components(separatedBy: "<testcase ").count - 1 == selected)
        #expect(xml.components(separatedBy: "message=\"not started: the run received SIGTERM").count - 1 == notStarted.count)
        #expect(seen.contains("scenario(s) could not run"), "\(seen.suffix(400))")
    }
}

/// Which unfinished scenarios were running when the signal came and which never started, from
/// the runner's start marks (no process, no signal).
@Suite struct RunInterruptionTests {
    @Test func anInterruptedReportTellsRunningFromNotStarted() throws {
        let scenarios = ["demo.done", "demo.running", "demo.waiting"].map { Scenario(file: "s.json", id: $0, family: "demo", title: $0, steps: []) }
        let interruption = RunInterruption(scenarios: scenarios, repeatCount: 2, targetName: "t", targetURL: "http://127.0.0.1:1") { _ in }
        interruption.started(scenarios[0], iteration: 1)
        var done = ScenarioEnding(started: true).result(scenarios[0], seconds: 1, transcript: []) { "" }
        done.iteration = 1
        interruption.finished(done)
        interruption.started(scenarios[1], iteration: 1)
        let report = interruption.partialReport([done], signal: SIGTERM)
        let reasons = report.results.map { "\($0.scenario.id)#\($0.iteration): \($0.verdict.rawValue) \($0.reason ?? "")" }
        #expect(
            reasons == [
                "demo.done#1: pass ",
                "demo.running#1: error interrupted: the run received SIGTERM while this scenario was running",
                "demo.waiting#1: error not started: the run received SIGTERM before this scenario's turn",
                "demo.done#2: error not started: the run received SIGTERM before this scenario's turn",
                "demo.running#2: error not started: the run received SIGTERM before this scenario's turn",
                "demo.waiting#2: error not started: the run received SIGTERM before this scenario's turn",
            ])
        let xml = JUnitReporter.render(report)
        #expect(xml.contains("message=\"interrupted: the run received SIGTERM while this scenario was running\""))
        #expect(xml.components(separatedBy: "message=\"not started: ").count - 1 == 4)
    }
}
