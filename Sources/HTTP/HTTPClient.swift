#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Synchronization
import JSON

/// A request for `HTTPClient`. `url` is `http://host[:port]/path?query` (http only, no TLS).
public struct ClientRequest: Sendable, Hashable {
    public var method: String
    public var url: String
    public var headers: HTTPHeaders
    public var body: [UInt8]

    public init(method: String = "GET", url: String, headers: HTTPHeaders = [:], body: [UInt8] = []) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
    }

    public static func get(_ url: String, headers: HTTPHeaders = [:]) -> ClientRequest {
        ClientRequest(method: "GET", url: url, headers: headers)
    }

    /// A JSON body with `Content-Type: application/json`.
    public init(method: String, url: String, json: JSONValue, headers: HTTPHeaders = [:]) {
        var headers = headers
        if !headers.contains("Content-Type") { headers.add("Content-Type", "application/json") }
        self.init(method: method, url: url, headers: headers, body: json.serialized())
    }

    /// A form body with `Content-Type: application/x-www-form-urlencoded`.
    public init(method: String, url: String, form: [(name: String, value: String)], headers: HTTPHeaders = [:]) {
        var headers = headers
        if !headers.contains("Content-Type") { headers.add("Content-Type", "application/x-www-form-urlencoded") }
        self.init(method: method, url: url, headers: headers, body: Array(QueryParameters.encode(form).utf8))
    }
}

public struct ClientResponse: Sendable, Hashable {
    public var status: Int
    public var version: HTTPVersion
    public var headers: HTTPHeaders
    public var body: [UInt8]

    public init(status: Int, version: HTTPVersion = .http1_1, headers: HTTPHeaders = [:], body: [UInt8] = []) {
        self.status = status
        self.version = version
        self.headers = headers
        self.body = body
    }

    public func json() throws(JSONError) -> JSONValue { try JSONValue.parse(body) }
    public var bodyText: String { String(decoding: body, as: UTF8.self) }
}

public enum HTTPClientError: Error, Sendable, Hashable, CustomStringConvertible {
    case invalidURL(String)
    case hostNotFound(String)
    case connectionRefused(host: String, port: UInt16)
    case connectTimeout(host: String, port: UInt16)
    case connectFailed(host: String, port: UInt16, reason: String)
    case writeFailed(String)
    case readTimeout
    case connectionReset
    case closedBeforeResponse
    case malformedResponse(String)
    case responseTooLarge(String)
    case tooManyRedirects(Int)
    case resourceExhausted(String)

    public var description: String {
        switch self {
        case .invalidURL(let url):
            return "invalid URL '\(url)': expected http://host[:port]/path (http only; https is not supported)"
        case .hostNotFound(let host):
            return "cannot resolve host '\(host)' to an IPv4 address"
        case .connectionRefused(let host, let port):
            return "connection refused by \(host):\(port): is the server running and listening on that port?"
        case .connectTimeout(let host, let port):
            return "connecting to \(host):\(port) timed out: the host is unreachable or its backlog is full"
        case .connectFailed(let host, let port, let reason):
            return "connecting to \(host):\(port) failed: \(reason)"
        case .writeFailed(let reason):
            return "sending the request failed: \(reason) (the server closed the connection?)"
        case .readTimeout:
            return "no complete response within the read timeout: the server is slow or hung (raise readTimeout?)"
        case .connectionReset:
            return "the server reset the connection before the response was complete"
        case .closedBeforeResponse:
            return "the server closed the connection without sending a response"
        case .malformedResponse(let reason):
            return "malformed HTTP response: \(reason)"
        case .responseTooLarge(let reason):
            return "response too large: \(reason) (raise the client's limits?)"
        case .tooManyRedirects(let count):
            return "stopped after \(count) redirects (a redirect loop?)"
        case .resourceExhausted(let reason):
            return "out of resources: \(reason)"
        }
    }
}

struct ParsedURL: Sendable, Hashable {
    var host: String
    var port: UInt16
    /// Path and query (origin-form), at least `/`.
    var target: String

    var hostHeader: String { port == 80 ? host : "\(host):\(port)" }
    var poolKey: String { "\(host):\(port)" }

