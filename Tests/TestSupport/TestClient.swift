import HTTP

/// How a test's requests reach the servers it talks to (Hummingbird's `.router` and `.live`
/// test modes).
package enum Transport: Sendable {
    /// Straight to each server's responder, the same middleware chain and routes the server
    /// runs, without sockets: the default for flow tests, which are about the IdP or the app,
    /// not about HTTP.
    case inProcess
    /// Through the real server and client over 127.0.0.1: for HTTP itself, and for races,
    /// whose requests must overlap on real connections.
    case loopback
}

/// Sends a test's requests over the chosen transport.
package struct TestClient: Sendable {
    private enum Backend: Sendable {
        /// Each origin (`http://host[:port]`) answered by its responder, in this process.
        case responders([String: any HTTPResponder])
        case http(HTTPClient)
    }

    private let backend: Backend

    /// Over sockets, with a real client.
    package static func loopback(_ client: HTTPClient = HTTPClient()) -> TestClient { TestClient(backend: .http(client)) }

    /// In this process: a request to one of `origins` goes straight to its responder; a URL
    /// on any other origin is a test failure, never a silent network call.
    package static func inProcess(_ origins: [String: any HTTPResponder]) -> TestClient { TestClient(backend: .responders(origins)) }

    package func send(_ request: ClientRequest) throws -> ClientResponse {
        switch backend {
        case .http(let client):
            return try client.send(request)
        case .responders(let origins):
            let (origin, target) = Self.split(request.url)
            guard let responder = origins[origin] else {
                throw TestFailure("the in-process transport reaches \(origins.keys.sorted().joined(separator: ", ")) only, not \(request.url)")
            }
            var headers = request.headers
            if !headers.contains("Host") { headers.add("Host", String(origin.dropFirst("http://".count))) }
            let response = responder.respond(
                to: HTTPRequest(
                    method: request.method, target: target, headers: headers, body: request.body, remoteAddress: "127.0.0.1:0"))
            if response.dropsConnection { throw TestFailure("\(origin) dropped the connection") }
            // What the server adds on the wire: the body's length, and no body for HEAD.
            var answered = response.headers
            if !answered.contains("Content-Length") { answered.add("Content-Length", String(response.body.count)) }
            return ClientResponse(status: response.status, headers: answered, body: request.method == "HEAD" ? [] : response.body)
        }
    }

    /// Sends `requests` so that they overlap at the server (`HTTPClient.sendConcurrently`). A
    /// race needs real connections, so the in-process transport answers each with a failure.
    package func sendConcurrently(_ requests: [ClientRequest]) -> [Result<ClientResponse, any Error>] {
        switch backend {
        case .http(let client):
            return client.sendConcurrently(requests).map { $0.mapError { $0 } }
        case .responders:
            return requests.map { _ in .failure(TestFailure("a race needs real connections: use the loopback transport")) }
        }
    }

    /// `http://host[:port]` and the origin-form target of a URL.
    private static func split(_ url: String) -> (origin: String, target: String) {
        let scheme = "http://"
        guard url.hasPrefix(scheme) else { return (url, "/") }
        let rest = url.dropFirst(scheme.count)
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" } ?? rest.endIndex
        let target = rest[authorityEnd...]
        return (scheme + rest[..<authorityEnd], target.isEmpty ? "/" : target.hasPrefix("?") ? "/" + target : String(target))
    }
}
