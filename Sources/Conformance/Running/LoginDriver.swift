import Essentials
import FoundationEssentials
import Glibc
import HTTP
import IdP
import JSON

/// Signs a user in the way the profile says this app does: the token in the callback request
/// (bearer, JSON or form field, query, cookie), or a browser's authorization-code flow whose
/// code the mock binds to the scenario's minted token. Then the probe, if the profile has one.
struct LoginDriver {
    let context: ScenarioContext
    var app: AppTarget { context.app }
    var profile: TargetProfile { context.app.profile }

    /// A browser login in progress or done: replaying `callbackURL` in `jar` is a replayed callback.
    final class BrowserLogin {
        let callbackURL: String
        let jar: CookieJar
        /// The token the code was bound to, decoded in the report next to the callback.
        let token: String
        /// What the browser held when the IdP sent it back, before the app's callback answered.
        let cookiesBeforeCallback: [CookieJar.Cookie]
        /// The app's authorize request carried a PKCE `code_challenge`.
        let usedPKCE: Bool
        init(callbackURL: String, jar: CookieJar, token: String, usedPKCE: Bool) {
            self.callbackURL = callbackURL
            self.jar = jar
            self.token = token
            self.usedPKCE = usedPKCE
            cookiesBeforeCallback = jar.all
        }
    }

    /// A code-flow login shaped by the callback step: the app's login route with `login_query`,
    /// the callback's `state` tampered with, or delivered in a browser that never started it.
    func login(_ callback: CallbackStep, step: String) throws -> Captured {
        let shaped = !callback.loginQuery.isEmpty || callback.state != nil || callback.freshBrowser || callback.iss != nil
        guard shaped, let tokenName = callback.token else { return try login(tokenName: callback.noToken ? nil : callback.token, step: step) }
        guard let flow = profile.codeFlow else {
            throw ScenarioStop.notApplicable("login_query, state, browser and iss shape a code-flow login; this profile's callback takes the token")
        }
        if !callback.loginQuery.isEmpty && flow.loginPath == nil {
            throw ScenarioStop.notApplicable(
                "the profile names no login route (callback.login_path) to pass \(callback.loginQuery.map(\.name).joined(separator: ", ")) to")
        }
        if callback.state == .otherLogin && flow.loginPath == nil {
            throw ScenarioStop.notApplicable("another login's state needs the app's own login route (callback.login_path)")
        }
        var browser: BrowserLogin
        do {
            browser = try prepareBrowser(tokenName: tokenName, step: step, loginQuery: callback.loginQuery, attacker: callback.freshBrowser)
        } catch let stopped as LoginRouteStopped {
            // The app would not start a login for these parameters (a 400 for a foreign
            // return_to, say): that answer is what the scenario judges.
            return stopped.answer
        }
        if callback.state != nil, browser.usedPKCE {
            throw ScenarioStop.notApplicable(
                "the app's authorize request carries a PKCE code_challenge: PKCE may be its CSRF protection (RFC 9700 §2.1) and state mere application state, so a changed state alone proves nothing (the code-in-victim-browser case still applies)"
            )
        }
        if let tampering = callback.state {
            var url = Self.removingQueryParameter("state", from: browser.callbackURL)
            let issued = Self.query(of: browser.callbackURL)["state"] ?? ""
            let replacement: String?
            switch tampering {
            case .missing: replacement = nil
            case .altered: replacement = Self.altered(issued)
            case .otherLogin:
                // The attacker's own login, started in the attacker's browser: its state is genuine.
                let other = try authorizeURL(in: Browser(context: context), loginQuery: [], attacker: false, step: "\(step): another browser's login")
                replacement = Self.query(of: other)["state"] ?? Self.altered(issued)
            }
            if let replacement { url += (url.contains("?") ? "&" : "?") + QueryParameters.encode([(name: "state", value: replacement)]) }
            browser = BrowserLogin(callbackURL: url, jar: browser.jar, token: browser.token, usedPKCE: browser.usedPKCE)
        }
        if let tampering = callback.iss {
            var url = Self.removingQueryParameter("iss", from: browser.callbackURL)
            if tampering == .attacker {
                url += (url.contains("?") ? "&" : "?") + QueryParameters.encode([(name: "iss", value: try context.sides.attackerIdP().issuer)])
            }
            browser = BrowserLogin(callbackURL: url, jar: browser.jar, token: browser.token, usedPKCE: browser.usedPKCE)
        }
        context.bindings.browserLogins[tokenName] = browser
        return try deliver(browser, step: step)
    }

