import HTTP
import JSON
import Synchronization
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite struct ServerTests {
    @Test func jsonRoundTripAndRouting() throws {
        let (server, port) = try startServer()
        defer { server.stop() }
        let client = HTTPClient()
        let created = try client.send(ClientRequest(method: "POST", url: "http://127.0.0.1:\(port)/echo", json: ["name": "acme", "n": [1, 2]]))
        #expect(created.status == 201)
        #expect(try created.json()["received"] == ["name": "acme", "n": [1, 2]])
        #expect(created.headers["Date"] != nil)
        let user = try client.send(.get("http://localhost:\(port)/users/u%201"))
        #expect(try user.json()["id"] == "u 1")
        let missing = try client.send(.get("http://127.0.0.1:\(port)/missing"))
        #expect(missing.status == 404)
        let head = try client.send(ClientRequest(method: "HEAD", url: "http://127.0.0.1:\(port)/hello"))
        #expect(head.status == 200 && head.body.isEmpty && head.headers["Content-Length"] == "5")
    }

    @Test func keepAliveServesManyRequestsOnOneConnection() throws {
        let (server, port) = try startServer()
        defer { server.stop() }
        let client = HTTPClient()
        for index in 0..<100 {
            let response = try client.send(.get("http://127.0.0.1:\(port)/users/\(index)"))
            #expect(response.status == 200)
        }
        #expect(server.totalConnectionCount == 1)
        #expect(client.openedConnectionCount == 1)
        #expect(server.totalRequestCount == 100)
    }

    @Test func connectionCloseIsHonoured() throws {
        let (server, port) = try startServer()
        defer { server.stop() }
        let connection = try RawConnection(port: port)
        connection.write("GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        let (bytes, closed) = connection.readUntilClose()
        #expect(closed)
        #expect(statusCode(bytes) == 200)
        #expect(String(decoding: bytes, as: UTF8.self).contains("Connection: close\r\n"))
        // HTTP/1.0 closes by default.
        let old = try RawConnection(port: port)
        old.write("GET /hello HTTP/1.0\r\n\r\n")
        let (oldBytes, oldClosed) = old.readUntilClose()
        #expect(oldClosed && statusCode(oldBytes) == 200)
        // A handler asking to close.
        let client = HTTPClient()
        #expect(try client.send(.get("http://127.0.0.1:\(port)/close")).headers["Connection"] == "close")
        #expect(try client.send(.get("http://127.0.0.1:\(port)/hello")).status == 200)
        #expect(client.openedConnectionCount == 2)
    }

    @Test func pipelinedRequestsOnOneSocket() throws {
        let (server, port) = try startServer()
        defer { server.stop() }
        let connection = try RawConnection(port: port)
        connection.write(
            "GET /users/1 HTTP/1.1\r\nHost: x\r\n\r\nGET /users/2 HTTP/1.1\r\nHost: x\r\n\r\nGET /users/3 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        )
        let (bytes, closed) = connection.readUntilClose()
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(closed)
        #expect(text.components("HTTP/1.1 200 OK") == 3)
        #expect(text.contains(#"{"id":"1"}"#) && text.contains(#"{"id":"3"}"#))
    }

    @Test func concurrentClients() throws {
        let (server, port) = try startServer()
        defer { server.stop() }
        let client = HTTPClient()
        let failures = Atomic<Int>(0)
        let threads = 8
        let done = Atomic<Int>(0)
        for thread in 0..<threads {
            spawnThread {
                for index in 0..<50 {
                    let response = try? client.send(.get("http://127.0.0.1:\(port)/users/\(thread)-\(index)"))
                    if response?.status != 200 { failures.add(1, ordering: .relaxed) }
                }
                done.add(1, ordering: .relaxed)
            }
        }
        for _ in 0..<20_000 where done.load(ordering: .relaxed) < threads { usleep(1000) }
        #expect(done.load(ordering: .relaxed) == threads)
        #expect(failures.load(ordering: .relaxed) == 0)
    }

    @Test func observerSeesEveryRequest() throws {
        let seen = Mutex<[String]>([])
        let (server, port) = try startServer(onRequestCompleted: { request, response in
            seen.withLock { $0.append("\(request.method) \(request.path) \(response.status)") }
        })
        defer { server.stop() }
        let client = HTTPClient()
        _ = try client.send(.get("http://127.0.0.1:\(port)/hello"))
        _ = try client.send(.get("http://127.0.0.1:\(port)/nope"))
        #expect(seen.withLock { $0 } == ["GET /hello 200", "GET /nope 404"])
    }

    @Test func dropConnectionClosesWithoutAnswer() throws {
        let (server, port) = try startServer()
        defer { server.stop() }
        let connection = try RawConnection(port: port)
        connection.write("GET /drop HTTP/1.1\r\nHost: x\r\n\r\n")
        let (bytes, closed) = connection.readUntilClose()
        #expect(closed && bytes.isEmpty)
        var configuration = HTTPClient.Configuration()
        configuration.retryStaleConnections = false
        let client = HTTPClient(configuration: configuration)
        #expect(throws: HTTPClientError.closedBeforeResponse) { try client.send(.get("http://127.0.0.1:\(port)/drop")) }
        try expectHealthy(port)
    }

    // MARK: - The bad-input battery

    static let badInputs: [(String, [UInt8])] = {
        var cases: [(String, [UInt8])] = []
        func add(_ name: String, _ text: String) { cases.append((name, Array(text.utf8))) }
        add("bad request line", "GET\r\n\r\n")
        add("no colon", "GET / HTTP/1.1\r\nHost: x\r\nNoColonHere\r\n\r\n")
        add("space before colon", "GET / HTTP/1.1\r\nHost : x\r\n\r\n")
        add("20 KiB header", "GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + String(repeating: "b", count: 20 * 1024) + "\r\n\r\n")
        var many = "GET / HTTP/1.1\r\nHost: x\r\n"
        for index in 0..<10_000 { many += "X-\(index): v\r\n" }
        add("10,000 headers", many + "\r\n")
        add("negative Content-Length", "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n")
        add("non-numeric Content-Length", "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: ten\r\n\r\n")
        add(
            "oversized Content-Length", "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 2000000\r\n\r\n" + String(repeating: "z", count: 64 * 1024)
        )
        add("conflicting Content-Length", "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab")
        add("bare LF", "GET / HTTP/1.1\nHost: x\n\n")
        add("NUL byte", "GET / HTTP/1.1\r\nHost: x\r\nX: a\u{0}b\r\n\r\n")
        add("HTTP/2 preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")
        add("absurd method", String(repeating: "GETGETGET", count: 2000) + " / HTTP/1.1\r\nHost: x\r\n\r\n")
        add("no leading slash", "GET hello HTTP/1.1\r\nHost: x\r\n\r\n")
        add("absolute form", "GET http://example.com/ HTTP/1.1\r\nHost: x\r\n\r\n")
        add("TE and CL", "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n")
        add("unknown TE", "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: br\r\n\r\n")
        add("obs-fold", "GET / HTTP/1.1\r\nHost: x\r\nX: a\r\n  b\r\n\r\n")
        var generator = SplitMix64(seed: 42)
        var garbage: [UInt8] = []
        for _ in 0..<4096 { garbage.append(UInt8(truncatingIfNeeded: generator.next())) }
        cases.append(("random garbage", garbage))
        return cases
    }()

    @Test func badInputBattery() throws {
        let (server, port) = try startServer()
        defer { server.stop() }
        for (name, bytes) in Self.badInputs {
            let connection = try RawConnection(port: port)
            connection.write(bytes)
            let (response, closed) = connection.readUntilClose()
            let status = statusCode(response)
            #expect(
                status.map { (400...599).contains($0) } == true,
                "\(name): got \(String(decoding: response.prefix(80), as: UTF8.self).debugDescription)")
            #expect(closed, "\(name): connection not closed")
            try expectHealthy(port)
        }
    }

    @Test func truncatedBodyThenClientCloses() throws {
        let (server, port) = try startServer()
        defer { server.stop() }
        let connection = try RawConnection(port: port)
        connection.write("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"partial\":")
        connection.shutdownWrite()
        let (bytes, closed) = connection.readUntilClose()
        #expect(closed)
        #expect(bytes.isEmpty)
        try expectHealthy(port)
    }

    @Test func headerReadTimeoutClosesSlowClients() throws {
        var configuration = HTTPServer.Configuration()
        configuration.headerReadTimeout = .milliseconds(200)
        let (server, port) = try startServer(configuration: configuration)
        defer { server.stop() }
        let connection = try RawConnection(port: port)
        connection.write("GET /hello HTTP/1.1\r\nHo")
        let (bytes, closed) = connection.readUntilClose(timeoutMilliseconds: 10_000)
        #expect(closed)
        #expect(statusCode(bytes) == 408)
        // A connection that sends nothing at all is closed too (silently).
        let silent = try RawConnection(port: port)
        let (silentBytes, silentClosed) = silent.readUntilClose(timeoutMilliseconds: 10_000)
        #expect(silentClosed && silentBytes.isEmpty)
        try expectHealthy(port)
    }

    @Test func idleKeepAliveTimeout() throws {
        var configuration = HTTPServer.Configuration()
        configuration.idleTimeout = .milliseconds(200)
        let (server, port) = try startServer(configuration: configuration)
        defer { server.stop() }
        let connection = try RawConnection(port: port)
        connection.write("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(connection.readResponse()?.hasPrefix("HTTP/1.1 200") == true)
        let (_, closed) = connection.readUntilClose(timeoutMilliseconds: 10_000)
        #expect(closed)
    }

    @Test func connectionCapRefusesCleanly() throws {
        var configuration = HTTPServer.Configuration()
        configuration.maxConnections = 8
        let (server, port) = try startServer(configuration: configuration)
        defer { server.stop() }
        var held: [RawConnection] = []
        for _ in 0..<8 {
            let connection = try RawConnection(port: port)
            connection.write("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(connection.readResponse()?.hasPrefix("HTTP/1.1 200") == true)
            held.append(connection)
        }
        #expect(server.activeConnectionCount == 8)
        let ninth = try RawConnection(port: port)
        let (bytes, closed) = ninth.readUntilClose()
        #expect(statusCode(bytes) == 503)
        #expect(closed)
        held.removeLast()  // closes one
        var served = false
        for _ in 0..<2000 where !served {
            if server.activeConnectionCount < 8 {
                let again = try RawConnection(port: port)
                again.write("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
                served = again.readResponse()?.hasPrefix("HTTP/1.1 200") == true
            } else {
                usleep(1000)
            }
        }
        #expect(served)
    }

    @Test func holdsOverAThousandConcurrentConnections() throws {
        let (server, port) = try startServer()
        defer { server.stop() }
        let count = 1100
        var connections: [RawConnection] = []
        connections.reserveCapacity(count)
        for _ in 0..<count { connections.append(try RawConnection(port: port)) }
        for connection in connections { connection.write("GET /json HTTP/1.1\r\nHost: x\r\n\r\n") }
        var answered = 0
        var failures: [String] = []
        for connection in connections {
            let response = connection.readResponse()
            if response?.hasPrefix("HTTP/1.1 200") == true { answered += 1 } else { failures.append(response ?? "nil") }
        }
        #expect(answered == count, "failures: \(failures.prefix(3))")
        #expect(server.activeConnectionCount == count)
    }

    @Test func gracefulStopFinishesInFlightRequests() throws {
        let release = Atomic<Bool>(false)
        let entered = Atomic<Bool>(false)
        let server = HTTPServer { _ in
            entered.store(true, ordering: .sequentiallyConsistent)
            for _ in 0..<5000 where !release.load(ordering: .sequentiallyConsistent) { usleep(1000) }
            return .text("finished")
        }
        let port = try server.start()
        let idle = try RawConnection(port: port)
        idle.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        let busy = try RawConnection(port: port)
        // The idle connection is answered first (the gate is open only for it).
        release.store(true, ordering: .sequentiallyConsistent)
        #expect(idle.readResponse()?.hasPrefix("HTTP/1.1 200") == true)
        release.store(false, ordering: .sequentiallyConsistent)
        entered.store(false, ordering: .sequentiallyConsistent)
        busy.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        for _ in 0..<5000 where !entered.load(ordering: .sequentiallyConsistent) { usleep(1000) }
        spawnThread {
            usleep(50_000)
            release.store(true, ordering: .sequentiallyConsistent)
        }
        server.stop()
        let (busyBytes, busyClosed) = busy.readUntilClose()
        #expect(statusCode(busyBytes) == 200)
        #expect(String(decoding: busyBytes, as: UTF8.self).contains("Connection: close"))
        #expect(busyClosed)
        let (_, idleClosed) = idle.readUntilClose()
        #expect(idleClosed)
        #expect(server.activeConnectionCount == 0)
        #expect(throws: (any Error).self) { _ = try RawConnection(port: port) }
    }
}

extension String {
    func components(_ separator: String) -> Int {
        var count = 0
        var rest = Substring(self)
        while let range = rest.firstRange(of: separator) {
            count += 1
            rest = rest[range.upperBound...]
        }
        return count
    }
}

/// Starts a detached POSIX thread (tests must not block the cooperative pool).
func spawnThread(_ body: @escaping @Sendable () -> Void) {
    final class Box {
        let body: () -> Void
        init(_ b: @escaping () -> Void) { body = b }
    }
    var thread = pthread_t()
    let context = Unmanaged.passRetained(Box(body)).toOpaque()
    pthread_create(
        &thread, nil,
        { arg in
            Unmanaged<Box>.fromOpaque(arg!).takeRetainedValue().body()
            return nil
        }, context)
    pthread_detach(thread)
}
