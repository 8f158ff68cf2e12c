import Foundation
import Glibc
import TestSupport
import Testing

/// `mockidp serve -- COMMAND`: the app gets the SDK environment and serve's output streams,
/// runs in its own process group, and never outlives serve.
@Suite(.enabled(if: BuiltTool.path != nil, "the mockidp executable must be built (swift build)"))
struct ServeAppProcessTests {
    /// serve with an app that announces itself and then sleeps as the same process (`exec`).
    final class Running {
        let process = Process()
        let out = Pipe()
        let err = Pipe()
        var text = ""

        init(_ command: [String], options: [String] = []) throws {
            guard let path = BuiltTool.path else { throw TestFailure("mockidp is not built") }
            process.executableURL = URL(fileURLWithPath: path)
            process.arguments = ["serve", "--port", "0", "--log", "off"] + options + ["--"] + command
            process.standardOutput = out
            process.standardError = err
            try process.run()
        }

        deinit { if process.isRunning { process.interrupt() } }

        /// Reads stdout until a line starts with `prefix`; nil if stdout closes first or after 30 s.
        func line(startingWith prefix: String) -> String? {
            while true {
                if let line = text.split(separator: "\n").first(where: { $0.hasPrefix(prefix) }) { return String(line) }
                guard let chunk = read(timeoutMillis: 30_000), !chunk.isEmpty else { return nil }
                text += chunk
            }
        }

        /// Reads stdout to its end. True when every writer (serve and the app) has closed it within
        /// the time limit — the app holds it until it dies, so EOF means the app is gone.
        func readsToEnd(timeoutMillis: Int32 = 20_000) -> Bool {
            while let chunk = read(timeoutMillis: timeoutMillis) {
                if chunk.isEmpty { return true }
                text += chunk
            }
            return false
        }

        /// One read of stdout: "" at EOF, nil when nothing came within the limit.
        private func read(timeoutMillis: Int32) -> String? {
            var descriptor = pollfd(fd: out.fileHandleForReading.fileDescriptor, events: Int16(POLLIN), revents: 0)
            guard poll(&descriptor, 1, timeoutMillis) > 0 else { return nil }
            var buffer = [UInt8](repeating: 0, count: 4096)
            let count = Glibc.read(descriptor.fd, &buffer, buffer.count)
            return count <= 0 ? "" : String(decoding: buffer.prefix(count), as: UTF8.self)
        }

        var stderrText: String { String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self) }
    }

    static let sleeper = ["/bin/sh", "-c", #"echo "app $$ $WORKOS_BASE_URL $WORKOS_API_KEY $WORKOS_JWKS_URL"; exec sleep 600"#]

    /// `/proc/<pid>/stat`: the process group, and whether it still runs (a zombie does not).
    static func processState(_ pid: Int32) -> (group: Int32, alive: Bool)? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 2, let group = Int32(fields[2]) else { return nil }
        return (group, fields[0] != "Z" && fields[0] != "X")
    }

    /// After stdout's EOF the app has closed its files, which the kernel does just before it
    /// marks the process dead: wait (bounded) for that last step.
    static func ends(_ pid: Int32) -> Bool {
        for _ in 0..<1000 {
            if processState(pid)?.alive != true { return true }
            usleep(10_000)
        }
        return false
    }

    func appPID(_ serve: Running) throws -> (pid: Int32, fields: [Substring]) {
        let line = try #require(serve.line(startingWith: "app "), "the app never printed its line: \(serve.text)")
        let fields = line.split(separator: " ")
        return (try #require(Int32(fields[1])), fields)
    }

    @Test func theAppGetsTheSDKEnvironmentItsOwnGroupAndSIGTERMReachesIt() throws {
        let serve = try Running(Self.sleeper)
        let url = try #require(serve.line(startingWith: "listening on ")?.dropFirst("listening on ".count))
        let (pid, fields) = try appPID(serve)
        #expect(fields[2] == "\(url)/")
        #expect(fields[3] == "sk_test_mockidp_local_only")
        #expect(fields[4].hasPrefix("\(url)/sso/jwks/"))
        let state = try #require(Self.processState(pid))
        #expect(state.group == pid, "the app leads a process group of its own")
        #expect(state.group != getpgrp())

        serve.process.terminate()
        #expect(serve.readsToEnd(), "stdout stays open: the app outlived serve")
        serve.process.waitUntilExit()
        // sleep died of the forwarded SIGTERM; serve reports it the shell's way.
        #expect(serve.process.terminationStatus == 128 + SIGTERM)
        #expect(Self.ends(pid), "the app is still running")
        #expect(serve.stderrText.contains("exited with \(128 + SIGTERM); stopped"))
    }

    @Test func anAppOutlivesNoSIGKILLedServe() throws {
        let serve = try Running(Self.sleeper)
        let (pid, _) = try appPID(serve)
        kill(serve.process.processIdentifier, SIGKILL)
        serve.process.waitUntilExit()
        // Nothing could forward a signal now: the parent-death signal has to end the app.
        let ended = serve.readsToEnd()
        if !ended { kill(pid, SIGKILL) }
        #expect(ended, "the app kept running after serve was killed")
        #expect(Self.ends(pid))
    }

    @Test func serveExitsWithTheAppsCodeAndSaysWhyItCannotStartOne() throws {
        let seven = try BuiltTool.run(["serve", "--port", "0", "--log", "off", "--", "/bin/sh", "-c", "echo from-app; exit 7"])
        #expect(seven.status == 7)
        #expect(seven.stdout.contains("from-app"))
        #expect(seven.stdout.hasPrefix("listening on http://127.0.0.1:"))

        let missing = try BuiltTool.run(["serve", "--port", "0", "--log", "off", "--", "/nonexistent/app"])
        #expect(missing.status == 127)
        #expect(missing.stderr.contains("cannot start '/nonexistent/app': No such file or directory"))

        let stray = try BuiltTool.run(["serve", "app.py"])
        #expect(stray.status == 2)
        #expect(stray.stderr.contains("put it after --"))
        let empty = try BuiltTool.run(["serve", "--"])
        #expect(empty.status == 2)
        #expect(empty.stderr.contains("nothing after --"))
    }

    /// `sh -c` that backgrounds a grandchild and waits: the parent-death signal ends the shell,
    /// only the supervisor can end the grandchild once serve is SIGKILLed.
    @Test func noGrandchildOutlivesASIGKILLedServeBehindAShell() throws {
        let serve = try Running(["/bin/sh", "-c", #"sleep 600 & echo "app $!"; wait"#])
        let (grandchild, _) = try appPID(serve)
        #expect(Self.processState(grandchild)?.alive == true)
        kill(serve.process.processIdentifier, SIGKILL)
        serve.process.waitUntilExit()
        let ended = serve.readsToEnd()
        if !ended { kill(grandchild, SIGKILL) }
        #expect(ended, "the shell's child kept running after serve was killed")
        #expect(Self.ends(grandchild))
    }
}
