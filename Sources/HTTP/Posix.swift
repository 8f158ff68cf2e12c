import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Thin helpers over POSIX sockets and threads. Internal: the public API never exposes fds.
enum Posix {
    static func errorString(_ code: Int32) -> String {
        String(cString: strerror(code))
    }

    static func setOption(_ fd: Int32, _ level: Int32, _ name: Int32, _ value: Int32) {
        var value = value
        _ = setsockopt(fd, level, name, &value, socklen_t(MemoryLayout<Int32>.size))
    }

    static func setNoDelay(_ fd: Int32) { setOption(fd, Int32(IPPROTO_TCP), TCP_NODELAY, 1) }

    static func setSendTimeout(_ fd: Int32, milliseconds: Int) {
        var tv = timeval(tv_sec: milliseconds / 1000, tv_usec: (milliseconds % 1000) * 1000)
        _ = setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    }

    /// Waits until `fd` is readable (or hung up). Returns 1 ready, 0 timeout, -1 error.
    /// A negative timeout waits forever.
    static func waitReadable(_ fd: Int32, timeoutMilliseconds: Int) -> Int32 {
        var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        while true {
            let rc = poll(&pfd, 1, Int32(clamping: timeoutMilliseconds))
            if rc < 0 && errno == EINTR { continue }
            return rc > 0 ? 1 : rc
        }
    }

    static func waitWritable(_ fd: Int32, timeoutMilliseconds: Int) -> Int32 {
        var pfd = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
        while true {
            let rc = poll(&pfd, 1, Int32(clamping: timeoutMilliseconds))
            if rc < 0 && errno == EINTR { continue }
            return rc > 0 ? 1 : rc
        }
    }

    /// Sends every byte (one `send` in the common case). False on error or send timeout.
    static func sendAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Bool {
        guard var pointer = bytes.baseAddress else { return true }
        var remaining = bytes.count
        while remaining > 0 {
            let sent = send(fd, pointer, remaining, Int32(MSG_NOSIGNAL))
            if sent < 0 {
                if errno == EINTR { continue }
                return false
            }
            remaining -= sent
            pointer += sent
        }
        return true
    }

    static func sendAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { sendAll(fd, $0) }
    }

    /// Milliseconds on the monotonic clock.
    static func nowMilliseconds() -> Int {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return ts.tv_sec * 1000 + ts.tv_nsec / 1_000_000
    }

    /// Parses an IPv4 dotted quad; `localhost` maps to 127.0.0.1.
    static func ipv4Address(_ host: String) -> in_addr? {
        let host = host == "localhost" ? "127.0.0.1" : host
        var address = in_addr()
        guard inet_pton(AF_INET, host, &address) == 1 else { return nil }
        return address
    }

    /// Resolves a host name to an IPv4 address (literal first, then getaddrinfo).
    static func resolveIPv4(_ host: String) -> in_addr? {
        if let literal = ipv4Address(host) { return literal }
        var hints = addrinfo()
        hints.ai_family = AF_INET
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>? = nil
        guard getaddrinfo(host, nil, &hints, &result) == 0, let first = result else { return nil }
        defer { freeaddrinfo(result) }
        guard let sockaddrPointer = first.pointee.ai_addr else { return nil }
        return sockaddrPointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee.sin_addr }
    }

    static func describe(_ address: sockaddr_in) -> String {
        var addr = address.sin_addr
        var buffer = [CChar](repeating: 0, count: Int(INET_ADDRSTRLEN))
        _ = inet_ntop(AF_INET, &addr, &buffer, socklen_t(buffer.count))
        let host = buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        return "\(host):\(UInt16(bigEndian: address.sin_port))"
    }

    static func makeAddress(_ address: in_addr, port: UInt16) -> sockaddr_in {
        var result = sockaddr_in()
        result.sin_family = sa_family_t(AF_INET)
        result.sin_port = port.bigEndian
        result.sin_addr = address
        return result
    }
}

// MARK: - Threads

private final class ThreadBody {
    let body: () -> Void
    init(_ body: @escaping () -> Void) { self.body = body }
}

/// A POSIX thread with an explicit stack size. Signals the process handles (INT, TERM, PIPE) are
/// blocked on these threads so they are delivered where the owner expects.
enum POSIXThread {
    static func spawn(stackSize: Int, detached: Bool, _ body: @escaping @Sendable () -> Void) -> pthread_t? {
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        defer { pthread_attr_destroy(&attributes) }
        pthread_attr_setstacksize(&attributes, max(stackSize, 64 * 1024))
        if detached { pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED)) }
        let context = Unmanaged.passRetained(ThreadBody(body)).toOpaque()
        var thread = pthread_t()
        let rc = pthread_create(
            &thread, &attributes,
            { argument in
                var mask = sigset_t()
                sigemptyset(&mask)
                sigaddset(&mask, SIGINT)
                sigaddset(&mask, SIGTERM)
                sigaddset(&mask, SIGPIPE)
                pthread_sigmask(SIG_BLOCK, &mask, nil)
                let box = Unmanaged<ThreadBody>.fromOpaque(argument!).takeRetainedValue()
                box.body()
                return nil
            }, context)
        if rc != 0 {
            Unmanaged<ThreadBody>.fromOpaque(context).release()
            return nil
        }
        return thread
    }

    static func join(_ thread: pthread_t) {
        _ = pthread_join(thread, nil)
    }
}

/// A detached thread for long-lived work outside Swift concurrency (runner workers, the log's
/// drain, load generators), with a default pthread's 8 MiB stack: what Foundation's `Thread`
/// gave, without linking Foundation.
package enum BackgroundThread {
    package static func start(stackSize: Int = 8 << 20, _ body: @escaping @Sendable () -> Void) {
        let thread = POSIXThread.spawn(stackSize: stackSize, detached: true, body)
        // Only exhausted memory or thread limits fail here; the work cannot go on without it.
        precondition(thread != nil, "cannot start a thread: \(String(cString: strerror(errno)))")
    }
}

// MARK: - Date header

/// The `Date` header's text (IMF-fixdate), re-formatted once a second. Each connection thread
/// keeps its own: a process-wide cache behind a lock was the busiest lock in the server.
struct DateHeaderCache {
    private var second = -1
    private var bytes: [UInt8] = []

    private static let days: [String] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    private static let months: [String] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    mutating func append(to out: inout [UInt8]) {
        let now = time(nil)
        if second != now {
            second = now
            bytes = Self.format(now)
        }
        out.append(contentsOf: bytes)
    }

    static func format(_ seconds: Int) -> [UInt8] {
        var t = time_t(seconds)
        var parts = tm()
        gmtime_r(&t, &parts)
        func two(_ n: Int32) -> String { n < 10 ? "0\(n)" : "\(n)" }
        let text =
            "\(days[Int(parts.tm_wday)]), \(two(parts.tm_mday)) \(months[Int(parts.tm_mon)]) \(parts.tm_year + 1900) "
            + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)) GMT"
        return Array(text.utf8)
    }
}
