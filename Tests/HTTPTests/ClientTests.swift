import JSON
import Synchronization
import TestSupport
import Testing

@testable import HTTP

#if canImport(Glibc)
    import Glibc
#endif

/// A listening socket that accepts nothing and never answers.
final class SilentListener {
    let fd: Int32
    let port: UInt16

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        _ = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard listen(fd, 16) == 0 else { throw TestFailure("listen failed") }
        var bound = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &bound) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        self.fd = fd
        port = UInt16(bigEndian: bound.sin_port)
    }

    deinit { close(fd) }
}

@Suite struct ClientTests {
    @Test func readTimeoutAgainstASilentServer() throws {
        let listener = try SilentListener()
        let client = HTTPClient(configuration: .init(connectTimeout: .seconds(2), readTimeout: .milliseconds(200)))
        #expect(throws: HTTPClientError.readTimeout) {
            try client.send(.get("http://127.0.0.1:\(listener.port)/"))
        }
    }

    @Test func connectionRefusedOnAClosedPort() throws {
        // Bind a port, then close it: nothing listens there now.
        let port: UInt16
        do {
            let listener = try SilentListener()
            port = listener.port
        }
        let client = HTTPClient()
        #expect(throws: HTTPClientError.connectionRefused(host: "127.0.0.1", port: port)) {
            try client.send(.get("http://127.0.0.1:\(port)/"))
        }
    }

    /// A value resolved at run time (an app's answer copied into a header) must never split the
    /// runner's own request: refused before any byte is sent, on both send paths.
    @Test func aMethodOrHeaderThatWouldSplitTheRequestIsNeverSent() throws {
        let listener = try SilentListener()
        let client = HTTPClient(configuration: .init(connectTimeout: .seconds(2), readTimeout: .milliseconds(200)))
        let url = "http://127.0.0.1:\(listener.port)/"
        let unsafe: [ClientRequest] = [
            ClientRequest(method: "GET / HTTP/1.1\r\nX-Injected: 1\r\n\r\nGET", url: url),
            ClientRequest(method: "", url: url),
            .get(url, headers: ["Authorization": "Bearer x\r\nX-Injected: 1"]),
            .get(url, headers: ["X-Note": "nul\u{0}byte"]),
            .get(url, headers: ["Bad Name": "v"]),
        ]
        for request in unsafe {
            #expect(
                performing: { try client.send(request) },
                throws: { error in
                    if case HTTPClientError.unsafeRequest = error { return true } else { return false }
                })
        }
        for result in client.sendConcurrently(unsafe) {
            guard case .failure(.unsafeRequest) = result else {
                Issue.record("expected unsafeRequest, got \(result)")
                continue
            }
        }
        #expect(client.openedConnectionCount == 0, "no connection is opened for a request that is refused")
    }

    @Test func invalidURLs() {
        let client = HTTPClient()
        for url in ["https://127.0.0.1/", "127.0.0.1:80/", "http://", "http://host:99999/", "http://a@b/", "http://h:x/"] {
            #expect(throws: HTTPClientError.invalidURL(url)) { try client.send(.get(url)) }
        }
        #expect(throws: HTTPClientError.self) { try client.send(.get("http://no-such-host.invalid/")) }
        let parsed = try? ParsedURL("http://localhost:8080?x=1#frag")
        #expect(parsed?.target == "/?x=1")
        #expect(parsed?.port == 8080)
    }

    @Test func redirectsAreNotFollowedByDefault() throws {
        let (server, port) = try startServer()
        defer { server.stop() }
        let plain = HTTPClient()
        let response = try plain.send(.get("http://127.0.0.1:\(port)/redirect"))
        #expect(response.status == 302)
        #expect(response.headers["Location"] == "/hello")
        let following = HTTPClient(configuration: .init(followRedirects: true))
        let followed = try following.send(.get("http://127.0.0.1:\(port)/redirect"))
        #expect(followed.status == 200 && followed.bodyText == "hello")
    }

    @Test func aFollowedRedirectKeepsCredentialsOnTheSameOriginOnly() throws {
        var other = Router()
        other.get("/auth") { request in
            .json(["authorization": .string(request.headers["Authorization"] ?? ""), "cookie": .string(request.headers["Cookie"] ?? "")])
        }
        let (otherServer, otherPort) = try startServer(responder: other.freeze())
        defer { otherServer.stop() }
        var router = Router()
        router.get("/auth") { request in
            .json(["authorization": .string(request.headers["Authorization"] ?? ""), "cookie": .string(request.headers["Cookie"] ?? "")])
        }
        router.get("/same") { _ in .redirect(to: "/auth") }
        router.get("/away") { _ in .redirect(to: "http://127.0.0.1:\(otherPort)/auth") }
        let (server, port) = try startServer(responder: router.freeze())
        defer { server.stop() }
        let client = HTTPClient(configuration: .init(followRedirects: true))
        let credentials: HTTPHeaders = ["Authorization": "Bearer secret", "Cookie": "session=1"]
        let same = try client.send(.get("http://127.0.0.1:\(port)/same", headers: credentials)).json()
        #expect(same == ["authorization": "Bearer secret", "cookie": "session=1"])
        let away = try client.send(.get("http://127.0.0.1:\(port)/away", headers: credentials)).json()
        #expect(away == ["authorization": "", "cookie": ""])
    }

    @Test func redirectLoopsStop() throws {
        var router = Router()
        router.get("/loop") { _ in .redirect(to: "/loop") }
        let (server, port) = try startServer(responder: router.freeze())
        defer { server.stop() }
        let client = HTTPClient(configuration: .init(followRedirects: true, maxRedirects: 3))
        #expect(throws: HTTPClientError.tooManyRedirects(3)) { try client.send(.get("http://127.0.0.1:\(port)/loop")) }
    }

    @Test func retriesOnceWhenAPooledConnectionWasClosed() throws {
        var configuration = HTTPServer.Configuration()
        configuration.idleTimeout = .milliseconds(100)
        let (server, port) = try startServer(configuration: configuration)
        defer { server.stop() }
        let client = HTTPClient()
        #expect(try client.send(.get("http://127.0.0.1:\(port)/hello")).status == 200)
        // Wait (bounded) for the server to close the idle connection.
        for _ in 0..<5000 where server.activeConnectionCount > 0 { usleep(1000) }
        #expect(try client.send(.get("http://127.0.0.1:\(port)/hello")).status == 200)
        #expect(client.openedConnectionCount == 2)
    }

    @Test func parsesChunkedAndUntilCloseResponses() {
        func parse(_ text: String, head: Bool = false) -> (ClientResponse, Bool)? {
            var parser = HTTPResponseParser(limits: HTTPClient.Configuration().limits, isHeadRequest: head)
            parser.feed(Array(text.utf8))
            switch parser.next() {
            case .response(let response, let reusable): return (response, reusable)
            case .needMore:
                if case .response(let response, let reusable) = parser.finishAtEOF() { return (response, reusable) }
                return nil
            case .error: return nil
            }
        }
        let chunked = parse("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nWiki\r\n5\r\npedia\r\n0\r\n\r\n")
        #expect(chunked?.0.bodyText == "Wikipedia")
        #expect(chunked?.1 == true)
        let untilClose = parse("HTTP/1.0 200 OK\r\n\r\nstream")
        #expect(untilClose?.0.bodyText == "stream")
        #expect(untilClose?.1 == false)
        #expect(parse("HTTP/1.1 200 OK\nContent-Length: 0\n\n") == nil)
        #expect(parse("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab") == nil)
        #expect(parse("HTTP/1.1 204 No Content\r\n\r\n")?.0.status == 204)
    }

    @Test func sendConcurrentlyOverlapsAllRequests() throws {
        let count = 32
        let inFlight = Atomic<Int>(0)
        let maxInFlight = Atomic<Int>(0)
        let arrived = Atomic<Int>(0)
        let (server, port) = try startServer(
            responder: ClosureResponder { request in
                let now = inFlight.add(1, ordering: .sequentiallyConsistent).newValue
                var seen = maxInFlight.load(ordering: .sequentiallyConsistent)
                while now > seen {
                    let (exchanged, original) = maxInFlight.compareExchange(expected: seen, desired: now, ordering: .sequentiallyConsistent)
                    if exchanged { break }
                    seen = original
                }
                arrived.add(1, ordering: .sequentiallyConsistent)
                // Hold until all N arrived, bounded (5 s).
                for _ in 0..<5000 where arrived.load(ordering: .sequentiallyConsistent) < count { usleep(1000) }
                inFlight.subtract(1, ordering: .sequentiallyConsistent)
                return .json(["path": .string(request.path)])
            })
        defer { server.stop() }
        let client = HTTPClient()
        let requests = (0..<count).map { ClientRequest.get("http://127.0.0.1:\(port)/r/\($0)") }
        let results = client.sendConcurrently(requests)
        #expect(results.count == count)
        for (index, result) in results.enumerated() {
            let response = try result.get()
            #expect(try response.json()["path"] == .string("/r/\(index)"))
        }
        #expect(maxInFlight.load(ordering: .sequentiallyConsistent) == count)
        #expect(server.totalConnectionCount == count)
    }

    @Test func sendConcurrentlyReportsPerRequestFailures() throws {
        let (server, port) = try startServer()
        defer { server.stop() }
        let results = HTTPClient().sendConcurrently([
            .get("http://127.0.0.1:\(port)/hello"), .get("bogus"), .get("http://127.0.0.1:\(port)/json"),
        ])
        #expect(try results[0].get().bodyText == "hello")
        #expect(throws: HTTPClientError.invalidURL("bogus")) { try results[1].get() }
        #expect(try results[2].get().status == 200)
    }
}

