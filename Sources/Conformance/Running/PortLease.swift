import Foundation
import Glibc
import Synchronization

/// A loopback port for an app the runner starts, held for as long as that app may use it.
///
/// The runner picks the port, the app binds it, and a `restart: scenario` app releases and binds
/// it again between scenarios. Had the port come from bind(0), the kernel could hand it to anyone
/// in those gaps (another run's mock binding port 0, an outgoing connection), and that program
/// would answer this app's readiness check and scenarios: CI saw a lane reach another test's
/// server and fail a forgery scenario on its 404. So the port comes from below the kernel's
/// ephemeral range, which bind(0) and connect() never use, and a byte-range lock on one shared
/// file claims it from every other mockidp process on the machine; the kernel drops the lock when
/// the process dies, so a killed run leaves nothing claimed.
package final class PortLease: Sendable {
    package let port: UInt16
    /// Whether the port is claimed from other processes (false only on the bind(0) fallback).
    private let claimed: Bool

    private init(port: UInt16, claimed: Bool) {
        self.port = port
        self.claimed = claimed
    }

    deinit {
        guard claimed else { return }
        Self.registry.withLock { registry in
            registry.leased.remove(port)
            if let fd = registry.lockFile { _ = Self.lock(fd, port, type: F_UNLCK) }
        }
    }

    /// A free port claimed for this lease's lifetime; falls back to a bind(0) port when the range
    /// below the ephemeral ports is too small or exhausted, or no lock file can be opened.
    package static func acquire() -> PortLease {
        let range = candidateRange()
        if range.count >= 1024 {
            var generator = SystemRandomNumberGenerator()
            for _ in 0..<256 {
                let port = UInt16.random(in: range, using: &generator)
                if let lease = claim(port) { return lease }
            }
        }
        return PortLease(port: boundAndClosedPort(), claimed: false)
    }

    /// Ports the kernel never hands out by itself: from 10000 (above most well-known services) to
    /// the start of the ephemeral range (Linux: `ip_local_port_range`, 32768 by default).
    static func candidateRange() -> ClosedRange<UInt16> {
        let text = (try? String(contentsOfFile: "/proc/sys/net/ipv4/ip_local_port_range", encoding: .utf8)) ?? ""
        let ephemeralStart = text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).first.flatMap { UInt16($0) } ?? 32768
        guard ephemeralStart > 10001 else { return 10000...10000 }
        return 10000...(ephemeralStart - 1)
    }

    private struct Registry {
        var lockFile: Int32?
        var leased: Set<UInt16> = []
        /// Ports leased before, newest last: one is not leased again soon, so a new app never
        /// binds a port an old app of this run may still be closing.
        var recent: [UInt16] = []
    }

    /// Byte-range locks belong to the process, so this process's own leases are kept here; the
    /// lock file stays open for the process's life (closing any descriptor of it would drop
    /// every lock the process holds on it).
    private static let registry = Mutex(Registry())

    private static func claim(_ port: UInt16) -> PortLease? {
        let claimed = registry.withLock { registry -> Bool in
            guard !registry.leased.contains(port), !registry.recent.contains(port) else { return false }
            if registry.lockFile == nil { registry.lockFile = openLockFile() }
            guard let fd = registry.lockFile, lock(fd, port, type: F_WRLCK) else { return false }
            guard isFree(port) else {
                _ = lock(fd, port, type: F_UNLCK)
                return false
            }
            registry.leased.insert(port)
            registry.recent.append(port)
            if registry.recent.count > 4096 { registry.recent.removeFirst(registry.recent.count - 4096) }
            return true
        }
        return claimed ? PortLease(port: port, claimed: true) : nil
    }

    private static func openLockFile() -> Int32? {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("mockidp-ports-\(getuid()).lock").path
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        return fd >= 0 ? fd : nil
    }

    /// Sets or clears this process's lock on the one byte at offset `port`, without waiting.
    private static func lock(_ fd: Int32, _ port: UInt16, type: Int32) -> Bool {
        var request = flock()
        request.l_type = Int16(type)
        request.l_whence = Int16(SEEK_SET)
        request.l_start = off_t(port)
        request.l_len = 1
        return fcntl(fd, F_SETLK, &request) == 0
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
