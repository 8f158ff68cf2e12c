import Dispatch
import JSON
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

package struct HTTPServerError: Error, Sendable, CustomStringConvertible {
    package let message: String
    package init(_ message: String) { self.message = message }
    package var description: String { message }
}

/// A blocking, thread-per-connection HTTP/1.1 server on POSIX sockets.
///
/// One acceptor thread; each connection gets a dedicated POSIX thread (never a Swift concurrency
/// task) that reads, parses, calls the synchronous responder, and writes each response with one
/// `send`. Handlers may block.
package final class HTTPServer: Sendable {
    package typealias Limits = HTTPLimits

    package struct Configuration: Sendable {
        package var limits: HTTPLimits = HTTPLimits()
        /// Connections served at once; past it, a new connection gets 503 + close.
        package var maxConnections: Int = 4096
        /// From a connection's accept (or a request's first byte) until its head is complete.
        /// Past it: 408 and close (or a silent close if nothing arrived).
        package var headerReadTimeout: Duration = .seconds(10)
        /// From the end of the head until the whole body arrived. Past it: 408 and close.
        package var bodyReadTimeout: Duration = .seconds(30)
        /// How long an idle keep-alive connection is kept between requests.
        package var idleTimeout: Duration = .seconds(30)
        /// A blocked `send` (client not reading) gives up after this.
        package var writeTimeout: Duration = .seconds(10)
        /// `stop()` waits at most this long for in-flight requests.
        package var shutdownTimeout: Duration = .seconds(5)
        /// Stack size of each connection thread.
        package var threadStackSize: Int = 512 * 1024
        package var listenBacklog: Int32 = 4096
        /// Value of the `Server` header; nil sends none.
        package var serverName: String? = nil

        package init() {}
    }

    package let configuration: Configuration
    private let responder: any HTTPResponder
    private let onRequestCompleted: (@Sendable (HTTPRequest, HTTPResponse) -> Void)?

    private struct State: ~Copyable {
        var listenFD: Int32 = -1
        var started = false
        var stopping = false
        /// Open connections, each with its idle flag (waiting between requests).
        var connections: [Int32: ConnectionFlag] = [:]
        var port: UInt16 = 0
    }

    /// Set by the connection's own thread between requests, read by `stop()`. An atomic per
    /// connection, so the per-request bookkeeping takes no server-wide lock.
    final class ConnectionFlag: Sendable {
        let idle = Atomic<Bool>(false)
    }

    private let state = Mutex(State())
    private let stoppingFlag = Atomic<Bool>(false)
    private let activeConnections = Atomic<Int>(0)
    private let acceptedConnections = Atomic<Int>(0)
    private let acceptorRunning = Atomic<Bool>(false)
    private let requestsServed = Atomic<Int>(0)
    /// Where accepted connections are served: threads shared with every server of the process.
    private let connectionThreads: ThreadReuse

    package init(
        configuration: Configuration = Configuration(),
        responder: some HTTPResponder,
        onRequestCompleted: (@Sendable (HTTPRequest, HTTPResponse) -> Void)? = nil
    ) {
        self.configuration = configuration
        self.responder = responder
        self.onRequestCompleted = onRequestCompleted
        connectionThreads = ThreadReuse.shared(stackSize: configuration.threadStackSize)
    }

    package convenience init(
        configuration: Configuration = Configuration(),
        onRequestCompleted: (@Sendable (HTTPRequest, HTTPResponse) -> Void)? = nil,
        handler: @escaping HTTPHandler
    ) {
        self.init(configuration: configuration, responder: ClosureResponder(handler), onRequestCompleted: onRequestCompleted)
    }

    /// Connections currently open (served or waiting).
    package var activeConnectionCount: Int { activeConnections.load(ordering: .relaxed) }
    /// Connections accepted and served since start (refused ones are not counted).
    package var totalConnectionCount: Int { acceptedConnections.load(ordering: .relaxed) }
    /// Responses written (or dropped on purpose) since start.
    package var totalRequestCount: Int { requestsServed.load(ordering: .relaxed) }
    /// The bound port once started, else 0.
    package var port: UInt16 { state.withLock { $0.port } }

    /// Binds, listens, and starts the acceptor. Returns the bound port (port 0 picks a free one).
    /// When this returns, connections are accepted. `beforeServing` sees the bound port before
    /// the first request is answered: what a responder derives from the port (its own URL) is in
    /// place for that request too.
    @discardableResult
    package func start(host: String = "127.0.0.1", port: UInt16 = 0, beforeServing: (UInt16) -> Void = { _ in }) throws(HTTPServerError) -> UInt16 {
        signal(SIGPIPE, SIG_IGN)
        guard let address = Posix.resolveIPv4(host) else {
            throw HTTPServerError("cannot resolve '\(host)' to an IPv4 address")
        }
        let alreadyStarted = state.withLock { state in
            defer { state.started = true }
            return state.started
        }
        if alreadyStarted { throw HTTPServerError("server already started (a server starts once)") }

        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw HTTPServerError("socket() failed: \(Posix.errorString(errno))") }
        Posix.setOption(fd, SOL_SOCKET, SO_REUSEADDR, 1)
        var bindAddress = Posix.makeAddress(address, port: port)
        let bound = withUnsafePointer(to: &bindAddress) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0 else {
            let code = errno
            close(fd)
            throw HTTPServerError(
                "bind \(host):\(port) failed: \(Posix.errorString(code))"
                    + (code == EADDRINUSE ? " (another process listens there; pick another port or 0)" : ""))
        }
        guard listen(fd, configuration.listenBacklog) == 0 else {
            let code = errno
            close(fd)
            throw HTTPServerError("listen failed: \(Posix.errorString(code))")
        }
        var actual = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &actual) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        let boundPort = UInt16(bigEndian: actual.sin_port)
        state.withLock {
            $0.listenFD = fd
            $0.port = boundPort
        }
        beforeServing(boundPort)
        acceptorRunning.store(true, ordering: .sequentiallyConsistent)
        guard POSIXThread.spawn(stackSize: 256 * 1024, detached: true, { [self] in acceptLoop(fd) }) != nil else {
            acceptorRunning.store(false, ordering: .sequentiallyConsistent)
            state.withLock { $0.listenFD = -1 }
            close(fd)
            throw HTTPServerError("cannot start the acceptor thread")
        }
        return boundPort
    }

    /// Graceful stop: stops accepting, closes idle connections, lets in-flight requests finish
    /// (their responses carry `Connection: close`), waits at most `shutdownTimeout`, then forces
    /// the remaining sockets shut. Idempotent.
    package func stop() {
        let wasRunning = state.withLock { state -> Bool in
            guard state.started, !state.stopping else { return false }
            state.stopping = true
            stoppingFlag.store(true, ordering: .sequentiallyConsistent)
            if state.listenFD >= 0 { shutdown(state.listenFD, Int32(SHUT_RDWR)) }
            for (fd, flag) in state.connections where flag.idle.load(ordering: .sequentiallyConsistent) { shutdown(fd, Int32(SHUT_RDWR)) }
            return true
        }
        guard wasRunning else { return }
        let deadline = Posix.nowMilliseconds() + configuration.shutdownTimeout.milliseconds
        while (activeConnections.load(ordering: .relaxed) > 0 || acceptorRunning.load(ordering: .relaxed))
            && Posix.nowMilliseconds() < deadline
        {
            usleep(1000)
        }
        // Force whatever is left (slow readers, partial requests); bounded extra wait.
        state.withLock { state in
            for fd in state.connections.keys { shutdown(fd, Int32(SHUT_RDWR)) }
        }
        let hardDeadline = Posix.nowMilliseconds() + 1000
        while activeConnections.load(ordering: .relaxed) > 0 && Posix.nowMilliseconds() < hardDeadline {
            usleep(1000)
        }
    }

    /// Blocks the calling thread until SIGINT, SIGTERM or SIGHUP arrives (see
    /// `TerminationSignals`), then returns the signal number.
    package static func waitForTerminationSignal() -> Int32 {
        TerminationSignals.wait()
    }

    /// `waitForTerminationSignal()` then `stop()`.
    package func runUntilTerminated() {
        _ = Self.waitForTerminationSignal()
        stop()
    }

    // MARK: - Accepting

    private func acceptLoop(_ listenFD: Int32) {
        defer {
            state.withLock { state in
                close(state.listenFD)
                state.listenFD = -1
            }
            acceptorRunning.store(false, ordering: .sequentiallyConsistent)
        }
        while true {
            var address = sockaddr_in()
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let fd = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    accept(listenFD, $0, &length)
                }
            }
            if fd < 0 {
                let code = errno
                if stoppingFlag.load(ordering: .relaxed) { return }
                switch code {
                case EINTR, ECONNABORTED, EPROTO:
                    continue
                case EMFILE, ENFILE, ENOBUFS, ENOMEM:
                    usleep(5000)  // out of descriptors: back off instead of spinning
                    continue
                default:
                    return
                }
            }
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            Posix.setNoDelay(fd)
            let flag = ConnectionFlag()
            let accepted = state.withLock { state -> Bool in
                guard !state.stopping, state.connections.count < configuration.maxConnections else { return false }
                state.connections[fd] = flag
                return true
            }
            guard accepted else {
                refuse(fd, stopping: stoppingFlag.load(ordering: .relaxed))
                continue
            }
            activeConnections.add(1, ordering: .relaxed)
            acceptedConnections.add(1, ordering: .relaxed)
            let remote = Posix.describe(address)
            let spawned = connectionThreads.run { [self] in
                serve(fd, remote: remote, flag: flag)
            }
            if !spawned {
                unregister(fd)
                refuse(fd, stopping: false)
            }
        }
    }

    /// Over capacity (or stopping): a 503 with `Connection: close`, without blocking the acceptor.
    private func refuse(_ fd: Int32, stopping: Bool) {
        var response = HTTPResponse.error(
            status: 503, code: "service_unavailable",
            message: stopping ? "server is shutting down" : "too many connections (limit \(configuration.maxConnections))")
        response.headers.add("Retry-After", "1")
        var out: [UInt8] = []
        serialize(response, isHead: false, keepAlive: false, version: .http1_1, into: &out)
        _ = out.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL | MSG_DONTWAIT)) }
        shutdown(fd, Int32(SHUT_WR))
        close(fd)
    }

    private func unregister(_ fd: Int32) {
        state.withLock { _ = $0.connections.removeValue(forKey: fd) }
        activeConnections.subtract(1, ordering: .relaxed)
    }

    /// Marks the connection idle (between requests). False if the server is stopping: close.
    private func markIdle(_ flag: ConnectionFlag, _ idle: Bool) -> Bool {
        // Store, then check: with `stop()` doing the reverse, one of the two always sees the other.
        flag.idle.store(idle, ordering: .sequentiallyConsistent)
        return !(idle && stoppingFlag.load(ordering: .sequentiallyConsistent))
    }

    // MARK: - Serving a connection

    private func serve(_ fd: Int32, remote: String, flag: ConnectionFlag) {
        defer {
            // Unregister before close so stop() never shuts down a reused descriptor number.
            unregister(fd)
            close(fd)
        }
        Posix.setSendTimeout(fd, milliseconds: configuration.writeTimeout.milliseconds)
        var parser = HTTPRequestParser(limits: configuration.limits)
        var readBuffer = [UInt8](repeating: 0, count: 16 * 1024)
        var out: [UInt8] = []
        out.reserveCapacity(4096)
        var dateCache = DateHeaderCache()
        let headerTimeout = configuration.headerReadTimeout.milliseconds
        let bodyTimeout = configuration.bodyReadTimeout.milliseconds
        let idleTimeout = configuration.idleTimeout.milliseconds
        // The first request's head must arrive within the header timeout, counted from accept.
        var deadline = Posix.nowMilliseconds() + headerTimeout
        var firstRequest = true
        var bodyDeadlineSet = false
        var markedIdle = false

        while true {
            var result = parser.next()
            while case .needMore = result {
                let idle = parser.isIdle
                let timeout: Int
                if idle && !firstRequest {
                    if !markedIdle {
                        guard markIdle(flag, true) else { return }
                        markedIdle = true
                    }
                    timeout = idleTimeout
                } else {
                    if parser.isReadingBody && !bodyDeadlineSet {
                        bodyDeadlineSet = true
                        deadline = Posix.nowMilliseconds() + bodyTimeout
                    }
                    timeout = max(0, deadline - Posix.nowMilliseconds())
                }
                let ready = Posix.waitReadable(fd, timeoutMilliseconds: timeout)
                if ready == 0 {
                    if idle { return }  // nothing of a request arrived: close quietly
                    answer(fd, HTTPError(status: 408, code: "request_timeout", message: "request not received in time"), lingering: false, &out)
                    return
                }
                if ready < 0 { return }
                let count = readBuffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                if count == 0 { return }  // peer closed (possibly mid-request): nothing to answer
                if count < 0 {
                    if errno == EINTR || errno == EAGAIN { continue }
                    return
                }
                if markedIdle {
                    markedIdle = false
                    guard markIdle(flag, false) else { return }
                }
                if idle {
                    deadline = Posix.nowMilliseconds() + headerTimeout
                    bodyDeadlineSet = false
                }
                readBuffer.withUnsafeBytes { parser.feed(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
                result = parser.next()
                if case .needMore = result, parser.takeContinueRequest() {
                    _ = Posix.sendAll(fd, Array("HTTP/1.1 100 Continue\r\n\r\n".utf8))
                }
            }
            switch result {
            case .needMore:
                continue
            case .error(let error):
                answer(fd, error, lingering: true, &out)
                return
            case .request(var request):
                firstRequest = false
                request.remoteAddress = remote
                let response = responder.respond(to: request)
                requestsServed.add(1, ordering: .relaxed)
                onRequestCompleted?(request, response)
                if response.dropsConnection { return }
                let keepAlive =
                    request.keepAlive && !response.closeConnection
                    && !stoppingFlag.load(ordering: .relaxed)
                out.removeAll(keepingCapacity: true)
                serialize(response, isHead: request.method == "HEAD", keepAlive: keepAlive, version: request.version, date: &dateCache, into: &out)
                guard Posix.sendAll(fd, out) else { return }
                if !keepAlive {
                    lingeringClose(fd)
                    return
                }
            }
        }
    }

    /// The connection's last answer: a request that could not be read (the error says its status).
    private func answer(_ fd: Int32, _ error: some HTTPResponseError, lingering: Bool, _ out: inout [UInt8]) {
        out.removeAll(keepingCapacity: true)
        serialize(error.response, isHead: false, keepAlive: false, version: .http1_1, into: &out)
        _ = Posix.sendAll(fd, out)
        if lingering { lingeringClose(fd) }
    }

    /// Half-closes, then drains what the client is still sending (bounded) before the caller
    /// closes, so the kernel does not answer unread bytes with a RST that would destroy the
    /// response we just sent.
    private func lingeringClose(_ fd: Int32) {
        shutdown(fd, Int32(SHUT_WR))
        var scratch = [UInt8](repeating: 0, count: 4096)
        var drained = 0
        let deadline = Posix.nowMilliseconds() + 500
        while drained < 2 << 20 {
            let remaining = deadline - Posix.nowMilliseconds()
            guard remaining > 0, Posix.waitReadable(fd, timeoutMilliseconds: remaining) == 1 else { return }
            let count = scratch.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count <= 0 { return }
            drained += count
        }
    }

    // MARK: - Serialization

    private static let statusLines: [Int: [UInt8]] = {
        var lines: [Int: [UInt8]] = [:]
        for status in 100...599 {
            let reason = HTTPResponse.reasonPhrase(status)
            lines[status] = Array("HTTP/1.1 \(status) \(reason)\r\n".utf8)
        }
        return lines
    }()

    func serialize(_ response: HTTPResponse, isHead: Bool, keepAlive: Bool, version: HTTPVersion, into out: inout [UInt8]) {
        var date = DateHeaderCache()
        serialize(response, isHead: isHead, keepAlive: keepAlive, version: version, date: &date, into: &out)
    }

    func serialize(
        _ response: HTTPResponse, isHead: Bool, keepAlive: Bool, version: HTTPVersion, date: inout DateHeaderCache, into out: inout [UInt8]
    ) {
        let status = (100...599).contains(response.status) ? response.status : 500
        out.reserveCapacity(256 + response.body.count)
        out.append(contentsOf: Self.statusLines[status]!)
        var hasDate = false
        var explicitLength: String? = nil
        for field in response.headers.fields {
            if asciiCaseInsensitiveEquals(field.name, "content-length") {
                explicitLength = field.value
                continue
            }
            if asciiCaseInsensitiveEquals(field.name, "connection") || asciiCaseInsensitiveEquals(field.name, "transfer-encoding") {
                continue
            }
            if !hasDate && asciiCaseInsensitiveEquals(field.name, "date") { hasDate = true }
            appendField(field.name, field.value, into: &out)
        }
        if !hasDate {
            out.append(contentsOf: "Date: ".utf8)
            date.append(to: &out)
            out.append(cr)
            out.append(lf)
        }
        if let serverName = configuration.serverName { appendField("Server", serverName, into: &out) }
        let bodyless = status < 200 || status == 204 || status == 304
        if !bodyless {
            out.append(contentsOf: "Content-Length: ".utf8)
            if isHead, let explicitLength {
                out.append(contentsOf: explicitLength.utf8)
            } else {
                appendDecimal(response.body.count, into: &out)
            }
            out.append(cr)
            out.append(lf)
        }
        if !keepAlive {
            out.append(contentsOf: "Connection: close\r\n".utf8)
        } else if version == .http1_0 {
            out.append(contentsOf: "Connection: keep-alive\r\n".utf8)
        }
        out.append(cr)
        out.append(lf)
        if !isHead && !bodyless { out.append(contentsOf: response.body) }
    }

    private func appendField(_ name: String, _ value: String, into out: inout [UInt8]) {
        out.append(contentsOf: name.utf8)
        out.append(UInt8(ascii: ":"))
        out.append(sp)
        for byte in value.utf8 where byte != cr && byte != lf && byte != 0 { out.append(byte) }
        out.append(cr)
        out.append(lf)
    }
}

func appendDecimal(_ value: Int, into out: inout [UInt8]) {
    if value == 0 {
        out.append(UInt8(ascii: "0"))
        return
    }
    var digits:
        (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    var count = 0
    var remaining = value
    withUnsafeMutableBytes(of: &digits) { buffer in
        while remaining > 0 {
            buffer[count] = UInt8(remaining % 10) + UInt8(ascii: "0")
            remaining /= 10
            count += 1
        }
        for index in stride(from: count - 1, through: 0, by: -1) { out.append(buffer[index]) }
    }
}

extension Duration {
    var milliseconds: Int {
        let (seconds, attoseconds) = components
        return Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000)
    }
}