@Suite struct FuzzTests {
    static let seeds: [String] = [
        "GET /organizations/org_1?limit=10&after=x HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer sk_test\r\n\r\n",
        "POST /user_management/authenticate HTTP/1.1\r\nHost: h\r\nContent-Type: application/json\r\nContent-Length: 17\r\n\r\n{\"code\":\"abc123\"}",
        "PUT /x HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
        "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /b HTTP/1.1\r\nHost: h\r\n\r\n",
    ]

    @Test func parserSurvivesRandomMutations() {
        var random = SplitMix64(seed: 0xC0FFEE)
        var outcomes = [0, 0, 0]  // request, needMore, error
        for iteration in 0..<4000 {
            var bytes = Array(Self.seeds[iteration % Self.seeds.count].utf8)
            let mutations = Int(random.next() % 8) + 1
            for _ in 0..<mutations {
                guard !bytes.isEmpty else { break }
                let position = Int(random.next() % UInt64(bytes.count))
                switch random.next() % 6 {
                case 0: bytes[position] = UInt8(truncatingIfNeeded: random.next())
                case 1: bytes.remove(at: position)
                case 2: bytes.insert(UInt8(truncatingIfNeeded: random.next()), at: position)
                case 3: bytes.insert(contentsOf: [13, 10], at: position)
                case 4: bytes.insert(contentsOf: Array("Content-Length: 9\r\n".utf8), at: position)
                default: bytes.removeSubrange(position..<min(bytes.count, position + Int(random.next() % 16)))
                }
            }
            // Feed in random-sized pieces; every call must end in one of the three outcomes.
            var parser = HTTPRequestParser()
            var index = 0
            var last: HTTPRequestParser.Result = .needMore
            feeding: while index < bytes.count {
                let size = min(bytes.count - index, Int(random.next() % 64) + 1)
                parser.feed(bytes[index..<(index + size)])
                index += size
                for _ in 0..<100 {
                    last = parser.next()
                    if case .request = last { continue }
                    if case .error = last { break feeding }
                    break
                }
            }
            switch last {
            case .request: outcomes[0] += 1
            case .needMore: outcomes[1] += 1
            case .error(let error):
                outcomes[2] += 1
                #expect((400...599).contains(error.status))
            }
        }
        #expect(outcomes.reduce(0, +) == 4000)
        #expect(outcomes[2] > 0)
    }
}
