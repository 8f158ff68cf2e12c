import TestSupport
import Testing

@testable import HTTP

#if canImport(Glibc)
    import Glibc
#endif

/// The race primitive: every connection is open before any request leaves, and no request
/// leaves before the gate opens.
@Suite struct GateTests {
    @Test func noParallelRequestReachesTheServerBeforeTheGateOpens() throws {
        let listener = try SilentListener()
        let count = 8
        let client = HTTPClient()
        let requests = (0..<count).map {
            ClientRequest(method: "POST", url: "http://127.0.0.1:\(listener.port)/race/\($0)", json: ["n": .int(Int64($0))])
        }
        var acceptedBeforeRelease: [Int32] = []
        var bytesBeforeRelease = -1
        let results = client.sendConcurrently(requests) {
            // Every connection was opened before the threads started, so all are in the backlog.
            for _ in 0..<count {
                let fd = accept(listener.fd, nil, nil)
                if fd >= 0 { acceptedBeforeRelease.append(fd) }
            }
            // Give an early sender ample time to be seen: with the gate in place nothing arrives.
            var fds = acceptedBeforeRelease.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            bytesBeforeRelease = Int(poll(&fds, nfds_t(fds.count), 300))
            // Answer each request once it arrives, after the gate opens.
            let answering = acceptedBeforeRelease
            _ = POSIXThread.spawn(stackSize: 256 * 1024, detached: true) {
                for fd in answering {
                    var buffer = [UInt8](repeating: 0, count: 4096)
                    var received: [UInt8] = []
                    while !received.containsHeadEnd {
                        let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                        if n <= 0 { break }
                        received += buffer[0..<n]
                    }
                    let answer = Array("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok".utf8)
                    _ = answer.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                    close(fd)
                }
            }
        }
        #expect(acceptedBeforeRelease.count == count, "every connection is open before the release")
        #expect(bytesBeforeRelease == 0, "\(bytesBeforeRelease) connection(s) carried request bytes before the gate opened")
        #expect(results.allSatisfy { (try? $0.get().status) == 200 })
    }
}

extension Array where Element == UInt8 {
    /// The head is complete (the body of these requests is small and arrives in the same send).
    var containsHeadEnd: Bool {
        guard count >= 4 else { return false }
        for index in 0...(count - 4) where self[index] == 13 && self[index + 1] == 10 && self[index + 2] == 13 && self[index + 3] == 10 {
            return true
        }
        return false
    }
}