    /// `http://host[:port][/path][?query][#fragment]`; the fragment is dropped.
    init(_ url: String) throws(HTTPClientError) {
        let lower = url.prefix(7).lowercased()
        guard lower == "http://" else { throw .invalidURL(url) }
        var rest = url.dropFirst(7)
        if let hash = rest.firstIndex(of: "#") { rest = rest[..<hash] }
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" } ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        var path = String(rest[authorityEnd...])
        if path.isEmpty { path = "/" } else if path.hasPrefix("?") { path = "/" + path }
        guard !authority.isEmpty, !authority.contains("@"), !authority.hasPrefix("[") else { throw .invalidURL(url) }
        if let colon = authority.lastIndex(of: ":") {
            host = String(authority[..<colon])
            let portText = authority[authority.index(after: colon)...]
            guard !portText.isEmpty, portText.allSatisfy(\.isASCII), let port = UInt16(portText), port > 0 else {
                throw .invalidURL(url)
            }
            self.port = port
        } else {
            host = String(authority)
            port = 80
        }
        guard !host.isEmpty, path.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else { throw .invalidURL(url) }
        target = path
    }
}

/// A blocking HTTP/1.1 client for plain http, safe to share between threads.
///
/// Keeps idle keep-alive connections per host and retries once when a pooled connection turns out
/// to be closed before any response byte arrives. Redirects are not followed unless configured.
public final class HTTPClient: Sendable {
    public struct Configuration: Sendable {
        public var connectTimeout: Duration = .seconds(5)
        /// Per read (and per blocked write): the longest silence tolerated.
        public var readTimeout: Duration = .seconds(30)
        public var followRedirects: Bool = false
        public var maxRedirects: Int = 5
        public var maxIdleConnectionsPerHost: Int = 16
        /// Retry once on a pooled connection that closed before any response byte. Note: that
        /// resends the request, even a POST, so a server that drops connections on purpose sees it
        /// twice. Turn off for fault-injection runs that count requests.
        public var retryStaleConnections: Bool = true
        public var limits: HTTPLimits = {
            var limits = HTTPLimits()
            limits.maxHeadSize = 64 * 1024
            limits.maxHeaderCount = 256
            limits.maxBodySize = 64 << 20
            return limits
        }()

        public init(
            connectTimeout: Duration = .seconds(5), readTimeout: Duration = .seconds(30),
            followRedirects: Bool = false, maxRedirects: Int = 5
        ) {
            self.connectTimeout = connectTimeout
            self.readTimeout = readTimeout
            self.followRedirects = followRedirects
            self.maxRedirects = maxRedirects
        }
    }

