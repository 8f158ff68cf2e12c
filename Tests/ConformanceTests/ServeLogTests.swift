import Foundation
import Glibc
import HTTP
import JSON
import Synchronization
import TestSupport
import Testing

@testable import IdP

/// The request log never holds up serving, and a request cannot write control characters into it.
@Suite(.enabled(if: BuiltTool.path != nil, "the mockidp executable must be built (swift build)"))
struct ServeLogTests {
    @Test func aStderrNobodyReadsDoesNotStopServingAndDroppedLinesAreCounted() throws {
        guard let path = BuiltTool.path else { return }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = ["serve", "--port", "0", "--log", "human"]
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        var text = ""
        while !text.contains("\n") {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { throw TestFailure("serve ended early: \(text)") }
            text += String(decoding: chunk, as: UTF8.self)
        }
        let base = String(text.prefix { $0 != "\n" }.dropFirst("listening on ".count))
        // ~1 KB per log line: the 64 KB pipe is full after a few dozen requests, the 1 MB
        // buffer after about a thousand; everything after that must be dropped, not waited for.
        let client = HTTPClient()
        let padding = String(repeating: "p", count: 1000)
        var answered = 0
        for index in 0..<2500 {
            let response = try client.send(.get("\(base)/organizations/org_missing_\(index)_\(padding)"))
            if response.status == 404 || response.status == 401 { answered += 1 }
        }
        #expect(answered == 2500)
        // Now drain stderr: the writer catches up and reports how many lines it dropped.
        let collected = Mutex<Data>(Data())
        let done = DispatchSemaphore(value: 0)
        Thread {
            let data = err.fileHandleForReading.readDataToEndOfFile()
            collected.withLock { $0 = data }
            done.signal()
        }.start()
        #expect(try client.send(.get(base + "/.well-known/openid-configuration")).status == 200)
        process.terminate()
        process.waitUntilExit()
        done.wait()
        #expect(process.terminationStatus == 0)
        let log = collected.withLock { String(decoding: $0, as: UTF8.self) }
        #expect(log.contains("log line(s) dropped: stderr was not read fast enough"), "\(log.suffix(300))")
        #expect(log.contains("stopped"))
    }

    @Test func controlCharactersAreEscapedInTheHumanLog() {
        var entry = JournalEntry(
            sequence: 1, timeMillis: 0, requestID: "req_1", method: "GET", path: "/a\u{1b}[31mred\r\n200 GET /forged",
            query: "q=\u{7}", headers: [], status: 404, flags: [])
        entry.flags = [JournalFlag(kind: .idSpaceViolation, reason: "unknown_id", field: "body organization_id", value: "x\u{0}\u{9b}\\y")]
        let line = RequestLogFormat.human(entry)
        #expect(!line.unicodeScalars.contains { scalar in scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) }, "\(line.debugDescription)")
        #expect(line.contains(#"/a\x1b[31mred\x0d\x0a200 GET /forged?q=\x07"#), "\(line)")
        #expect(line.contains(#"x\x00\u{9b}\\y"#), "\(line)")
        #expect(
            RequestLogFormat.human(
                JournalEntry(
                    sequence: 1, timeMillis: 0, requestID: "r", method: "GET", path: "/plain", query: "",
                    headers: [], status: 200, flags: [])) == "200 GET /plain r")
    }
}

