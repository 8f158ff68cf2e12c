import HTTP
import IdP
import JSON
import SampleApp
import TestSupport
import Testing

/// A browser as far as the web shape needs one: a cookie jar for the app's origin (name →
/// value; `Max-Age=0` deletes) and no automatic redirects, so each hop can be looked at.
final class Browser {
    let appBase: String
    private let client: TestClient
    private(set) var cookies: [String: String] = [:]

    init(appBase: String, client: TestClient) {
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
        if url == appBase || url.hasPrefix(appBase + "/") || url.hasPrefix(appBase + "?"), !cookies.isEmpty {
            headers.add("Cookie", cookies.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "; "))
        }
        return ClientRequest(method: method, url: url, headers: headers)
    }

    /// Stores the cookies an app answer sets.
    func take(_ response: ClientResponse) {
        for header in response.headers.values(for: "Set-Cookie") {
            let attributes = header.split(separator: ";").map { String($0).trimming(" ") }
            guard let pair = attributes.first, let equals = pair.firstIndex(of: "=") else { continue }
            let name = String(pair[..<equals])
            let value = String(pair[pair.index(after: equals)...])
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

/// A real mock IdP and the web-shape app; the test's browser reaches them over `transport`
/// (in-process unless it races sign-ins), the app reaches the mock over loopback.
final class WebHarness {
    let idp: MockIdP
    let idpServer: IdPServer
    let app: SampleApp
    let client: TestClient
    let appBase: String
    let clock = TestClock()

    /// `/_mock/tokens` options for the next sign-ins' codes (the mock binds each code to a
    /// token minted from them), so tokens the real flow never issues reach the app.
    private var boundLogins: [JSONObject] = []

    init(
        transport: Transport = .inProcess, bug: SeededBug? = nil, idpIssuer: IssuerSetting = .mockBaseURL,
        configure: (inout SampleAppConfiguration) -> Void = { _ in }
    ) throws {
        var idpConfiguration = IdPConfiguration()
        idpConfiguration.issuer = idpIssuer
        idp = try MockIdP(configuration: idpConfiguration)
        idpServer = IdPServer(idp: idp)
        try idpServer.start(host: "127.0.0.1", port: 0)
        // The app expects the mock's own base URL as issuer, whatever the mock puts in tokens.
        var configuration = SampleAppConfiguration(
            idpBaseURL: idp.baseURL, clientID: idp.configuration.clientID,
            apiKey: idp.configuration.apiKey, issuer: idp.baseURL)
        configuration.shape = .web
        if transport == .inProcess { configuration.publicBaseURL = inProcessAppOrigin }
        configuration.testMode = true
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

    /// The next sign-in's code answers a token minted with these `/_mock/tokens` options.
    func bindNextLogin(_ options: JSONObject) { boundLogins.append(options) }

    /// A whole sign-in; the callback's answer.
    @discardableResult
    func signIn(_ browser: Browser, as user: String, returnTo: String? = nil) throws -> ClientResponse {
        let callbackURL = try authorize(try beginLogin(browser, as: user, returnTo: returnTo))
        if !boundLogins.isEmpty {
            var options = boundLogins.removeFirst()
            options["user"] = .string(user)
            let code = try #require(QueryParameters(parsing: callbackURL.split(separator: "?", maxSplits: 1).last ?? "")["code"])
            let request = try TokenRequest(json: .object(options))
            try idp.bindAuthorizationCode(code, to: BoundLogin(request: request, token: try idp.mintToken(request)))
        }
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
        let request =
            body.map { ClientRequest(method: method, url: idp.baseURL + path, json: $0) } ?? ClientRequest(method: method, url: idp.baseURL + path)
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
