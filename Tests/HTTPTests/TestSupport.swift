import HTTP
import JSON
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A raw TCP connection for sending exact bytes (bad-input tests).
final class RawConnection {
    let fd: Int32

    init(port: UInt16) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        if rc != 0 {
            // No close here: deinit runs for a fully initialized object whose init throws, and a
            // double close would close some other test's descriptor.
            throw TestFailure("connect failed: \(errno)")
        }
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
    }

    deinit { close(fd) }

    @discardableResult
    func write(_ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if sent <= 0 { return false }
            offset += sent
        }
        return true
    }

    @discardableResult
    func write(_ text: String) -> Bool { write(Array(text.utf8)) }

    func shutdownWrite() { shutdown(fd, Int32(SHUT_WR)) }

    /// Reads until EOF or until `timeoutMilliseconds` of silence. `closed` is true on EOF/reset.
    func readUntilClose(timeoutMilliseconds: Int32 = 5000) -> (bytes: [UInt8], closed: Bool) {
        var result: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        for _ in 0..<100_000 {
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&pfd, 1, timeoutMilliseconds)
            if ready <= 0 { return (result, false) }
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count <= 0 { return (result, true) }
            result.append(contentsOf: buffer[0..<count])
        }
        return (result, false)
    }

    /// Reads one response framed by Content-Length (enough for our own server's answers).
    func readResponse(timeoutMilliseconds: Int32 = 5000) -> String? {
        var result: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        for _ in 0..<10_000 {
            if let text = Self.completeResponse(result) { return text }
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&pfd, 1, timeoutMilliseconds) > 0 else { return nil }
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count <= 0 { return Self.completeResponse(result) }
            result.append(contentsOf: buffer[0..<count])
        }
        return nil
    }

    static func completeResponse(_ bytes: [UInt8]) -> String? {
        guard bytes.count >= 4 else { return nil }
        var headEnd = -1
        for index in 3..<bytes.count where bytes[index - 3] == 13 && bytes[index - 2] == 10 && bytes[index - 1] == 13 && bytes[index] == 10 {
            headEnd = index + 1
            break
        }
        guard headEnd > 0 else { return nil }
        let head = String(decoding: bytes[0..<headEnd], as: UTF8.self).lowercased()
        var length = 0
        for line in head.split(separator: "\r\n") where line.hasPrefix("content-length:") {
            length = Int(line.dropFirst(15).trimmingCharacters(in: " ")) ?? 0
        }
        return bytes.count - headEnd >= length ? String(decoding: bytes, as: UTF8.self) : nil
    }
}

extension StringProtocol {
    func trimmingCharacters(in set: String) -> String {
        var s = Substring(self)
        while let f = s.first, set.contains(f) { s.removeFirst() }
        while let l = s.last, set.contains(l) { s.removeLast() }
        return String(s)
    }
}

/// The status code from a raw response's status line, if any.
func statusCode(_ bytes: [UInt8]) -> Int? {
    let text = String(decoding: bytes.prefix(64), as: UTF8.self)
    guard text.hasPrefix("HTTP/1.1 "), text.utf8.count >= 12 else { return nil }
    return Int(text.dropFirst(9).prefix(3))
}

/// A running server on 127.0.0.1 with an ephemeral port; stopped by the caller.
func startServer(
    configuration: HTTPServer.Configuration = .init(),
    onRequestCompleted: (@Sendable (HTTPRequest, HTTPResponse) -> Void)? = nil,
    responder: some HTTPResponder = echoRouter()
) throws -> (HTTPServer, UInt16) {
    let server = HTTPServer(configuration: configuration, responder: responder, onRequestCompleted: onRequestCompleted)
    let port = try server.start()
    return (server, port)
}

func echoRouter() -> RouterResponder {
    var router = Router()
    router.get("/hello") { _ in .text("hello") }
    router.get("/json") { _ in .json(["ok": true]) }
    router.post("/echo") { request in
        guard let value = try? request.json() else {
            return .error(status: 400, code: "invalid_json", message: "body is not JSON")
        }
        return .json(["received": value, "method": .string(request.method)], status: 201)
    }
    router.get("/users/{id}") { request in .json(["id": .string(request.pathParameters["id"] ?? "")]) }
    router.get("/redirect") { _ in .redirect(to: "/hello") }
    router.get("/close") { _ in
        var response = HTTPResponse.text("bye")
        response.closeConnection = true
        return response
    }
    router.get("/drop") { _ in .dropConnection }
    return router.freeze()
}

/// A normal GET on a new connection answers 200 (the server is still healthy).
func expectHealthy(_ port: UInt16, sourceLocation: SourceLocation = #_sourceLocation) throws {
    let connection = try RawConnection(port: port)
    connection.write("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
    let response = connection.readResponse()
    #expect(response?.hasPrefix("HTTP/1.1 200 OK\r\n") == true, "server unhealthy: \(response ?? "no response")", sourceLocation: sourceLocation)
}