    public let configuration: Configuration
    private let pool = Mutex<[String: [Int32]]>([:])
    private let connectionsOpened = Atomic<Int>(0)

    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
        signal(SIGPIPE, SIG_IGN)
    }

    deinit { closeIdleConnections() }

    /// Fresh TCP connections this client has opened (pooled reuse does not count).
    public var openedConnectionCount: Int { connectionsOpened.load(ordering: .relaxed) }

    public func closeIdleConnections() {
        let all = pool.withLock { pool -> [Int32] in
            defer { pool.removeAll() }
            return pool.values.flatMap { $0 }
        }
        for fd in all { close(fd) }
    }

    // MARK: - Sending

    public func send(_ request: ClientRequest) throws(HTTPClientError) -> ClientResponse {
        var current = request
        var redirects = 0
        while true {
            let url = try ParsedURL(current.url)
            let response = try perform(current, url)
            guard configuration.followRedirects, [301, 302, 303, 307, 308].contains(response.status),
                let location = response.headers["Location"]
            else { return response }
            redirects += 1
            if redirects > configuration.maxRedirects { throw .tooManyRedirects(configuration.maxRedirects) }
            current.url = Self.resolve(location, against: url)
            if response.status == 303 || ((response.status == 301 || response.status == 302) && current.method == "POST") {
                if current.method != "HEAD" { current.method = "GET" }
                current.body = []
                current.headers.remove("Content-Type")
                current.headers.remove("Content-Length")
            }
        }
    }

    static func resolve(_ location: String, against base: ParsedURL) -> String {
        if location.lowercased().hasPrefix("http://") || location.lowercased().hasPrefix("https://") { return location }
        if location.hasPrefix("//") { return "http:" + location }
        if location.hasPrefix("/") { return "http://\(base.host):\(base.port)\(location)" }
        var directory = base.target
        if let question = directory.firstIndex(of: "?") { directory = String(directory[..<question]) }
        if let slash = directory.lastIndex(of: "/") { directory = String(directory[...slash]) }
        return "http://\(base.host):\(base.port)\(directory)\(location)"
    }

    static func encode(_ request: ClientRequest, _ url: ParsedURL) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256 + request.body.count)
        out.append(contentsOf: request.method.utf8)
        out.append(sp)
        out.append(contentsOf: url.target.utf8)
        out.append(contentsOf: " HTTP/1.1\r\n".utf8)
        func field(_ name: String, _ value: String) {
            out.append(contentsOf: name.utf8)
            out.append(contentsOf: ": ".utf8)
            out.append(contentsOf: value.utf8)
            out.append(cr)
            out.append(lf)
        }
        if !request.headers.contains("Host") { field("Host", url.hostHeader) }
        for header in request.headers { field(header.name, header.value) }
        if !request.headers.contains("Content-Length") && !request.headers.contains("Transfer-Encoding")
            && (!request.body.isEmpty || ["POST", "PUT", "PATCH"].contains(request.method))
        {
            field("Content-Length", String(request.body.count))
        }
        out.append(cr)
        out.append(lf)
        out.append(contentsOf: request.body)
        return out
    }

    private func perform(_ request: ClientRequest, _ url: ParsedURL) throws(HTTPClientError) -> ClientResponse {
        let bytes = Self.encode(request, url)
        let isHead = request.method == "HEAD"
        if let fd = checkout(url.poolKey) {
            do {
                return try exchange(fd, bytes, isHead: isHead, poolKey: url.poolKey, reused: true)
            } catch .closedBeforeResponse where configuration.retryStaleConnections {
                // The pooled connection was stale; retry once on a fresh one below.
            }
        }
        let fd = try connect(url)
        return try exchange(fd, bytes, isHead: isHead, poolKey: url.poolKey, reused: false)
    }

    /// Writes the request with one `send` and reads the response; pools or closes the connection.
    private func exchange(_ fd: Int32, _ bytes: [UInt8], isHead: Bool, poolKey: String?, reused: Bool) throws(HTTPClientError) -> ClientResponse {
        guard Posix.sendAll(fd, bytes) else {
            let code = errno
            close(fd)
            if reused && (code == EPIPE || code == ECONNRESET) { throw .closedBeforeResponse }
            if code == EAGAIN || code == EWOULDBLOCK { throw .readTimeout }
            throw .writeFailed(Posix.errorString(code))
        }
        let outcome: (response: ClientResponse, reusable: Bool)
        do {
            outcome = try readResponse(fd, isHead: isHead)
        } catch {
            close(fd)
            throw error
        }
        if outcome.reusable, let poolKey {
            checkin(poolKey, fd)
        } else {
            close(fd)
        }
        return outcome.response
    }

    private func checkout(_ key: String) -> Int32? {
        while true {
            guard let fd = pool.withLock({ $0[key]?.popLast() }) else { return nil }
            // A pooled connection that is readable now has been closed (or sent junk): discard it.
            if Posix.waitReadable(fd, timeoutMilliseconds: 0) == 0 { return fd }
            close(fd)
        }
    }

    private func checkin(_ key: String, _ fd: Int32) {
        let kept = pool.withLock { pool -> Bool in
            guard pool[key, default: []].count < configuration.maxIdleConnectionsPerHost else { return false }
            pool[key, default: []].append(fd)
            return true
        }
        if !kept { close(fd) }
    }

    // MARK: - Connecting

    private func connect(_ url: ParsedURL) throws(HTTPClientError) -> Int32 {
        guard let address = Posix.resolveIPv4(url.host) else { throw .hostNotFound(url.host) }
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard fd >= 0 else { throw .resourceExhausted("socket(): \(Posix.errorString(errno))") }
        var target = Posix.makeAddress(address, port: url.port)
        let rc = withUnsafePointer(to: &target) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        if rc != 0 {
            var code = errno
            if code == EINPROGRESS || code == EINTR {
                let ready = Posix.waitWritable(fd, timeoutMilliseconds: configuration.connectTimeout.milliseconds)
                if ready == 0 {
                    close(fd)
                    throw .connectTimeout(host: url.host, port: url.port)
                }
                var socketError: Int32 = 0
                var length = socklen_t(MemoryLayout<Int32>.size)
                getsockopt(fd, SOL_SOCKET, SO_ERROR, &socketError, &length)
                code = socketError
            }
            if code != 0 {
                close(fd)
                switch code {
                case ECONNREFUSED: throw .connectionRefused(host: url.host, port: url.port)
                case ETIMEDOUT: throw .connectTimeout(host: url.host, port: url.port)
                case EMFILE, ENFILE, EADDRNOTAVAIL, ENOBUFS:
                    throw .resourceExhausted("connect(): \(Posix.errorString(code))")
                default: throw .connectFailed(host: url.host, port: url.port, reason: Posix.errorString(code))
                }
            }
        }
        let flags = fcntl(fd, F_GETFL)
        _ = fcntl(fd, F_SETFL, flags & ~Int32(O_NONBLOCK))
        Posix.setNoDelay(fd)
        Posix.setSendTimeout(fd, milliseconds: configuration.readTimeout.milliseconds)
        connectionsOpened.add(1, ordering: .relaxed)
        return fd
    }

    // MARK: - Reading a response

    private func readResponse(_ fd: Int32, isHead: Bool) throws(HTTPClientError) -> (response: ClientResponse, reusable: Bool) {
        var parser = HTTPResponseParser(limits: configuration.limits, isHeadRequest: isHead)
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        let timeout = configuration.readTimeout.milliseconds
        var receivedAny = false
        while true {
            switch parser.next() {
            case .response(let response, let reusable):
                return (response, reusable)
            case .error(let reason, let tooLarge):
                throw tooLarge ? .responseTooLarge(reason) : .malformedResponse(reason)
            case .needMore:
                break
            }
            let ready = Posix.waitReadable(fd, timeoutMilliseconds: timeout)
            if ready == 0 { throw .readTimeout }
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count < 0 {
                if errno == EINTR { continue }
                throw receivedAny ? .connectionReset : .closedBeforeResponse
            }
            if count == 0 {
                if !receivedAny { throw .closedBeforeResponse }
                switch parser.finishAtEOF() {
                case .response(let response, _): return (response, false)
                case .error(let reason, let tooLarge): throw tooLarge ? .responseTooLarge(reason) : .malformedResponse(reason)
                case .needMore: throw .malformedResponse("connection closed before the response was complete")
                }
            }
            receivedAny = true
            // ACK what arrived now rather than after the delayed-ACK timer (~40 ms): a server that
            // writes head and body separately with Nagle on holds the body until the head is
            // ACKed. Linux clears quick-ACK mode by itself, so it is set again after every read.
            Posix.setOption(fd, Int32(IPPROTO_TCP), TCP_QUICKACK, 1)
            buffer.withUnsafeBytes { parser.feed(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
        }
    }

    // MARK: - Races

    /// Fires every request at the same instant: first opens one fresh connection per request (not
    /// from the pool), then starts one thread per request, parks them all at a gate, opens the gate,
    /// and each thread writes its whole request with a single `send`. Results come back in order.
    /// Connections are closed afterwards. `beforeRelease` runs once every thread is parked, just
    /// before the gate opens (tests use it to check that nothing was sent early).
    public func sendConcurrently(_ requests: [ClientRequest], beforeRelease: () -> Void = {}) -> [Result<ClientResponse, HTTPClientError>] {
        var results = [Result<ClientResponse, HTTPClientError>?](repeating: nil, count: requests.count)
        var prepared: [(index: Int, fd: Int32, bytes: [UInt8], isHead: Bool)] = []
        for (index, request) in requests.enumerated() {
            do throws(HTTPClientError) {
                let url = try ParsedURL(request.url)
                let fd = try connect(url)
                prepared.append((index, fd, Self.encode(request, url), request.method == "HEAD"))
            } catch {
                results[index] = .failure(error)
            }
        }
        let collected = Mutex<[Int: Result<ClientResponse, HTTPClientError>]>([:])
        let gate = Gate()
        let arrived = Atomic<Int>(0)
        var threads: [pthread_t] = []
        for item in prepared {
            let (index, fd, bytes, isHead) = item
            let thread = POSIXThread.spawn(stackSize: 256 * 1024, detached: false) { [self] in
                arrived.add(1, ordering: .sequentiallyConsistent)
                gate.wait()
                let result: Result<ClientResponse, HTTPClientError>
                do throws(HTTPClientError) {
                    result = .success(try exchange(fd, bytes, isHead: isHead, poolKey: nil, reused: false))
                } catch {
                    result = .failure(error)
                }
                collected.withLock { $0[index] = result }
            }
            if let thread {
                threads.append(thread)
            } else {
                close(fd)
                results[index] = .failure(.resourceExhausted("cannot start a thread for request \(index)"))
            }
        }
        // Wait (bounded) until every thread is parked at the gate, then release them together.
        let deadline = Posix.nowMilliseconds() + 10_000
        while arrived.load(ordering: .sequentiallyConsistent) < threads.count && Posix.nowMilliseconds() < deadline {
            sched_yield()
        }
        beforeRelease()
        gate.open()
        for thread in threads { POSIXThread.join(thread) }
        let gathered = collected.withLock { $0 }
        for (index, result) in gathered { results[index] = result }
        return results.map { $0 ?? .failure(.closedBeforeResponse) }
    }
}

/// A one-shot gate: threads `wait()` until someone calls `open()`.
final class Gate: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var isOpen = false

    init() {
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(condition, nil)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
        condition.deallocate()
    }

    func wait() {
        pthread_mutex_lock(mutex)
        while !isOpen { pthread_cond_wait(condition, mutex) }
        pthread_mutex_unlock(mutex)
    }

    func open() {
        pthread_mutex_lock(mutex)
        isOpen = true
        pthread_cond_broadcast(condition)
        pthread_mutex_unlock(mutex)
    }
}