    /// A value of the same length and alphabet that is not `state` (or a fixed one for an empty state).
    static func altered(_ state: String) -> String {
        guard !state.isEmpty else { return "mockidp-altered-state" }
        return String(state.reversed()) == state ? state + "x" : String(state.reversed())
    }

    /// The profile's logout route in the browser of `tokenName`'s login, following redirects
    /// within the app.
    func logout(tokenName: String, step: String) throws -> Captured {
        guard let logout = profile.logout else { throw ScenarioStop.notApplicable("the profile declares no logout route (logout.path)") }
        guard let login = context.bindings.browserLogins[tokenName] else {
            throw ScenarioStop.harness("\(step): '\(tokenName)' has no browser login to sign out of (a callback step first)")
        }
        let browser = Browser(jar: login.jar, context: context)
        let url = app.baseURL + logout.path
        let first = browser.send(
            ClientRequest(method: logout.method, url: url, headers: ["Accept": "text/html,application/json"]), cookieMethod: logout.method,
            step: step)
        // As a browser: through the IdP's logout (which ends the IdP session) and back to the app.
        return browser.follow(first, from: url, within: [app.baseURL, context.idp.baseURL], step: step)
    }

    /// The probe in a fresh browser that holds only `cookies`.
    func probe(cookies: [CookieJar.Cookie], step: String) throws -> Captured {
        guard profile.probe != nil else { throw ScenarioStop.notApplicable("the profile declares no probe") }
        return try probeAnswer(in: Browser(jar: CookieJar(cookies: cookies), context: context), step: step, authorization: nil, keepsCookies: false)
    }

    /// One login with the named token (nil: the no-token baseline).
    func login(tokenName: String?, step: String) throws -> Captured {
        guard profile.codeFlow != nil else {
            let token = try tokenName.map { (name: String) throws -> String in try context.tokenText(name) }
            let browser = Browser(context: context)
            var captured = browser.send(app.callbackRequest(token: token), step: step, token: token)
            try probe(&captured, in: browser, step: step)
            return captured
        }
        guard let tokenName else { return try noCodeCallback(step: step) }
        let browser = try context.bindings.browserLogins[tokenName] ?? prepareBrowser(tokenName: tokenName, step: step)
        context.bindings.browserLogins[tokenName] = browser
        return try deliver(browser, step: step)
    }

    /// N logins whose final request (the callback) leaves at one instant over pre-opened connections.
    func loginConcurrently(tokenNames: [String], step: String) throws -> [Captured] {
        guard profile.codeFlow != nil else {
            let tokens = try tokenNames.map { try context.tokenText($0) }
            var list = try context.wire.sendConcurrently(tokens.map { app.callbackRequest(token: $0) }, step: step, tokens: tokens)
            for index in list.indices {
                let browser = Browser(context: context)
                browser.jar.store(list[index].setCookies, from: app.baseURL + profile.callback.path)
                try probe(&list[index], in: browser, step: "\(step) #\(index + 1)")
            }
            return list
        }
        var logins: [BrowserLogin] = []
        for (index, name) in tokenNames.enumerated() {
            let login = try context.bindings.browserLogins[name] ?? prepareBrowser(tokenName: name, step: "\(step) #\(index + 1)")
            context.bindings.browserLogins[name] = login
            logins.append(login)
        }
        // The callbacks leave together, so they are sent at once rather than through each browser's `send`.
        let requests = logins.map { login in
            var headers: HTTPHeaders = ["Accept": "text/html,application/json"]
            if let cookie = login.jar.header(for: login.callbackURL, initiatorHost: context.idpHost) { headers.add("Cookie", cookie) }
            return ClientRequest(method: profile.callback.method, url: login.callbackURL, headers: headers)
        }
        var list = try context.wire.sendConcurrently(requests, step: step, tokens: logins.map(\.token))
        for index in list.indices {
            let browser = Browser(jar: logins[index].jar, context: context)
            browser.jar.store(list[index].setCookies, from: logins[index].callbackURL)
            list[index] = browser.follow(list[index], from: logins[index].callbackURL, within: [app.baseURL], step: "\(step) #\(index + 1)")
            try probe(&list[index], in: browser, step: "\(step) #\(index + 1)")
        }
        return list
    }

