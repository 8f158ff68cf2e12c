import JSON
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// A request for `HTTPClient`. `url` is `http://host[:port]/path?query` (http only, no TLS).
package final class HTTPClient: Sendable {
    package struct Configuration: Sendable {
        package var connectTimeout: Duration = .seconds(5)
        /// Per read (and per blocked write): the longest silence tolerated.
        package var readTimeout: Duration = .seconds(30)
        package var followRedirects: Bool = false
        package var maxRedirects: Int = 5
        package var maxIdleConnectionsPerHost: Int = 16
        /// Retry once on a pooled connection that closed before any response byte. Note: that
        /// resends the request, even a POST, so a server that drops connections on purpose sees it
        /// twice. Turn off for fault-injection runs that count requests.
        package var retryStaleConnections: Bool = true
        package var limits: HTTPLimits = {
            var limits = HTTPLimits()
            limits.maxHeadSize = 64 * 1024
            limits.maxHeaderCount = 256
            limits.maxBodySize = 64 << 20
            return limits
        }()

        package init(
            connectTimeout: Duration = .seconds(5), readTimeout: Duration = .seconds(30),
            followRedirects: Bool = false, maxRedirects: Int = 5
        ) {
            self.connectTimeout = connectTimeout
            self.readTimeout = readTimeout
            self.followRedirects = followRedirects
            self.maxRedirects = maxRedirects
        }
    }

    package let configuration: Configuration
    private let pool = Mutex<[String: [Int32]]>([:])
    private let connectionsOpened = Atomic<Int>(0)

    package init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
        signal(SIGPIPE, SIG_IGN)
    }

    deinit { closeIdleConnections() }

    /// Fresh TCP connections this client has opened (pooled reuse does not count).
    package var openedConnectionCount: Int { connectionsOpened.load(ordering: .relaxed) }

    package func closeIdleConnections() {
        let all = pool.withLock { pool -> [Int32] in
            defer { pool.removeAll() }
            return pool.values.flatMap { $0 }
        }
        for fd in all { close(fd) }
    }

    // MARK: - Sending

    package func send(_ request: ClientRequest) throws(HTTPClientError) -> ClientResponse {
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
            RedirectPolicy.follow(&current, status: response.status, location: location, from: url)
        }
    }

    /// A method must be a token (RFC 9110 §9.1) and no header may carry CR, LF or NUL: a value that
    /// a scenario resolves at run time (from an app's answer, say) must never inject a header or a
    /// second request into the runner's own traffic.
    static func checkFraming(_ request: ClientRequest) throws(HTTPClientError) {
        guard !request.method.isEmpty, request.method.utf8.allSatisfy(isTChar) else {
            throw .unsafeRequest("method '\(request.method.debugDescription.dropFirst().dropLast())' is not an HTTP token")
        }
        for header in request.headers {
            guard !header.name.isEmpty, header.name.utf8.allSatisfy(isTChar) else {
                throw .unsafeRequest("header name \(header.name.debugDescription) is not an HTTP token")
            }
            guard !header.value.utf8.contains(where: { $0 == cr || $0 == lf || $0 == 0 }) else {
                throw .unsafeRequest("header \(header.name) carries CR, LF or NUL")
            }
        }
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
        try Self.checkFraming(request)
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
    /// `afterSend` runs between the write and the first read (the race measures there); false
    /// means it already waited the read timeout out.
    func exchange(
        _ fd: Int32, _ bytes: [UInt8], isHead: Bool, poolKey: String?, reused: Bool,
        afterSend: () -> Bool = { true }
    ) throws(HTTPClientError) -> ClientResponse {
        guard Posix.sendAll(fd, bytes) else {
            let code = errno
            close(fd)
            if reused && (code == EPIPE || code == ECONNRESET) { throw .closedBeforeResponse }
            if code == EAGAIN || code == EWOULDBLOCK { throw .readTimeout }
            throw .writeFailed(Posix.errorString(code))
        }
        guard afterSend() else {
            close(fd)
            throw .readTimeout
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

    func connect(_ url: ParsedURL, timeout: Duration? = nil) throws(HTTPClientError) -> Int32 {
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
                let ready = Posix.waitWritable(fd, timeoutMilliseconds: (timeout ?? configuration.connectTimeout).milliseconds)
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
            case .error(let error):
                throw HTTPClientError(error)
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
                case .error(let error): throw HTTPClientError(error)
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
}
