import HTTP
import IdP
import JOSE
import JSON
import SampleApp
import Synchronization

/// A browser as far as the web shape needs one: a cookie jar for the app's origin (name →
/// value; `Max-Age=0` deletes) and no automatic redirects, so each hop can be looked at.
final class Browser {
    let appBase: String
    private let client: HTTPClient
    private(set) var cookies: [String: String] = [:]

    init(appBase: String, client: HTTPClient) {
        self.appBase = appBase
        self.client = client
    }

    /// GET (or another method) with the jar's cookies when the URL is the app's; Set-Cookie
    /// answers go back into the jar.
    @discardableResult
    func send(_ method: String = "GET", _ url: String, json: Bool = false) throws -> ClientResponse {
        let response = try client.send(request(method, url, json: json))
        take(response)
        return response
    }

    func request(_ method: String = "GET", _ url: String, json: Bool = false) -> ClientRequest {
        var headers: HTTPHeaders = [:]
        if json { headers.add("Accept", "application/json") }
        if url.hasPrefix(appBase), !cookies.isEmpty {
            headers.add("Cookie", cookies.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "; "))
        }
        return ClientRequest(method: method, url: url, headers: headers)
    }

    /// Stores the cookies an app answer sets.
    func take(_ response: ClientResponse) {
        for header in response.headers.values(for: "Set-Cookie") {
            let attributes = header.split(separator: ";").map { String($0).trimming(" ") }
            guard let pair = attributes.first, let equals = pair.firstIndex(of: "=") else { continue }
            let name = String(pair[..<equals]), value = String(pair[pair.index(after: equals)...])
            if attributes.contains("Max-Age=0") || value.isEmpty { cookies[name] = nil } else { cookies[name] = value }
        }
    }

    func setCookie(_ name: String, _ value: String?) { cookies[name] = value }

    /// The app page as JSON (`Accept: application/json`).
    func accountJSON() throws -> (status: Int, body: JSONValue?) {
        let response = try send("GET", appBase + "/account", json: true)
        return (response.status, try? response.json())
    }
}

extension String {
    func trimming(_ character: Character) -> String {
        var slice = Substring(self)
        while slice.first == character { slice.removeFirst() }
        while slice.last == character { slice.removeLast() }
        return String(slice)
    }
}

extension ClientResponse {
    var location: String? { headers["Location"] }
    func setCookie(_ name: String) -> String? { headers.values(for: "Set-Cookie").first { $0.hasPrefix(name + "=") } }
}

/// A real mock IdP and the web-shape app on loopback, optionally with a `TokenSwapProxy`
/// between them (the app then meets the mock only through the proxy).
final class WebHarness {
    let idp: MockIdP
    let idpServer: IdPServer
    let proxy: TokenSwapProxy?
    let app: SampleApp
    let client = HTTPClient()
    let appBase: String
    let clock = TestClock()

    init(bug: SeededBug? = nil, swapTokens: Bool = false, idpIssuer: IssuerSetting = .mockBaseURL,
         configure: (inout SampleAppConfiguration) -> Void = { _ in }) throws {
        var idpConfiguration = IdPConfiguration()
        idpConfiguration.issuer = idpIssuer
        idp = try MockIdP(configuration: idpConfiguration)
        idpServer = IdPServer(idp: idp)
        try idpServer.start(host: "127.0.0.1", port: 0)
        proxy = swapTokens ? try TokenSwapProxy(idp: idp) : nil
        // The app expects the mock's own base URL as issuer, whatever the mock puts in tokens.
        var configuration = SampleAppConfiguration(idpBaseURL: proxy?.baseURL ?? idp.baseURL, clientID: idp.configuration.clientID,
                                                   apiKey: idp.configuration.apiKey, issuer: idp.baseURL)
        configuration.shape = .web
        configuration.testMode = true
        configuration.bug = bug
        let clock = self.clock
        configuration.clock = { clock.now() }
        configure(&configuration)
        app = try SampleApp(configuration: configuration)
        appBase = "http://127.0.0.1:\(try app.start(host: "127.0.0.1", port: 0))"
    }

    deinit {
        app.stop()
        proxy?.stop()
        idpServer.stop()
    }

    func browser() -> Browser { Browser(appBase: appBase, client: client) }

    func user(_ ref: String) throws -> User {
        guard let user = idp.directory.user(ref: ref) else { throw TestFailure("no fixture user \(ref)") }
        return user
    }

    /// `/login` in `browser`: the authorize URL the app redirects to.
    func beginLogin(_ browser: Browser, as user: String, returnTo: String? = nil) throws -> String {
        var query: [(name: String, value: String)] = [("login_hint", user)]
        if let returnTo { query.append(("return_to", returnTo)) }
        let response = try browser.send("GET", appBase + "/login?" + QueryParameters.encode(query))
        guard response.status == 302, let location = response.location else { throw TestFailure("/login: \(response.status) \(response.bodyText)") }
        return location
    }

    /// The mock's authorize, headless: the callback URL it sends the browser back to.
    func authorize(_ authorizeURL: String) throws -> String {
        let response = try client.send(.get(authorizeURL + "&mockidp_auto_approve=1"))
        guard response.status == 302, let location = response.location, location.hasPrefix(appBase + "/callback?") else {
            throw TestFailure("authorize: \(response.status) \(response.location ?? response.bodyText)")
        }
        return location
    }

    /// A whole sign-in; the callback's answer.
    @discardableResult
    func signIn(_ browser: Browser, as user: String, returnTo: String? = nil) throws -> ClientResponse {
        let callbackURL = try authorize(try beginLogin(browser, as: user, returnTo: returnTo))
        return try browser.send("GET", callbackURL)
    }