    /// The probe in `count` fresh browsers that each hold `cookies`, sent at one instant over
    /// pre-opened connections: several browsers (or tabs) of one session at once. Each browser
    /// keeps what the answer set (a refreshed session cookie), for a later probe in it.
    func probeConcurrently(cookies: [CookieJar.Cookie], count: Int, step: String) throws -> (answers: [Captured], jars: [CookieJar]) {
        guard let probe = profile.probe else { throw ScenarioStop.notApplicable("the profile declares no probe") }
        let url = app.baseURL + probe.call.path
        let jars = (0..<count).map { _ in CookieJar(cookies: cookies) }
        let requests = jars.map { jar in
            var headers = HTTPHeaders()
            for (name, value) in probe.headers.sorted(by: { $0.key < $1.key }) { headers.add(name, value) }
            if let cookie = jar.header(for: url, method: probe.call.method) { headers.add("Cookie", cookie) }
            return ClientRequest(method: probe.call.method, url: url, headers: headers)
        }
        var answers = try context.wire.sendConcurrently(requests, step: step, tokens: Array(repeating: nil, count: count))
        for index in answers.indices {
            jars[index].store(answers[index].setCookies, from: url)
            answers[index].probe = Captured.Probe(status: answers[index].status, body: answers[index].body, json: answers[index].json)
        }
        return (answers, jars)
    }

    /// The probe once more, as the user of an earlier login (its cookies; its bearer token in
    /// the token shape): after a wait this is what makes a code-flow app refresh.
    func probeAgain(tokenName: String, step: String) throws -> Captured {
        guard profile.probe != nil else { throw ScenarioStop.notApplicable("the profile declares no probe") }
        let browser = Browser(jar: context.bindings.browserLogins[tokenName]?.jar ?? CookieJar(), context: context)
        var authorization: String?
        if profile.codeFlow == nil, case .bearer = profile.tokenPlacement { authorization = "Bearer \(try context.tokenText(tokenName))" }
        return try probeAnswer(in: browser, step: step, authorization: authorization, keepsCookies: true)
    }

    /// The profile's probe in `browser`, as the caller `authorization` names; its answer is where
    /// identity is read.
    private func probeAnswer(in browser: Browser, step: String, authorization: String?, keepsCookies: Bool) throws -> Captured {
        guard let probe = profile.probe else { throw ScenarioStop.notApplicable("the profile declares no probe") }
        var headers = HTTPHeaders()
        for (name, value) in probe.headers.sorted(by: { $0.key < $1.key }) { headers.add(name, value) }
        if let authorization { headers.add("Authorization", authorization) }
        var answer = browser.send(
            ClientRequest(method: probe.call.method, url: app.baseURL + probe.call.path, headers: headers), step: step,
            keepsCookies: keepsCookies)
        answer.probe = Captured.Probe(status: answer.status, body: answer.body, json: answer.json)
        return answer
    }

    // MARK: Code flow