/// Long values are cut in the human log, with a marker that says how much is missing.
@Suite struct RequestLogTruncationTests {
    @Test func aLongPathAndQueryAreCutWithAMarkerThroughTheWriter() throws {
        let limit = RequestLogFormat.valueLimit
        let path = "/organizations/" + String(repeating: "a", count: 8000)
        // Two-byte characters after an odd prefix: the cut at `limit` bytes falls inside one.
        let query = "q=x" + String(repeating: "é", count: 3000)
        let entry = JournalEntry(
            sequence: 1, timeMillis: 0, requestID: "req_1", method: "GET", path: path, query: query, headers: [],
            status: 404,
            flags: [
                JournalFlag(
                    kind: .idSpaceViolation, reason: "unknown_id", field: "path id",
                    value: String(repeating: "z", count: 2000))
            ])
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        let writer = LineWriter(fd: fds[1])
        RequestLogFormat.humanBytes(entry).withUnsafeBytes { writer.write(bytes: $0) }
        writer.close()
        Glibc.close(fds[1])
        let log = String(decoding: FileHandle(fileDescriptor: fds[0], closeOnDealloc: true).readDataToEndOfFile(), as: UTF8.self)
        let expectedPath = "/organizations/" + String(repeating: "a", count: limit - "/organizations/".utf8.count)
        let keptQuery = "q=x" + String(repeating: "é", count: (limit - 3) / 2)
        let cutPath = "\(expectedPath)…[+\(path.utf8.count - limit) bytes]"
        let cutQuery = "\(keptQuery)…[+\(query.utf8.count - keptQuery.utf8.count) bytes]"
        #expect(log.hasPrefix("404 GET \(cutPath)?\(cutQuery) req_1 ⚑ "), "\(log.prefix(700))")
        #expect(log.hasSuffix("=\(String(repeating: "z", count: limit))…[+\(2000 - limit) bytes])\n"), "\(log.suffix(100))")
        #expect(log.utf8.count < 4 * limit, "an 8 KB path, a 6 KB query and a 2 KB flag make a line of \(log.utf8.count) bytes")
        // A value within the limit is written whole.
        let whole = "/" + String(repeating: "b", count: limit - 1)
        #expect(
            RequestLogFormat.human(
                JournalEntry(
                    sequence: 1, timeMillis: 0, requestID: "r", method: "GET", path: whole, query: "",
                    headers: [], status: 200, flags: [])) == "200 GET \(whole) r")
    }
}

@Suite(.enabled(if: BuiltTool.path != nil, "the mockidp executable must be built (swift build)"))
struct ServeBindTests {
    @Test func aNonLoopbackHostNeedsAllowRemote() throws {
        let result = try BuiltTool.run(["serve", "--host", "0.0.0.0", "--port", "0"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("--host 0.0.0.0 is not a loopback address") && result.stderr.contains("--allow-remote"), "\(result.stderr)")
        #expect(result.stdout.isEmpty, "nothing was bound: \(result.stdout)")
    }

    @Test func ipv6LoopbackIsRefusedWithAReasonBeforeAnyWarning() throws {
        for host in ["::1", "[::1]"] {
            let result = try BuiltTool.run(["serve", "--host", host, "--port", "0"])
            #expect(result.status == 2)
            #expect(result.stderr.contains("IPv4 only") && !result.stderr.contains("WARNING"), "\(result.stderr)")
            #expect(result.stdout.isEmpty)
        }
        // A remote address that cannot be bound fails without warning first about a listener that never existed.
        let unbindable = try BuiltTool.run(["serve", "--host", "203.0.113.7", "--allow-remote", "--port", "0"])
        #expect(unbindable.status == 1 && unbindable.stderr.contains("cannot listen on 203.0.113.7"), "\(unbindable.stderr)")
        #expect(!unbindable.stderr.contains("WARNING"), "\(unbindable.stderr)")
    }

    @Test func anEmptyControlTokenIsRefusedInsteadOfLockingTheControlAPI() throws {
        for token in ["", " "] {
            let result = try BuiltTool.run(["serve", "--port", "0", "--control-token", token])
            #expect(result.status == 2)
            #expect(result.stderr.contains("--control-token must be a non-empty word"), "\(result.stderr)")
            #expect(result.stdout.isEmpty)
        }
    }

    @Test func theSampleAppWarnsWhenItListensBeyondLoopback() throws {
        guard let tool = BuiltTool.path else { throw TestFailure("mockidp not built") }
        let app = Process()
        app.executableURL = URL(fileURLWithPath: tool)
        app.arguments = [
            "sample-app", "--host", "0.0.0.0", "--port", "0", "--test-mode", "--idp", "http://127.0.0.1:9",
            "--client-id", "client_x", "--api-key", "sk_test_x", "--issuer", "http://127.0.0.1:9",
        ]
        let out = Pipe()
        let err = Pipe()
        app.standardOutput = out
        app.standardError = err
        try app.run()
        var text = ""
        // stderr's warning is written before the lines that follow "listening on".
        while !text.contains("test mode:") {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            text += String(decoding: chunk, as: UTF8.self)
        }
        app.terminate()
        app.waitUntilExit()
        let warning = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(text.hasPrefix("listening on http://0.0.0.0:"), "\(text)")
        #expect(warning.contains("WARNING: listening on 0.0.0.0, not loopback") && warning.contains("/_test"), "\(warning)")
    }
}