    /// A sign-in that must land on the account page; its JSON.
    func signedIn(_ browser: Browser, as user: String) throws -> JSONValue {
        let callback = try signIn(browser, as: user)
        guard callback.status == 302, callback.location == "/account" else {
            throw TestFailure("callback: \(callback.status) \(callback.location ?? callback.bodyText)")
        }
        let account = try browser.accountJSON()
        guard account.status == 200, let body = account.body else { throw TestFailure("/account: \(account.status)") }
        return body
    }

    func seedFixtureOrganizations() throws {
        let entries: [JSONValue] = try ["acme", "globex", "initech"].map { ref in
            guard let organization = idp.directory.organization(ref: ref) else { throw TestFailure("no organization \(ref)") }
            return ["id": .string(organization.externalID ?? ""), "name": .string(organization.name)]
        }
        let response = try client.send(ClientRequest(method: "POST", url: appBase + "/_test/seed", json: ["organizations": .array(entries)]))
        guard response.status == 200 else { throw TestFailure("seed: \(response.status)") }
    }

    /// Workspaces, members and API keys of one IdP user.
    func counts(_ idpUserID: String) throws -> [Int64] {
        let state = try client.send(.get(appBase + "/_test/introspect?idp_user_id=\(idpUserID)")).json()
        return ["workspaces", "members", "api_keys"].map { state[$0]?.intValue ?? -1 }
    }

    @discardableResult
    func idpControl(_ method: String, _ path: String, _ body: JSONValue? = nil) throws -> ClientResponse {
        let request = body.map { ClientRequest(method: method, url: idp.baseURL + path, json: $0) } ?? ClientRequest(method: method, url: idp.baseURL + path)
        let response = try client.send(request)
        guard (200..<300).contains(response.status) else { throw TestFailure("\(method) \(path): \(response.status) \(response.bodyText)") }
        return response
    }

    /// Moves the app's and the mock's clocks together, so the IdP's next tokens are valid at
    /// the app's new "now" while the ones it holds have expired.
    func advanceClocks(seconds: Int64) {
        clock.advance(milliseconds: seconds * 1000)
        idp.clock.advance(seconds)
    }

    /// POSTs to /user_management/authenticate the mock has answered so far.
    var authenticateCalls: Int {
        idp.journal.entries(Journal.Filter(method: "POST", pathPrefix: "/user_management/authenticate")).count
    }
}

/// The in-test stand-in for "the mock binds an authorization code to a chosen token" (being
/// built for the runner): a proxy in front of the mock that forwards everything, and replaces
/// the access token of the next code exchanges with one minted to order for the same user and
/// session. The code, PKCE and client checks still happen at the real mock.
final class TokenSwapProxy: Sendable {
    let baseURL: String
    private let server: HTTPServer
    private let pending = Pending()

    private final class Pending: Sendable {
        let options = Mutex<[JSONObject]>([])
    }

    init(idp: MockIdP) throws {
        let pending = self.pending
        let upstream = HTTPClient()
        let target = idp.baseURL
        server = HTTPServer(responder: ClosureResponder { request in
            var headers = HTTPHeaders()
            for field in request.headers where !["host", "content-length", "connection"].contains(field.name.lowercased()) {
                headers.add(field.name, field.value)
            }
            guard var response = try? upstream.send(ClientRequest(method: request.method, url: target + request.target, headers: headers, body: request.body)) else {
                return .json(["error": "proxy_upstream_failed"], status: 502)
            }
            let isCodeExchange = request.path == "/user_management/authenticate"
                && (try? request.json())?["grant_type"]?.stringValue == "authorization_code"
            if isCodeExchange, response.status == 200, let options = pending.options.withLock({ $0.isEmpty ? nil : $0.removeFirst() }),
                case .object(var answer)? = try? response.json(), let real = answer["access_token"]?.stringValue,
                let swapped = Self.mint(idp: idp, like: real, options)
            {
                answer["access_token"] = .string(swapped)
                response.body = JSONValue.object(answer).serialized()
            }
            var out = HTTPResponse(status: response.status, body: response.body)
            for field in response.headers where !["content-length", "connection", "transfer-encoding", "date"].contains(field.name.lowercased()) {
                out.headers.add(field.name, field.value)
            }
            return out
        })
        baseURL = "http://127.0.0.1:\(try server.start(host: "127.0.0.1", port: 0))"
    }

    func stop() { server.stop() }

    /// The next code exchange answers a token minted with these `/_mock/tokens` options.
    func swapNextToken(_ options: JSONObject) { pending.options.withLock { $0.append(options) } }

    /// A token for the real token's user and session, changed as `options` say.
    private static func mint(idp: MockIdP, like real: String, _ options: JSONObject) -> String? {
        guard let payload = real.split(separator: ".").dropFirst().first, let bytes = try? Base64URL.decode(payload),
            let claims = try? JSONValue.parse(bytes), let subject = claims["sub"]?.stringValue
        else { return nil }
        var body = options
        body["user"] = .string(subject)
        var overrides = body["claims"]?.objectValue ?? [:]
        if overrides["sid"] == nil, let sid = claims["sid"] { overrides["sid"] = sid }
        // (`omit` wins over `claims` at the mock, so omitting sid still works.)
        body["claims"] = .object(overrides)
        guard let request = try? TokenRequest(json: .object(body)) else { return nil }
        return try? idp.mintToken(request).token
    }
}