    /// Everything before the callback: the app's login route (or a built authorize URL), then the
    /// mock's authorize step passed headlessly; the issued code is bound to the minted token.
    /// `attacker`: the authorize request is one the runner builds as a login-CSRF attacker does
    /// (the app's client_id and redirect_uri, its own state, no PKCE), in a browser with no cookies.
    private func prepareBrowser(tokenName: String, step: String, loginQuery: [(name: String, value: String)] = [], attacker: Bool = false) throws
        -> BrowserLogin
    {
        guard let minted = context.bindings.tokens[tokenName], let request = context.bindings.tokenRequests[tokenName] else {
            throw ScenarioStop.harness("\(step): a code-flow login needs a token minted by a mint step ('\(tokenName)' is not)")
        }
        let browser = Browser(context: context)
        let authorizeURL = try authorizeURL(in: browser, loginQuery: loginQuery, attacker: attacker, step: step)
        var url = authorizeURL
        // The browser's user signs in at once (AuthKit's hosted page, approved headlessly).
        for parameter in ["login_hint", "mockidp_auto_approve"] { url = Self.removingQueryParameter(parameter, from: url) }
        url +=
            (url.contains("?") ? "&" : "?")
            + QueryParameters.encode([(name: "login_hint", value: request.user), (name: "mockidp_auto_approve", value: "1")])
        let answer = context.wire.send(
            ClientRequest(method: "GET", url: url, headers: ["Accept": "text/html"]), step: "\(step): browser at the mock's authorize", token: nil)
        guard let status = answer.status, (300..<400).contains(status), let location = answer.header("Location") else {
            throw ScenarioStop.harness(
                "the mock's authorize step did not redirect back to the app: \(answer.status.map(String.init) ?? answer.error ?? "no answer") \(Self.excerpt(answer.bodyText))\n  authorize URL the app built: \(authorizeURL)"
            )
        }
        let parameters = Self.query(of: location)
        if let error = parameters["error"] {
            throw ScenarioStop.harness(
                "the mock refused the app's authorize request: \(error): \(parameters["error_description"] ?? "")\n  authorize URL the app built: \(authorizeURL)"
            )
        }
        guard let code = parameters["code"] else { throw ScenarioStop.harness("\(step): the mock's authorize redirect carries no code: \(location)") }
        var bound = BoundLogin(request: request, token: minted, userObject: context.bindings.userObjects[tokenName])
        if profile.codeFlow?.tokenRole == .idToken {
            // The forgery is the id_token; the access token the exchange mints stays valid.
            bound.idTokenRequest = request
            if let attacker = context.bindings.foreignIssuers[tokenName] {
                // The other IdP signs the id_token the exchange shapes (nonce, aud, at_hash), under its own
                // `iss` unless the scenario claims another.
                var forged = request
                if forged.claims["iss"] == nil { forged.claims["iss"] = .string(attacker.issuer) }
                bound.idTokenRequest = forged
                bound.idTokenKeys = attacker.idp.keys
            }
            let nonce = context.idp.authorizationNonce(code: code)
            if let nonce { context.bindings.loginNonces[tokenName] = nonce }
            // OIDC Core §3.1.3.7 rule 11 binds the id_token's nonce only to a nonce the request sent.
            if nonce == nil, request.claims["nonce"] != nil || request.omit.contains("nonce") {
                throw ScenarioStop.notApplicable(
                    "the app's authorize request carried no nonce, so the id_token's nonce is not checked (OIDC Core §3.1.3.7)")
            }
        }
        do {
            try context.idp.bindAuthorizationCode(code, to: bound)
        } catch {
            throw ScenarioStop.harness("\(step): cannot bind the code to \(tokenName): \(error)")
        }
        var callbackURL = location
        if profile.authorizationResponseIss, parameters["iss"] == nil {
            // AuthKit's authorize answers without `iss`; the mock's OpenID Connect authorize
            // sends it (RFC 9207), and an app that checks it is given it as that one would.
            callbackURL += (callbackURL.contains("?") ? "&" : "?") + QueryParameters.encode([(name: "iss", value: context.idp.issuer)])
        }
        return BrowserLogin(
            callbackURL: callbackURL, jar: browser.jar, token: minted.token, usedPKCE: Self.query(of: authorizeURL)["code_challenge"] != nil)
    }

    /// The authorize URL: where the app's login route sends the browser, or one built from the
    /// profile's redirect URI when the app has no login route.
    private func authorizeURL(in browser: Browser, loginQuery: [(name: String, value: String)], attacker: Bool, step: String) throws -> String {
        guard let flow = profile.codeFlow else { throw ScenarioStop.harness("not a code-flow profile") }
        let authorizePrefix =
            context.idp.baseURL + (flow.tokenRole == .idToken ? "/oauth2/authorize" : "/user_management/authorize")
        if let loginPath = flow.loginPath, !attacker {
            var url = app.baseURL + loginPath
            if !loginQuery.isEmpty { url += (url.contains("?") ? "&" : "?") + QueryParameters.encode(loginQuery) }
            for _ in 0..<10 {
                var answer = browser.navigate(to: url, accept: "text/html", step: "\(step): browser at the app's login")
                let redirect = answer.status.map { (300..<400).contains($0) } ?? false
                let leaves =
                    answer.header("Location").map { location -> Bool in
                        let next = Self.resolve(location, against: url)
                        return !next.hasPrefix(authorizePrefix) && !Self.sameOrigin(next, app.baseURL)
                    } ?? false
                if !loginQuery.isEmpty, !redirect || leaves {
                    answer.chain = [answer.status ?? 0]
                    throw LoginRouteStopped(answer: answer)
                }
                guard let status = answer.status, (300..<400).contains(status), let location = answer.header("Location") else {
                    throw ScenarioStop.harness(
                        "the app's login route \(url) answered \(answer.status.map(String.init) ?? answer.error ?? "nothing"), not a redirect to \(authorizePrefix) \(Self.excerpt(answer.bodyText))"
                    )
                }
                let next = Self.resolve(location, against: url)
                if next.hasPrefix(authorizePrefix) { return next }
                guard Self.sameOrigin(next, app.baseURL) else {
                    throw ScenarioStop.harness(
                        "the app's login route redirected to \(next), not to the mock's authorize endpoint \(authorizePrefix): point the app's WorkOS base URL at {idp_base_url}"
                    )
                }
                url = next
            }
            throw ScenarioStop.harness("the app's login route redirected more than 10 times within the app")
        }
        let redirectURI = flow.redirectURI.map { AppTarget.fill($0, app.placeholders) } ?? app.baseURL + profile.callback.path
        return authorizePrefix + "?"
            + QueryParameters.encode([
                (name: "client_id", value: context.idp.configuration.clientID), (name: "redirect_uri", value: redirectURI),
                (name: "response_type", value: "code"), (name: "provider", value: "authkit"),
                (name: "state", value: context.idp.ids.opaque(length: 16)),
            ])
    }