// MARK: - Response parser

/// An incremental HTTP/1.x response parser with the same CRLF/control-byte strictness and limits
/// as the request parser. Handles Content-Length, chunked, read-until-close, and skips 1xx.
struct HTTPResponseParser: Sendable {
    enum Result: Sendable {
        case needMore
        case response(ClientResponse, reusable: Bool)
        case error(String, tooLarge: Bool)
    }

    private enum State: Sendable {
        case head
        case body(ClientResponse, length: Int, keepAlive: Bool)
        case chunked(ClientResponse, ChunkedDecoder, keepAlive: Bool)
        case untilClose(ClientResponse)
        case failed(String, Bool)
    }

    let limits: HTTPLimits
    let isHeadRequest: Bool
    private var buffer: [UInt8] = []
    private var position = 0
    private var state: State = .head

    init(limits: HTTPLimits, isHeadRequest: Bool) {
        self.limits = limits
        self.isHeadRequest = isHeadRequest
    }

    mutating func feed(_ bytes: UnsafeRawBufferPointer) { buffer.append(contentsOf: bytes) }
    mutating func feed(_ bytes: some Collection<UInt8>) { buffer.append(contentsOf: bytes) }

    private mutating func fail(_ reason: String, tooLarge: Bool = false) -> Result {
        state = .failed(reason, tooLarge)
        return .error(reason, tooLarge: tooLarge)
    }

