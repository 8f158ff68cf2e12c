import Essentials
import HTTP
import IdP
import JOSE
import JSON
import SampleApp
import Synchronization
import TestSupport

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// A wall clock a test can move forward, so `last_seen_at` changes without sleeping.
final class TestClock: Sendable {
    private let offset = Atomic<Int64>(0)
    func now() -> Int64 { WallClock.nowMilliseconds() + offset.load(ordering: .relaxed) }
    func advance(milliseconds: Int64) { offset.add(milliseconds, ordering: .relaxed) }
}

/// The origin the reference app answers at when a test calls its responder in-process: it is
/// never bound, so no other process can be reached by mistake, and it is a loopback name, so
/// the mock accepts redirect URIs on it.
let inProcessAppOrigin = "http://localhost"

/// Makes `app` reachable under `transport` and returns its base URL and the test's client:
/// in-process, each origin goes straight to its responder; over loopback, the app is started
/// and the client goes through sockets.
func launch(_ app: SampleApp, _ transport: Transport, idp: MockIdP) throws -> (appBase: String, client: TestClient) {
    switch transport {
    case .inProcess:
        return (inProcessAppOrigin, .inProcess([inProcessAppOrigin: app.responder, idp.baseURL: IdPResponder(idp: idp)]))
    case .loopback:
        return ("http://127.0.0.1:\(try app.start(host: "127.0.0.1", port: 0))", .loopback())
    }
}

/// A real mock IdP and the reference app for one test. The app reaches the mock over loopback
/// (it meets the IdP only over HTTP, as a real app does); the test reaches both over
/// `transport`: in-process unless the test races requests.
final class Harness {
    let idp: MockIdP
    let idpServer: IdPServer
    let app: SampleApp
    let client: TestClient
    let idpBase: String
    let appBase: String
    let clock = TestClock()

    init(
        transport: Transport = .inProcess, bug: SeededBug? = nil, idSpaces: IDSpaceMode = .strict, algorithm: JWSAlgorithm = .rs256,
        testMode: Bool = true, configure: (inout SampleAppConfiguration) -> Void = { _ in }
    ) throws {
        var idpConfiguration = IdPConfiguration()
        idpConfiguration.idSpaces = idSpaces
        idpConfiguration.signingAlgorithm = algorithm
        idp = try MockIdP(configuration: idpConfiguration)
        idpServer = IdPServer(idp: idp)
        try idpServer.start(host: "127.0.0.1", port: 0)
        idpBase = idp.baseURL
        var configuration = SampleAppConfiguration(
            idpBaseURL: idp.baseURL, clientID: idp.configuration.clientID,
            apiKey: idp.configuration.apiKey, issuer: idp.issuer)
        configuration.testMode = testMode
        configuration.bug = bug
        let clock = self.clock
        configuration.clock = { clock.now() }
        configure(&configuration)
        app = try SampleApp(configuration: configuration)
        (appBase, client) = try launch(app, transport, idp: idp)
    }

    deinit {
        app.stop()
        idpServer.stop()
    }

    // MARK: - IdP side

    func user(_ ref: String) throws -> User {
        guard let user = idp.directory.user(ref: ref) else { throw TestFailure("no fixture user \(ref)") }
        return user
    }

    func organization(_ ref: String) throws -> Organization {
        guard let organization = idp.directory.organization(ref: ref) else { throw TestFailure("no fixture organization \(ref)") }
        return organization
    }

    func externalID(_ ref: String) throws -> String {
        guard let id = try organization(ref).externalID else { throw TestFailure("\(ref) has no external_id") }
        return id
    }

    /// Mints through the control API, as the runner does. `body["user"]` defaults to `user`.
    func token(_ user: String, _ extra: JSONObject = [:]) throws -> String {
        var body: JSONObject = ["user": .string(user)]
        for member in extra { body[member.key] = member.value }
        let response = try client.send(ClientRequest(method: "POST", url: idpBase + "/_mock/tokens", json: .object(body)))
        guard response.status == 200, let token = try response.json()["access_token"]?.stringValue else {
            throw TestFailure("mint failed: \(response.status) \(response.bodyText)")
        }
        return token
    }

    /// A brand-new IdP user with no memberships; returns its ID.
    func newUser(_ email: String) throws -> String {
        try idp.createUser(NewUser(email: email)).id
    }

    @discardableResult
    func idpControl(_ method: String, _ path: String, _ body: JSONValue) throws -> ClientResponse {
        let response = try client.send(ClientRequest(method: method, url: idpBase + path, json: body))
        guard (200..<300).contains(response.status) else { throw TestFailure("\(method) \(path): \(response.status) \(response.bodyText)") }
        return response
    }

    // MARK: - App side

    func callbackRequest(_ token: String) -> ClientRequest {
        ClientRequest(method: "POST", url: appBase + "/v1/auth/web/callback", headers: ["Authorization": "Bearer \(token)"])
    }

    func callback(_ token: String) throws -> ClientResponse {
        try client.send(callbackRequest(token))
    }

    /// A callback that must succeed; returns the parsed body.
    func login(_ token: String) throws -> JSONValue {
        let response = try callback(token)
        guard response.status == 200 else { throw TestFailure("callback: \(response.status) \(response.bodyText)") }
        return try response.json()
    }

    /// Seeds app organizations whose IDs are the fixture organizations' external_ids.
    func seedFixtureOrganizations(_ refs: [String] = ["acme", "globex", "initech"]) throws {
        var entries: [JSONValue] = []
        for ref in refs {
            let organization = try organization(ref)
            entries.append(["id": .string(organization.externalID ?? ""), "name": .string(organization.name)])
        }
        let response = try send("POST", "/_test/seed", ["organizations": .array(entries)])
        guard response.status == 200 else { throw TestFailure("seed: \(response.status) \(response.bodyText)") }
    }

    func send(_ method: String, _ path: String, _ body: JSONValue? = nil, token: String? = nil) throws -> ClientResponse {
        var headers: HTTPHeaders = [:]
        if let token { headers.add("Authorization", "Bearer \(token)") }
        if let body { return try client.send(ClientRequest(method: method, url: appBase + path, json: body, headers: headers)) }
        return try client.send(ClientRequest(method: method, url: appBase + path, headers: headers))
    }

    func introspect(_ idpUserID: String) throws -> JSONValue {
        let response = try send("GET", "/_test/introspect?idp_user_id=\(idpUserID)")
        guard response.status == 200 else { throw TestFailure("introspect: \(response.status) \(response.bodyText)") }
        return try response.json()
    }

    /// Workspaces, members and API keys of one IdP user.
    func counts(_ idpUserID: String) throws -> [Int64] {
        let state = try introspect(idpUserID)
        return ["workspaces", "members", "api_keys"].map { state[$0]?.intValue ?? -1 }
    }

    /// Polls (bounded) until `condition` holds; the only waiting the tests do, for cache TTLs.
    func eventually(timeoutMilliseconds: Int64 = 3_000, _ condition: () throws -> Bool) rethrows -> Bool {
        let deadline = WallClock.nowMilliseconds() + timeoutMilliseconds
        while WallClock.nowMilliseconds() < deadline {
            if try condition() { return true }
            usleep(10_000)
        }
        return try condition()
    }
}

extension ClientResponse {
    var reason: String? { (try? json())?["reason"]?.stringValue }
}
