import FoundationEssentials
import Glibc
import Synchronization

/// A loopback port for an app the runner starts, held for as long as that app may use it.
///
/// The runner picks the port, the app binds it, and a `restart: scenario` app releases and binds
/// it again between scenarios. Had the port come from bind(0), the kernel could hand it to anyone
/// in those gaps (another run's mock binding port 0, an outgoing connection), and that program
/// would answer this app's readiness check and scenarios: CI saw a lane reach another test's
/// server and fail a forgery scenario on its 404. So the port comes from below the kernel's
/// ephemeral range, which bind(0) and connect() never use, and a claim on it is a Unix socket
/// bound to the name `mockidp-port-N` in Linux's abstract namespace: a second bind of that name,
/// from this process or another run's, fails, and the kernel drops the name when the socket is
/// closed or the process dies, so a killed run leaves nothing claimed and no file behind.
package final class PortLease: Sendable {
    package let port: UInt16
    /// The socket holding the claim (-1 on the bind(0) fallback, which claims nothing).
    private let claim: Int32

    private init(port: UInt16, claim: Int32) {
        self.port = port
        self.claim = claim
    }

    deinit {
        if claim >= 0 { close(claim) }
    }

    /// A free port claimed for this lease's lifetime; falls back to an unclaimed bind(0) port when
    /// the range below the ephemeral ports is too small or 256 random picks found none free.
    package static func acquire() -> PortLease {
        let range = candidateRange()
        if range.count >= 1024 {
            var generator = SystemRandomNumberGenerator()
            for _ in 0..<256 {
                let port = UInt16.random(in: range, using: &generator)
                if let lease = lease(port) { return lease }
            }
        }
        return PortLease(port: boundAndClosedPort(), claim: -1)
    }

    /// Ports the kernel never hands out by itself: from 10000 (above most well-known services) to
    /// the start of the ephemeral range (Linux: `ip_local_port_range`, 32768 by default).
    static func candidateRange() -> ClosedRange<UInt16> {
        let text = (try? String(contentsOfFile: "/proc/sys/net/ipv4/ip_local_port_range", encoding: .utf8)) ?? ""
        let ephemeralStart = text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).first.flatMap { UInt16($0) } ?? 32768
        guard ephemeralStart > 10001 else { return 10000...10000 }
        return 10000...(ephemeralStart - 1)
    }

    /// Ports leased before, newest last: one is not leased again soon, so a new app never binds
    /// a port an old app of this run may still be closing.
    private static let recent = Mutex<[UInt16]>([])

    private static func lease(_ port: UInt16) -> PortLease? {
        guard !recent.withLock({ $0.contains(port) }) else { return nil }
        let claim = claimName("mockidp-port-\(port)")
        guard claim >= 0 else { return nil }
        guard isFree(port) else {
            close(claim)
            return nil
        }
        recent.withLock { recent in
            recent.append(port)
            if recent.count > 4096 { recent.removeFirst(recent.count - 4096) }
        }
        return PortLease(port: port, claim: claim)
    }

    /// A Unix socket bound to `name` in the abstract namespace, or -1 if another socket holds it.
    static func claimName(_ name: String) -> Int32 {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return -1 }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        // A leading NUL byte puts the name in the abstract namespace: no file is created.
        let bytes = [0] + Array(name.utf8.prefix(MemoryLayout.size(ofValue: address.sun_path) - 1))
        withUnsafeMutableBytes(of: &address.sun_path) { path in
            for (index, byte) in bytes.enumerated() { path[index] = byte }
        }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count)
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        guard bound == 0 else {
            close(fd)
            return -1
        }
        return fd
    }

    /// Nothing listens on or holds the port on any local address right now.
    private static func isFree(_ port: UInt16) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = INADDR_ANY
        address.sin_port = port.bigEndian
        let length = socklen_t(MemoryLayout<sockaddr_in>.size)
        return withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } } == 0
    }

    private static func boundAndClosedPort() -> UInt16 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        return UInt16(bigEndian: address.sin_port)
    }
}
