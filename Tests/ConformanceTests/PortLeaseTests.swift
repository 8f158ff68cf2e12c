import Foundation
import Glibc
import Testing

@testable import Conformance

/// The ports the runner gives the apps it starts: outside the range the kernel hands out by
/// itself, and claimed from every other process by an abstract Unix socket name (checked from
/// Python, another process binding the same name).
@Suite struct PortLeaseTests {
    @Test func leasesAreDistinctFreeAndBelowTheEphemeralRange() throws {
        let range = PortLease.candidateRange()
        let leases = (0..<64).map { _ in PortLease.acquire() }
        #expect(Set(leases.map(\.port)).count == leases.count)
        for lease in leases {
            #expect(range.contains(lease.port), "port \(lease.port) is outside \(range)")
            // Nothing holds it: the app can bind it.
            #expect(Self.canListen(on: lease.port), "port \(lease.port) cannot be bound: \(String(cString: strerror(errno)))")
        }
    }

    @Test func anotherProcessCannotClaimALeasedPortUntilTheLeaseEnds() throws {
        var lease: PortLease? = PortLease.acquire()
        let port = try #require(lease?.port)
        #expect(try Self.otherProcessCanClaim(port) == "taken")
        lease = nil
        #expect(try Self.otherProcessCanClaim(port) == "claimed")
        _ = lease
    }

    static func canListen(on port: UInt16) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = port.bigEndian
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        return bound == 0 && listen(fd, 1) == 0
    }

    /// Tries the claim another mockidp process would make on `port`, from a Python child process.
    static func otherProcessCanClaim(_ port: UInt16) throws -> String {
        let script = """
            import socket, sys
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                s.bind("\\0mockidp-port-" + sys.argv[1])
                print("claimed")
            except OSError:
                print("taken")
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script, String(port)]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
