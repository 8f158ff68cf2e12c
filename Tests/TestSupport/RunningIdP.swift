import HTTP
import IdP
import JSON

/// How a test's requests reach the mock (Hummingbird's `.router` and `.live` test modes).
package enum Transport: Sendable {
    /// Straight to the mock's responder, the same middleware chain and routes the server runs,
    /// without sockets: the default for flow tests, which are about the IdP, not about HTTP.
    case inProcess
    /// Through the real server and client over 127.0.0.1.
    case loopback
}

/// Sends a test's requests over the chosen transport.
package struct TestClient: Sendable {
    enum Backend: Sendable {
        case responder(IdPResponder, base: String)
        case http(HTTPClient)
    }

    let backend: Backend

    package func send(_ request: ClientRequest) throws -> ClientResponse {
        switch backend {
        case .http(let client):
            return try client.send(request)
        case .responder(let responder, let base):
            guard request.url.hasPrefix(base) else { throw TestFailure("the in-process transport reaches \(base) only, not \(request.url)") }
            let rest = String(request.url.dropFirst(base.count))
            var headers = request.headers
            if !headers.contains("Host") { headers.add("Host", String(base.drop { $0 != "/" }.dropFirst(2))) }
            let response = responder.respond(to: HTTPRequest(
                method: request.method, target: rest.isEmpty ? "/" : rest, headers: headers, body: request.body, remoteAddress: "127.0.0.1:0"))
            if response.dropsConnection { throw TestFailure("the mock dropped the connection") }
            // What the server adds on the wire: the body's length, and no body for HEAD.
            var answered = response.headers
            if !answered.contains("Content-Length") { answered.add("Content-Length", String(response.body.count)) }
            return ClientResponse(status: response.status, headers: answered, body: request.method == "HEAD" ? [] : response.body)
        }
    }
}

/// A mock IdP for one test, with a client that speaks to it over the chosen transport.
package final class RunningIdP {
    package let idp: MockIdP
    package let server: IdPServer?
    package let client: TestClient
    package let base: String

    package init(transport: Transport = .loopback, _ configure: (inout IdPConfiguration) -> Void = { _ in }) throws {
        var configuration = IdPConfiguration()
        configure(&configuration)
        idp = try MockIdP(configuration: configuration)
        switch transport {
        case .loopback:
            let server = IdPServer(idp: idp)
            try server.start(host: "127.0.0.1", port: 0)
            self.server = server
            client = TestClient(backend: .http(HTTPClient()))
        case .inProcess:
            server = nil
            client = TestClient(backend: .responder(IdPResponder(idp: idp), base: idp.baseURL))
        }
        base = idp.baseURL
    }

    deinit { server?.stop() }

    package var apiKeyHeader: HTTPHeaders { ["Authorization": "Bearer \(idp.configuration.apiKey)"] }

    package func get(_ path: String, authorized: Bool = true) throws -> ClientResponse {
        try client.send(ClientRequest(method: "GET", url: base + path, headers: authorized ? apiKeyHeader : [:]))
    }

    package func send(_ method: String, _ path: String, _ body: JSONValue, authorized: Bool = true) throws -> ClientResponse {
        try client.send(ClientRequest(method: method, url: base + path, json: body, headers: authorized ? apiKeyHeader : [:]))
    }

    package func json(_ path: String) throws -> JSONValue { try get(path).json() }

    package func mint(_ body: JSONValue) throws -> String {
        let response = try send("POST", "/_mock/tokens", body, authorized: false)
        guard response.status == 200, let token = try response.json()["access_token"]?.stringValue else {
            throw TestFailure("mint failed: \(response.status) \(response.bodyText)")
        }
        return token
    }

    package var fixtures: Directory { idp.directory }
    package func org(_ ref: String) -> Organization { idp.directory.organization(ref: ref)! }
    package func user(_ ref: String) -> User { idp.directory.user(ref: ref)! }
}

package struct TestFailure: Error, CustomStringConvertible {
    package let description: String
    package init(_ description: String) { self.description = description }
}
