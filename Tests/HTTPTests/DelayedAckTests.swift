import Foundation
import TestSupport
import Testing

@testable import HTTP

/// The client against a server that writes the head and the body of each response as separate
/// segments with Nagle on (Python's http.server). A client that delays its ACK of the head waits
/// ~40 ms for the body on every request over a reused connection.
@Suite struct DelayedAckTests {
    /// Starts Tests/interop/write_twice_server.py (standard library only) and returns its port.
    final class WriteTwiceServer {
        let process = Process()
        let input = Pipe()
        let port: UInt16

        init() throws {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["python3", Interop.root.appendingPathComponent("Tests/interop/write_twice_server.py").path]
            let output = Pipe()
            process.standardOutput = output
            process.standardInput = input
            try process.run()
            // The server prints one line once it listens; reading it is the readiness signal.
            var line: [UInt8] = []
            while let byte = try output.fileHandleForReading.read(upToCount: 1)?.first, byte != 0x0A { line.append(byte) }
            let words = String(decoding: line, as: UTF8.self).split(separator: " ")
            guard words.count == 2, words[0] == "listening", let port = UInt16(words[1]) else {
                throw TestFailure("write_twice_server.py did not announce a port: '\(String(decoding: line, as: UTF8.self))'")
            }
            self.port = port
        }

        deinit {
            try? input.fileHandleForWriting.close()
            process.waitUntilExit()
        }
    }

    static var pythonAvailable: Bool { FileManager.default.isExecutableFile(atPath: "/usr/bin/python3") }

    /// 100 keep-alive requests must fit in a 2 s budget: with the stall they need ≥ 4 s, without
    /// it ~50 ms, so the bound tells the two apart with a wide margin on a loaded machine.
    @Test(.enabled(if: pythonAvailable), arguments: ["GET", "POST"])
    func reusedConnectionDoesNotStallOnASplitResponse(method: String) throws {
        let server = try WriteTwiceServer()
        let client = HTTPClient()
        let url = "http://127.0.0.1:\(server.port)/ping"
        let request =
            method == "GET"
            ? ClientRequest.get(url) : ClientRequest(method: "POST", url: url, json: ["token": .string(String(repeating: "t", count: 900))])
        _ = try client.send(request)  // opens the connection
        let budget = ContinuousClock.now + .seconds(2)
        let started = ContinuousClock.now
        var completed = 0
        while completed < 100, ContinuousClock.now < budget {
            let response = try client.send(request)
            #expect(response.status == 200 && response.body.count > 200)
            completed += 1
        }
        let elapsed = ContinuousClock.now - started
        print("delayed-ACK check (\(method)): \(completed) requests on one connection, \(elapsed / max(completed, 1)) per request")
        #expect(client.openedConnectionCount == 1, "every request must reuse the one connection")
        #expect(completed == 100, "only \(completed) of 100 requests fit in 2 s: the client waits for the response body (delayed ACK × Nagle)")
    }
}
