import JSON
import Testing

@testable import HTTP

@Suite struct ParserTests {
    static func parseAll(_ bytes: [UInt8], limits: HTTPLimits = .init(), byteByByte: Bool = false) -> [HTTPRequestParser.Result] {
        var parser = HTTPRequestParser(limits: limits)
        var results: [HTTPRequestParser.Result] = []
        func drain() -> Bool {
            for _ in 0..<1000 {
                let result = parser.next()
                switch result {
                case .needMore: return true
                case .request: results.append(result)
                case .error:
                    results.append(result)
                    return false
                }
            }
            return false
        }
        if byteByByte {
            for byte in bytes {
                parser.feed([byte])
                if !drain() { break }
            }
        } else {
            parser.feed(bytes)
            _ = drain()
        }
        return results
    }

    static func single(_ text: String, limits: HTTPLimits = .init()) -> HTTPRequestParser.Result? {
        let all = parseAll(Array(text.utf8), limits: limits)
        return all.first
    }

    static func status(_ text: String, limits: HTTPLimits = .init()) -> Int? {
        if case .error(let error)? = single(text, limits: limits) { return error.status }
        return nil
    }

    @Test func parsesASimpleRequest() throws {
        let text =
            "POST /users/a%20b?x=1&y=a+b&y=c HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 7\r\nX-Multi: 1\r\nx-multi: 2\r\n\r\n{\"a\":1}"
        guard case .request(let request)? = Self.single(text) else {
            Issue.record("expected a request")
            return
        }
        #expect(request.method == "POST")
        #expect(request.target == "/users/a%20b?x=1&y=a+b&y=c")
        #expect(request.path == "/users/a%20b")
        #expect(request.query["x"] == "1")
        #expect(request.query.values("y") == ["a b", "c"])
        #expect(request.headers["content-type"] == "application/json")
        #expect(request.headers.values(for: "X-MULTI") == ["1", "2"])
        #expect(try request.json() == ["a": 1])
        #expect(request.version == .http1_1)
        #expect(request.keepAlive)
    }

