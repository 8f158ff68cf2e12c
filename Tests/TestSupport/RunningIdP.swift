import HTTP
import IdP
import JSON

/// A mock IdP on a loopback port for one test, with a client that speaks to it.
public final class RunningIdP {
    public let idp: MockIdP
    public let server: IdPServer
    public let client = HTTPClient()
    public let base: String

    public init(_ configure: (inout IdPConfiguration) -> Void = { _ in }) throws {
        var configuration = IdPConfiguration()
        configure(&configuration)
        idp = try MockIdP(configuration: configuration)
        server = IdPServer(idp: idp)
        try server.start(host: "127.0.0.1", port: 0)
        base = idp.baseURL
    }

    deinit { server.stop() }

    public var apiKeyHeader: HTTPHeaders { ["Authorization": "Bearer \(idp.configuration.apiKey)"] }

    public func get(_ path: String, authorized: Bool = true) throws -> ClientResponse {
        try client.send(ClientRequest(method: "GET", url: base + path, headers: authorized ? apiKeyHeader : [:]))
    }

    public func send(_ method: String, _ path: String, _ body: JSONValue, authorized: Bool = true) throws -> ClientResponse {
        try client.send(ClientRequest(method: method, url: base + path, json: body, headers: authorized ? apiKeyHeader : [:]))
    }

    public func json(_ path: String) throws -> JSONValue { try get(path).json() }

    public func mint(_ body: JSONValue) throws -> String {
        let response = try send("POST", "/_mock/tokens", body, authorized: false)
        guard response.status == 200, let token = try response.json()["access_token"]?.stringValue else {
            throw TestFailure("mint failed: \(response.status) \(response.bodyText)")
        }
        return token
    }

    public var fixtures: Directory { idp.directory }
    public func org(_ ref: String) -> Organization { idp.directory.organization(ref: ref)! }
    public func user(_ ref: String) -> User { idp.directory.user(ref: ref)! }
}

public struct TestFailure: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
