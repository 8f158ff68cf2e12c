import HTTP
import IdP
import JSON

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
            client = .loopback()
        case .inProcess:
            server = nil
            client = .inProcess([idp.baseURL: IdPResponder(idp: idp)])
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