    mutating func next() -> Result {
        while true {
            switch state {
            case .failed(let reason, let tooLarge):
                return .error(reason, tooLarge: tooLarge)
            case .head:
                guard let result = parseHead() else { continue }
                return result
            case .body(var response, let length, let keepAlive):
                guard buffer.count - position >= length else { return .needMore }
                response.body = Array(buffer[position..<(position + length)])
                position += length
                return .response(response, reusable: keepAlive && position == buffer.count)
            case .chunked(var response, var decoder, let keepAlive):
                state = .head
                switch decoder.consume(buffer, &position) {
                case .needMore:
                    state = .chunked(response, decoder, keepAlive: keepAlive)
                    return .needMore
                case .done:
                    response.body = decoder.body
                    return .response(response, reusable: keepAlive && position == buffer.count)
                case .error(let status, let reason):
                    return fail(reason, tooLarge: status == 413)
                }
            case .untilClose:
                if buffer.count - position > limits.maxBodySize {
                    return fail("body larger than \(limits.maxBodySize) bytes", tooLarge: true)
                }
                return .needMore
            }
        }
    }

    mutating func finishAtEOF() -> Result {
        if case .untilClose(var response) = state {
            response.body = Array(buffer[position...])
            return .response(response, reusable: false)
        }
        if case .failed(let reason, let tooLarge) = state { return .error(reason, tooLarge: tooLarge) }
        return .needMore
    }