    @Test func byteByByteMatchesWholeFeed() {
        let text =
            "GET /a?b=c HTTP/1.1\r\nHost: h\r\n\r\nPOST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabcPOST /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;ext=1\r\nde\r\n0\r\nTrailer: x\r\n\r\n"
        let whole = Self.parseAll(Array(text.utf8))
        let incremental = Self.parseAll(Array(text.utf8), byteByByte: true)
        #expect(whole.count == 3)
        #expect(whole == incremental)
        if case .request(let chunked) = whole.last { #expect(chunked.body == Array("abcde".utf8)) }
    }

    @Test func pipelinedRequestsComeOutInOrder() {
        var text = ""
        for index in 0..<10 { text += "GET /r\(index) HTTP/1.1\r\nHost: h\r\n\r\n" }
        let results = Self.parseAll(Array(text.utf8))
        let paths = results.compactMap { if case .request(let r) = $0 { return r.path } else { return nil } }
        #expect(paths == (0..<10).map { "/r\($0)" })
    }

    @Test func keepAliveSemantics() {
        func request(_ text: String) -> HTTPRequest? {
            if case .request(let r)? = Self.single(text) { return r }
            return nil
        }
        #expect(request("GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n")?.keepAlive == false)
        #expect(request("GET / HTTP/1.0\r\n\r\n")?.keepAlive == false)
        #expect(request("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n")?.keepAlive == true)
        #expect(request("OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n")?.target == "*")
    }

    @Test(
        arguments: [
            ("GET / HTTP/1.1\nHost: h\n\n", 400),  // bare LF
            ("GET / HTTP/1.1\r\nHost: h\r\nX: a\rb\r\n\r\n", 400),  // bare CR
            ("GET / HTTP/1.1\r\nHost: h\r\nX: a\u{0}b\r\n\r\n", 400),  // NUL
            ("GET / HTTP/1.1\r\nHost: h\r\nNoColon\r\n\r\n", 400),
            ("GET / HTTP/1.1\r\nHost: h\r\nX : a\r\n\r\n", 400),  // space before colon
            ("GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n folded\r\n\r\n", 400),  // obs-fold
            ("GET / HTTP/1.1\r\n\r\n", 400),  // no Host
            ("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),
            ("GET  / HTTP/1.1\r\nHost: h\r\n\r\n", 400),
            ("GET / HTTP/1.1 \r\nHost: h\r\n\r\n", 400),
            ("GET / HTTP/1.2\r\nHost: h\r\n\r\n", 505),
            ("GET / HTTP/2.0\r\nHost: h\r\n\r\n", 505),
            ("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 505),
            ("GET / http/1.1\r\nHost: h\r\n\r\n", 400),
            ("GET http://a/ HTTP/1.1\r\nHost: h\r\n\r\n", 400),
            ("GET a/b HTTP/1.1\r\nHost: h\r\n\r\n", 400),
            ("GET * HTTP/1.1\r\nHost: h\r\n\r\n", 400),
            ("G(T / HTTP/1.1\r\nHost: h\r\n\r\n", 400),
            ("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: -1\r\n\r\n", 400),
            ("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: abc\r\n\r\n", 400),
            ("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1 2\r\n\r\n", 400),
            ("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n", 400),
            ("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3, 4\r\n\r\n", 400),
            ("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 2000000\r\n\r\n", 413),
            ("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 99999999999999999999999\r\n\r\n", 413),
            ("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
            ("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n\r\n", 501),
            ("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
            ("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400),
        ] as [(String, Int)])
    func rejectsMalformedRequests(_ text: String, _ expected: Int) {
        #expect(Self.status(text) == expected, "\(text.debugDescription)")
    }

    /// One set of head rules: field lines the server refuses in a request, the client refuses
    /// in a response, and what one accepts the other frames alike.
    @Test(arguments: [
        "X: a\r\n folded\r\n",  // obs-fold
        "X : a\r\n",
        "NoColon\r\n",
        "X: a\u{0}b\r\n",
        "X: a\rb\r\n",
        "X: a\nY: b\r\n",
        "Content-Length: 3\r\nContent-Length: 4\r\n",
        "Content-Length: 3, 4\r\n",
        "Content-Length: -1\r\n",
        "Content-Length: 3\r\nTransfer-Encoding: chunked\r\n",
        "Transfer-Encoding: gzip\r\n",
    ])
    func requestsAndResponsesShareTheHeadRules(_ fields: String) {
        #expect(Self.status("POST / HTTP/1.1\r\nHost: h\r\n" + fields + "\r\nabc") != nil, "\(fields.debugDescription)")
        var parser = HTTPResponseParser(limits: HTTPLimits(), isHeadRequest: false)
        parser.feed(Array(("HTTP/1.1 200 OK\r\n" + fields + "\r\nabc").utf8))
        guard case .error = parser.next() else {
            Issue.record("the response parser accepted \(fields.debugDescription)")
            return
        }
    }

    @Test func agreeingContentLengthsFrameBothKindsOfMessage() {
        let fields = "Content-Length: 3, 3\r\ncontent-length: 3\r\n\r\nabc"
        guard case .request(let request)? = Self.single("POST / HTTP/1.1\r\nHost: h\r\n" + fields) else {
            Issue.record("expected a request")
            return
        }
        var parser = HTTPResponseParser(limits: HTTPLimits(), isHeadRequest: false)
        parser.feed(Array(("HTTP/1.1 200 OK\r\n" + fields).utf8))
        guard case .response(let response, _) = parser.next() else {
            Issue.record("expected a response")
            return
        }
        #expect(request.body == response.body)
    }

    /// A parse error names its own status; the server renders it as it renders handler errors.
    @Test func parseErrorsCarryTheirStatus() throws {
        #expect(Self.status("GET /" + String(repeating: "a", count: 9000) + " HTTP/1.1\r\nHost: h\r\n\r\n") == 414)
        let error = HTTPParseError(.uriTooLong, "request-target longer than 8192 bytes")
        #expect(error.response.status == 414)
        #expect(try error.response.json()["code"] == "uri_too_long")
        #expect(error.isOverLimit)
        #expect(!HTTPParseError.badRequest("x").isOverLimit)
    }

    @Test func acceptsDuplicateIdenticalContentLength() {
        let text = "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nhi"
        guard case .request(let request)? = Self.single(text) else {
            Issue.record("expected a request")
            return
        }
        #expect(request.body == Array("hi".utf8))
    }

    @Test func limits() {
        let bigHeader = "GET / HTTP/1.1\r\nHost: h\r\nX: " + String(repeating: "a", count: 20 * 1024) + "\r\n\r\n"
        #expect(Self.status(bigHeader) == 431)
        var many = "GET / HTTP/1.1\r\nHost: h\r\n"
        for index in 0..<10_000 { many += "X-\(index): v\r\n" }
        #expect(Self.status(many + "\r\n") == 431)
        // Exactly at the header-count limit is fine.
        var hundred = "GET / HTTP/1.1\r\nHost: h\r\n"
        for index in 0..<99 { hundred += "X-\(index): v\r\n" }
        if case .request? = Self.single(hundred + "\r\n") {} else { Issue.record("100 headers must pass") }
        let longMethod = String(repeating: "A", count: 10_000) + " / HTTP/1.1\r\nHost: h\r\n\r\n"
        #expect(Self.status(longMethod) == 400)
        let longTarget = "GET /" + String(repeating: "a", count: 9000) + " HTTP/1.1\r\nHost: h\r\n\r\n"
        #expect(Self.status(longTarget) == 414)
        var small = HTTPLimits()
        small.maxBodySize = 4
        let chunked = "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n3\r\ndef\r\n0\r\n\r\n"
        #expect(Self.status(chunked, limits: small) == 413)
        small.allowChunkedRequests = false
        #expect(Self.status(chunked, limits: small) == 411)
    }

    @Test func errorsAreDetectedBeforeTheHeadEnds() {
        // No terminating empty line: the parser must still fail fast instead of waiting.
        #expect(Self.status("GET / HTTP/1.1\nHost") == 400)
        #expect(Self.status("GET / HTTP/1.1\r\nHost: \u{1}") == 400)
        #expect(Self.status(String(repeating: "M", count: 100)) == 400)
        #expect(Self.status("GET / HTTP/9\r\n") == 400)
    }

    @Test func queryParameters() {
        let query = QueryParameters(parsing: "statuses=a,b&statuses=c&x=%E2%9C%93&plus=1+2&empty&bad=%zz")
        #expect(query.list("statuses") == ["a", "b", "c"])
        #expect(query.values("statuses") == ["a,b", "c"])
        #expect(query["x"] == "✓")
        #expect(query["plus"] == "1 2")
        #expect(query["empty"] == "")
        #expect(query["bad"] == "%zz")
        #expect(query["missing"] == nil)
        let encoded = QueryParameters.encode([("a b", "c&d=e"), ("x", "✓")])
        #expect(encoded == "a%20b=c%26d%3De&x=%E2%9C%93")
        #expect(QueryParameters(parsing: encoded).pairs.map(\.value) == ["c&d=e", "✓"])
    }

    @Test func requestHelpers() {
        var request = HTTPRequest(method: "POST", target: "/t", form: [("grant_type", "authorization_code"), ("code", "a b")])
        #expect(request.form()["code"] == "a b")
        #expect(request.contentType == "application/x-www-form-urlencoded")
        request.headers["Authorization"] = "bearer  tok123 "
        #expect(request.bearerToken == "tok123")
        request.headers["Authorization"] = "Basic abc"
        #expect(request.bearerToken == nil)
        var headers: HTTPHeaders = ["A": "1", "b": "2", "a": "3"]
        #expect(headers["a"] == "1")
        headers.replace("A", with: "9")
        #expect(headers.values(for: "a") == ["9"])
        headers.remove("B")
        #expect(headers.count == 1)
    }
}