    /// The callback as a browser delivers it, then the redirects within the app's origin.
    private func deliver(_ login: BrowserLogin, step: String) throws -> Captured {
        let browser = Browser(jar: login.jar, context: context)
        let first = browser.send(
            ClientRequest(method: profile.callback.method, url: login.callbackURL, headers: ["Accept": "text/html,application/json"]),
            initiatorHost: context.idpHost, step: step, token: login.token)
        var captured = browser.follow(first, from: login.callbackURL, within: [app.baseURL], step: step)
        try probe(&captured, in: browser, step: step)
        return captured
    }

    /// A callback with no code at all (the no-token baseline of the code shape).
    private func noCodeCallback(step: String) throws -> Captured {
        let browser = Browser(context: context)
        let url = app.baseURL + profile.callback.path
        let first = browser.send(
            ClientRequest(method: profile.callback.method, url: url, headers: ["Accept": "text/html,application/json"]), step: step)
        var captured = browser.follow(first, from: url, within: [app.baseURL], step: step)
        try probe(&captured, in: browser, step: step)
        return captured
    }

    /// The probe after a login, in its browser (and, in the token shape, as the caller the
    /// callback's `Authorization` named).
    private func probe(_ captured: inout Captured, in browser: Browser, step: String) throws {
        guard profile.probe != nil, captured.status != nil else { return }
        var authorization: String?
        if case .bearer = profile.tokenPlacement, profile.codeFlow == nil { authorization = captured.sentAuthorization }
        let answer = try probeAnswer(in: browser, step: "\(step): probe", authorization: authorization, keepsCookies: false)
        captured.probe = answer.probe
    }

    // MARK: URLs

    static func resolve(_ location: String, against base: String) -> String {
        // Browsers read `\` as `/` in http(s) URLs and strip surrounding blanks: `/\evil` and
        // `//evil` are scheme-relative URLs of another host, not paths of this one.
        let location = location.trimmingWhitespace().replacing("\\", with: "/")
        if location.lowercased().hasPrefix("http://") || location.lowercased().hasPrefix("https://") { return location }
        guard let components = URLComponents(string: base), let scheme = components.scheme, let host = components.host else { return location }
        if location.hasPrefix("//") { return scheme + ":" + location }
        let origin = "\(scheme)://\(host)" + (components.port.map { ":\($0)" } ?? "")
        if location.hasPrefix("/") { return origin + location }
        let directory = components.path.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
        return origin + directory + "/" + location
    }

    static func sameOrigin(_ a: String, _ b: String) -> Bool {
        guard let left = URLComponents(string: a), let right = URLComponents(string: b) else { return false }
        return left.scheme == right.scheme && left.host?.lowercased() == right.host?.lowercased() && (left.port ?? 80) == (right.port ?? 80)
    }

    static func query(of url: String) -> [String: String] {
        var values: [String: String] = [:]
        for item in URLComponents(string: url)?.queryItems ?? [] where values[item.name] == nil { values[item.name] = item.value ?? "" }
        return values
    }

    static func removingQueryParameter(_ name: String, from url: String) -> String {
        guard var components = URLComponents(string: url), let items = components.queryItems else { return url }
        components.queryItems = items.filter { $0.name != name }
        return components.string ?? url
    }

    static func excerpt(_ text: String) -> String { text.count > 300 ? String(text.prefix(300)) + "…" : text }
}

/// The app's login route answered a `login_query` with something other than a redirect to the
/// IdP (a refusal, or a redirect elsewhere): no login happens, and this answer is judged.
struct LoginRouteStopped: Error {
    let answer: Captured
}