    /// Parses one head. Nil means progress (state changed, or a 1xx was skipped): loop again.
    private mutating func parseHead() -> Result? {
        var index = position
        var headEnd = -1
        while index < buffer.count {
            let byte = buffer[index]
            if byte == lf {
                guard index > position, buffer[index - 1] == cr else { return fail("bare LF in response head") }
                if index >= position + 3 && buffer[index - 2] == lf && buffer[index - 3] == cr {
                    headEnd = index + 1
                    break
                }
            } else if index > position && buffer[index - 1] == cr {
                return fail("bare CR in response head")
            } else if isForbiddenControl(byte) {
                return fail("control byte in response head")
            }
            index += 1
            if index - position > limits.maxHeadSize {
                return fail("response head larger than \(limits.maxHeadSize) bytes", tooLarge: true)
            }
        }
        guard headEnd >= 0 else { return .needMore }
        let text = buffer[position..<(headEnd - 4)]
        var lines = text.split(separator: cr, omittingEmptySubsequences: false).map { line in
            line.first == lf ? line.dropFirst() : line
        }
        guard !lines.isEmpty else { return fail("empty response head") }
        let statusLine = lines.removeFirst()
        guard lines.count <= limits.maxHeaderCount else {
            return fail("more than \(limits.maxHeaderCount) header fields", tooLarge: true)
        }
        // HTTP/1.x SP 3DIGIT [SP reason]
        let version: HTTPVersion
        if statusLine.starts(with: "HTTP/1.1".utf8) {
            version = .http1_1
        } else if statusLine.starts(with: "HTTP/1.0".utf8) {
            version = .http1_0
        } else {
            return fail("status line does not start with HTTP/1.1 or HTTP/1.0")
        }
        let afterVersion = statusLine.dropFirst(8)
        guard afterVersion.first == sp, afterVersion.count >= 4 else { return fail("malformed status line") }
        let code = afterVersion.dropFirst().prefix(3)
        guard code.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return fail("malformed status code") }
        let status = code.reduce(0) { $0 * 10 + Int($1 - 0x30) }
        let afterCode = afterVersion.dropFirst(4)
        guard afterCode.isEmpty || afterCode.first == sp else { return fail("malformed status line") }
        guard (100...999).contains(status) else { return fail("status code out of range") }

        var headers = HTTPHeaders()
        var contentLength: Int? = nil
        var chunked = false
        var hasTransferEncoding = false
        for line in lines {
            guard let first = line.first, first != sp, first != htab else { return fail("obsolete line folding") }
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")), colon > line.startIndex,
                line[line.startIndex..<colon].allSatisfy(isTChar)
            else { return fail("malformed header field") }
            let name = String(decoding: line[line.startIndex..<colon], as: UTF8.self)
            let value = String(decoding: line[(colon + 1)...], as: UTF8.self).trimmingASCIIWhitespace()
            headers.add(name, value)
            if asciiCaseInsensitiveEquals(name, "content-length") {
                for item in value.split(separator: ",", omittingEmptySubsequences: false) {
                    let digits = item.trimmingASCIIWhitespace()
                    guard !digits.isEmpty, digits.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
                        return fail("invalid Content-Length '\(value)'")
                    }
                    guard digits.utf8.count <= 15, let length = Int(digits) else {
                        return fail("Content-Length too large", tooLarge: true)
                    }
                    if let contentLength, contentLength != length { return fail("conflicting Content-Length values") }
                    contentLength = length
                }
            } else if asciiCaseInsensitiveEquals(name, "transfer-encoding") {
                hasTransferEncoding = true
                let codings = value.split(separator: ",").map { $0.trimmingASCIIWhitespace().lowercased() }
                if codings.last == "chunked" { chunked = true }
                if codings.contains(where: { $0 != "chunked" }) { return fail("unsupported Transfer-Encoding '\(value)'") }
            }
        }
        position = headEnd
        if status < 200 {
            // 1xx interim response (100 Continue): skip it, read the real one.
            if status == 101 { return fail("unexpected 101 Switching Protocols") }
            return nil
        }
        let response = ClientResponse(status: status, version: version, headers: headers)
        let connectionTokens = headers.tokens(for: "Connection")
        let keepAlive = version == .http1_1 ? !connectionTokens.contains("close") : connectionTokens.contains("keep-alive")
        if isHeadRequest || status == 204 || status == 304 {
            return .response(response, reusable: keepAlive && position == buffer.count)
        }
        if hasTransferEncoding {
            if contentLength != nil { return fail("both Transfer-Encoding and Content-Length") }
            if chunked {
                state = .chunked(response, ChunkedDecoder(maxBodySize: limits.maxBodySize, maxLineLength: limits.maxChunkLineLength), keepAlive: keepAlive)
                return nil
            }
        }
        if let contentLength {
            guard contentLength <= limits.maxBodySize else {
                return fail("body of \(contentLength) bytes exceeds \(limits.maxBodySize)", tooLarge: true)
            }
            state = .body(response, length: contentLength, keepAlive: keepAlive)
            return nil
        }
        state = .untilClose(response)
        return nil
    }
}
