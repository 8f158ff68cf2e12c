import Essentials
import FoundationEssentials
import Glibc
import HTTP
import IdP
import JSON

/// `mockidp init --observe`: starts the mock and the app, watches one login (driven headlessly
/// through the app's own login route, or made by a person's browser), and writes the profile
/// that login shows: the shape, the callback, the login route, a probe page and where it shows
/// the user, the JWKS URL the app fetched. What one login cannot show is listed, never guessed.
package struct ProfileObserver {
    package struct Options: Sendable {
        /// The draft profile: base URL and start command, as `mockidp init` writes them.
        package var draft: JSONValue
        /// Where the profile will be written (its folder is `{profile_dir}`).
        package var file: String
        /// Tried in order; the first one that redirects to the mock's authorize endpoint is the login route.
        package var loginPaths: [String]
        /// How long to wait for a person's browser when no login route could be driven (0: do not wait).
        package var waitSeconds: Double
        /// Says what to do (a person's sign-in) and what was seen, as it happens.
        package var announce: @Sendable (String) -> Void

        package init(draft: JSONValue, file: String, loginPaths: [String], waitSeconds: Double, announce: @escaping @Sendable (String) -> Void) {
            self.draft = draft
            self.file = file
            self.loginPaths = loginPaths
            self.waitSeconds = waitSeconds
            self.announce = announce
        }
    }

    /// What one login showed: the profile (nil when not even the callback could be seen), what
    /// was seen, and what could not be inferred with the reason.
    package struct Observation: Sendable {
        package var profile: JSONValue?
        package var seen: [String] = []
        package var notInferred: [String] = []
    }

    package static let commonLoginPaths = [
        "/login", "/auth/login", "/signin", "/sign-in", "/auth/signin", "/account/login", "/users/sign_in", "/sso/login", "/auth/workos",
        "/auth", "/oauth/login",
        // The login views of common OpenID Connect libraries: mozilla-django-oidc, Authlib's and flask-oidc's examples.
        "/oidc/authenticate/", "/oidc/login", "/login/oidc",
    ]
    static let commonProbePaths = [
        "/account", "/me", "/api/me", "/profile", "/user", "/api/user", "/whoami", "/session", "/api/session", "/dashboard", "/home", "/",
    ]
    /// The environment the app is started with, beyond the template's: the names apps commonly
    /// read the issuer from.
    package static let extraEnvironment: [(String, String)] = [("ISSUER", "{issuer}"), ("WORKOS_ISSUER", "{issuer}")]

    let options: Options

    package init(options: Options) {
        self.options = options
    }

    package func observe() throws -> Observation {
        let draft = try TargetProfile.parse(options.draft, file: options.file)
        let runner = try ConformanceRunner(profile: draft)
        defer { runner.stop() }
        try runner.start()
        guard let app = runner.app else {
            throw ConfigError(file: options.file, field: "base_url", message: "--observe needs an app to start or reach")
        }
        let context = ScenarioContext(
            scenario: Scenario(file: options.file, id: "observe", family: "observe", title: "one observed login", steps: []), idp: runner.idp,
            app: app)
        let mark = runner.idp.journal.lastSequence
        var observation = Observation()
        let login = findLoginRoute(context, &observation)
        var signedIn: SignedIn?
        if let login {
            signedIn = try driveLogin(login, context, &observation)
            // The runner would make this same login before every scenario: a profile would fail them all.
            if signedIn == nil { return observation }
        } else if options.waitSeconds > 0 {
            waitForAPerson(context, mark: mark, &observation)
        }
        let journal = runner.idp.journal.entries(Journal.Filter(sinceSequence: mark))
        let authorize = journal.last { $0.method == "GET" && Self.authorizePaths.contains($0.path) }
        // An app signing in through the OpenID Connect front door verifies the id_token of /oauth2/token.
        let openID = authorize?.path == "/oauth2/authorize"
        let exchangePath = openID ? "/oauth2/token" : "/user_management/authenticate"
        let exchanged = journal.contains { $0.method == "POST" && $0.path == exchangePath && $0.status == 200 }
        var jwksPaths: [String] = []
        for entry in journal where entry.method == "GET" && entry.path.lowercased().contains("jwks") && !jwksPaths.contains(entry.path) {
            jwksPaths.append(entry.path)
        }
        let redirectURI = authorize.flatMap { LoginDriver.query(of: "?" + $0.query)["redirect_uri"] }
        guard let redirectURI, let callbackPath = URLComponents(string: redirectURI)?.path, !callbackPath.isEmpty else {
            observation.notInferred += [
                "the shape: no login reached the mock's /user_management/authorize or /oauth2/authorize (tried \(options.loginPaths.joined(separator: ", "))"
                    + (options.waitSeconds > 0 ? ", and nobody signed in within \(Int(options.waitSeconds)) s" : "")
                    + "); an API that takes the access token (bearer) has no login to watch",
                "callback.path and callback.token: where and how the app takes the access token",
                "response: where the app's answer shows the signed-in user",
                "capabilities: its JWKS cache, leeway and test hooks",
            ]
            return observation
        }
        observation.seen.append(
            "the app sends the browser to the mock's authorize endpoint with redirect_uri \(Self.templated(redirectURI, appBaseURL: app.baseURL))")
        if exchanged {
            observation.seen.append("the app exchanged the code (POST \(exchangePath))")
        } else {
            observation.notInferred.append(
                "the code exchange: the app never called POST \(exchangePath), so the runner's code flow cannot reach it")
        }
        let client = runner.idp.configuration.clientID
        let jwks = jwksPaths.map { "{idp_base_url}" + $0.replacing(client, with: "{client_id}") }
        if jwks.isEmpty {
            observation.notInferred.append("the JWKS URL: the app fetched no JWKS during the login (it may verify later, or not at all)")
        } else {
            observation.seen.append("the app fetched the JWKS at \(jwks.joined(separator: ", "))")
        }

        var root = options.draft.objectValue ?? [:]
        var callback: JSONObject = ["shape": "code", "path": .string(callbackPath)]
        if openID {
            callback["token_role"] = "id_token"
            observation.seen.append("the app signs in through /oauth2/authorize, so scenarios forge the id_token it verifies (token_role id_token)")
        }
        if let login {
            callback["login_path"] = .string(login.path)
        } else {
            callback["redirect_uri"] = .string(Self.templated(redirectURI, appBaseURL: app.baseURL))
        }
        root["callback"] = .object(callback)
        var found: [String] = []
        if let signedIn {
            observation.seen.append(
                "the callback answered \(signedIn.statuses.map(String.init).joined(separator: " → "))"
                    + (signedIn.cookies.isEmpty ? ", setting no cookie" : ", setting the cookie(s) \(signedIn.cookies.joined(separator: ", "))"))
            if let probe = findProbe(signedIn, context, &observation) {
                var call: JSONObject = ["path": .string(probe.path)]
                if probe.json { call["headers"] = ["Accept": "application/json"] }
                root["probe"] = .object(call)
                root["response"] = .object(probe.fields)
                found = probe.fields.keys.sorted()
            }
        } else {
            observation.notInferred.append(
                "probe and response: a person's browser keeps the session cookie, so no page could be read as the signed-in user")
        }
        for field in ["email", "idp_user_id"] where !found.contains(field) && signedIn != nil {
            observation.notInferred.append("response.\(field): no page showed the signed-in user's \(field == "email" ? "email" : "mock user ID")")
        }
        observation.notInferred += [
            "response.user_id and organizations: the app's own IDs for the user and its teams are values the mock does not know",
            "capabilities (jwks_cache_ttl_seconds, jwks_refetch_cooldown_seconds, leeway_seconds, reset, seeding, introspection, fault_hook):"
                + " not visible in one login; scenarios that need them are reported not applicable",
            "logout: not tried (signing out is not part of one login)",
        ]
        let summary = observation.seen.joined(separator: "; ")
        root["description"] = .string("\(root["name"]?.stringValue ?? "app"): observed by mockidp init --observe: \(summary).")
        observation.profile = .object(root)
        return observation
    }

    // MARK: The login

    /// The mock's front doors a code-flow login goes through: AuthKit's, and the OpenID Connect provider's.
    static let authorizePaths = ["/user_management/authorize", "/oauth2/authorize"]

    struct LoginRoute {
        var path: String
        var authorizeURL: String
    }

    struct SignedIn {
        var browser: Browser
        var landing: String
        var statuses: [Int]
        var cookies: [String]
        var user: User
    }

    private func findLoginRoute(_ context: ScenarioContext, _ observation: inout Observation) -> LoginRoute? {
        let browser = Browser(context: context)
        let authorizeURLs = Self.authorizePaths.map { context.idp.baseURL + $0 }
        for path in options.loginPaths {
            var url = context.app.baseURL + path
            for _ in 0..<10 {
                let answer = browser.navigate(to: url, accept: "text/html", step: "observe \(path)")
                guard let status = answer.status, (300..<400).contains(status), let location = answer.header("Location") else { break }
                let next = LoginDriver.resolve(location, against: url)
                if authorizeURLs.contains(where: next.hasPrefix) {
                    observation.seen.append("GET \(path) redirects to the mock's authorize endpoint")
                    return LoginRoute(path: path, authorizeURL: next)
                }
                if LoginDriver.sameOrigin(next, context.idp.baseURL) {
                    observation.notInferred.append(
                        "\(path) redirects to \(URLComponents(string: next)?.path ?? next) on the mock: the runner drives AuthKit's"
                            + " /user_management/authorize and /oauth2/authorize only")
                    break
                }
                guard LoginDriver.sameOrigin(next, context.app.baseURL) else { break }
                url = next
            }
        }
        return nil
    }

    private func driveLogin(_ login: LoginRoute, _ context: ScenarioContext, _ observation: inout Observation) throws -> SignedIn? {
        // A new user and a token minted for them, bound to the code the way a scenario's login is:
        // the login observed is the one the runner will make.
        try StepExecutor(context: context).run([.user(UserStep(name: "u", fixture: nil)), .mint(MintStep(name: "t", request: ["user": "u"]))])
        guard let user = context.bindings.users["u"], let minted = context.bindings.tokens["t"], let request = context.bindings.tokenRequests["t"]
        else {
            observation.notInferred.append("the login: the mock could not mint a token for a new user")
            return nil
        }
        let browser = Browser(context: context)
        // The login route's cookies (a state or PKCE verifier) belong to this browser: ask again.
        guard let route = findLoginRouteAgain(login, browser) else {
            observation.notInferred.append("the login: \(login.path) redirected to the mock once, then not again")
            return nil
        }
        var url = route
        for parameter in ["login_hint", "mockidp_auto_approve"] { url = LoginDriver.removingQueryParameter(parameter, from: url) }
        url +=
            (url.contains("?") ? "&" : "?")
            + QueryParameters.encode([(name: "login_hint", value: user.id), (name: "mockidp_auto_approve", value: "1")])
        let answer = context.wire.send(
            ClientRequest(method: "GET", url: url, headers: ["Accept": "text/html"]), step: "observe authorize", token: nil)
        guard let status = answer.status, (300..<400).contains(status), let location = answer.header("Location"),
            LoginDriver.query(of: location)["code"] != nil
        else {
            let query = LoginDriver.query(of: answer.header("Location") ?? "")
            observation.notInferred.append(
                "the login: the mock refused the app's authorize request: \(answer.status.map(String.init) ?? "no answer") "
                    + "\(query["error"] ?? "") \(query["error_description"] ?? HTMLText.visibleText(String(answer.bodyText.prefix(300))))")
            return nil
        }
        if let code = LoginDriver.query(of: location)["code"] {
            var bound = BoundLogin(request: request, token: minted, userObject: context.bindings.userObjects["t"])
            // An OpenID Connect login: the id_token is minted for it as a scenario's would be.
            if route.hasPrefix(context.idp.baseURL + "/oauth2/authorize") { bound.idTokenRequest = request }
            try context.idp.bindAuthorizationCode(code, to: bound)
        }
        var current = browser.send(
            ClientRequest(method: "GET", url: location, headers: ["Accept": "text/html,application/json"]), initiatorHost: context.idpHost,
            step: "observe callback")
        var cookies = Self.cookiesSet(current.setCookies)
        var statuses = [current.status ?? 0]
        var landing = location
        for _ in 0..<10 {
            guard let status = current.status, (300..<400).contains(status), let next = current.header("Location") else { break }
            let target = LoginDriver.resolve(next, against: landing)
            guard LoginDriver.sameOrigin(target, context.app.baseURL) else { break }
            landing = target
            current = browser.navigate(to: target, step: "observe after the callback")
            statuses.append(current.status ?? 0)
            for name in Self.cookiesSet(current.setCookies) where !cookies.contains(name) {
                cookies.append(name)
            }
        }
        guard let last = current.status, last < 400 else {
            observation.notInferred.append(
                "the login: the app answered the callback with \(statuses.map(String.init).joined(separator: " → ")) "
                    + HTMLText.visibleText(String(current.bodyText.prefix(300))) + "\n" + context.app.logTail())
            return nil
        }
        return SignedIn(browser: browser, landing: landing, statuses: statuses, cookies: cookies, user: user)
    }

    private func findLoginRouteAgain(_ login: LoginRoute, _ browser: Browser) -> String? {
        var url = browser.context.app.baseURL + login.path
        for _ in 0..<10 {
            let answer = browser.navigate(to: url, accept: "text/html", step: "observe login")
            guard let status = answer.status, (300..<400).contains(status), let location = answer.header("Location") else { return nil }
            let next = LoginDriver.resolve(location, against: url)
            if Self.authorizePaths.contains(where: { next.hasPrefix(browser.context.idp.baseURL + $0) }) { return next }
            url = next
        }
        return nil
    }

    /// No login route could be driven: a person signs in once; the mock's journal shows what
    /// their browser and the app did.
    private func waitForAPerson(_ context: ScenarioContext, mark: Int, _ observation: inout Observation) {
        options.announce(
            "mockidp init --observe: sign in once at \(context.app.baseURL)/ in a browser (the mock's sign-in page lists its fixture users);"
                + " waiting up to \(Int(options.waitSeconds)) s")
        let deadline = Date().addingTimeInterval(options.waitSeconds)
        while Date() < deadline {
            let entries = context.idp.journal.entries(
                Journal.Filter(method: "POST", pathPrefix: "/user_management/authenticate", sinceSequence: mark))
            if entries.contains(where: { $0.status == 200 }) {
                observation.seen.append("a person signed in")
                return
            }
            // A person's sign-in is the only signal here; the poll is bounded by the wait.
            usleep(200_000)
        }
        observation.notInferred.append("a person's sign-in: none within \(Int(options.waitSeconds)) s")
    }

    // MARK: The probe

    struct ProbePage {
        var path: String
        var json: Bool
        var fields: JSONObject
    }

    /// The first page that shows the signed-in user (email or mock user ID) to the login's
    /// cookies and not to a browser without them.
    private func findProbe(_ signedIn: SignedIn, _ context: ScenarioContext, _ observation: inout Observation) -> ProbePage? {
        var paths: [String] = []
        if let landing = URLComponents(string: signedIn.landing)?.path, !landing.isEmpty { paths.append(landing) }
        for path in Self.commonProbePaths where !paths.contains(path) { paths.append(path) }
        let values = ["email": signedIn.user.email, "idp_user_id": signedIn.user.id]
        let stranger = Browser(context: context)
        for path in paths {
            for accept in ["application/json", "text/html"] {
                let url = context.app.baseURL + path
                let request = ClientRequest(method: "GET", url: url, headers: ["Accept": accept])
                let answer = signedIn.browser.send(request, step: "observe probe \(path)", keepsCookies: false)
                guard let status = answer.status, (200..<300).contains(status) else { continue }
                let fields = Self.fields(showing: values, json: answer.json, text: answer.bodyText)
                guard !fields.isEmpty else { continue }
                let anonymous = stranger.send(request, step: "observe probe \(path) without cookies", keepsCookies: false)
                if (200..<300).contains(anonymous.status ?? 0), !Self.fields(showing: values, json: anonymous.json, text: anonymous.bodyText).isEmpty
                {
                    continue
                }
                observation.seen.append(
                    "GET \(path) (Accept: \(accept)) shows the signed-in user (\(fields.keys.sorted().joined(separator: ", "))) and not to a browser"
                        + " without the cookies")
                return ProbePage(path: path, json: answer.json != nil, fields: fields)
            }
        }
        observation.notInferred.append(
            "probe: no page among \(paths.joined(separator: ", ")) showed the signed-in user's email or ID to the login's cookies only")
        return nil
    }

    /// Where a page shows each value: a JSON Pointer in its JSON, else a pattern over its text.
    static func fields(showing values: [String: String], json: JSONValue?, text: String) -> JSONObject {
        var fields: JSONObject = [:]
        for (name, value) in values.sorted(by: { $0.key < $1.key }) where !value.isEmpty {
            if let json, let pointer = pointer(to: value, in: json) {
                fields[name] = .string(pointer)
            } else if json == nil, let pattern = pattern(for: value, in: text, others: values.values.filter { $0 != value }) {
                fields[name] = ["pattern": .string(pattern)]
            }
        }
        return fields
    }

    /// The JSON Pointer of the first string equal to `value`, depth first.
    static func pointer(to value: String, in json: JSONValue, at path: String = "") -> String? {
        if json.stringValue == value { return path }
        if let object = json.objectValue {
            for (key, child) in object {
                let token = key.replacing("~", with: "~0").replacing("/", with: "~1")
                if let found = pointer(to: value, in: child, at: path + "/" + token) { return found }
            }
        }
        if let array = json.arrayValue {
            for (index, child) in array.enumerated() { if let found = pointer(to: value, in: child, at: "\(path)/\(index)") { return found } }
        }
        return nil
    }

    /// `text` as a regular expression that matches only itself: its metacharacters escaped.
    static func escapedPattern(_ text: String) -> String {
        var escaped = ""
        for character in text {
            if "*?+[(){}^$|\\./".contains(character) { escaped.append("\\") }
            escaped.append(character)
        }
        return escaped
    }

    /// A pattern that captures `value` where the page shows it: the characters just before it
    /// (the longest of 24, 16, 8, 4, 2 or 1 after any of `others`, the user's other values, which
    /// differ from user to user), then the value's run of characters. Kept only when it finds
    /// exactly this value on this page.
    static func pattern(for value: String, in text: String, others: [String] = []) -> String? {
        guard let range = text.firstRange(of: value) else { return nil }
        // The prefix starts after the last of the other values before this one: none of it may differ per user.
        var floor = text.startIndex
        for other in others where !other.isEmpty {
            var searched = text.startIndex..<range.lowerBound
            while let found = text[searched].firstRange(of: other) {
                floor = max(floor, found.upperBound)
                searched = found.upperBound..<range.lowerBound
            }
        }
        let before = text[floor..<range.lowerBound]
        for length in [24, 16, 8, 4, 2, 1] where before.count >= length {
            let prefix = String(before.suffix(length))
            guard !prefix.contains("\n") else { continue }
            let pattern = Self.escapedPattern(prefix) + "([^<>\"'\\s]+)"
            if ResponseField.pattern(pattern).value(json: nil, text: text)?.stringValue == value { return pattern }
        }
        return nil
    }

    /// The names of the cookies `Set-Cookie` values set (a cleared one, empty or `Max-Age=0`, is left out).
    static func cookiesSet(_ values: [String]) -> [String] {
        values.compactMap { value in
            let pair = value.prefix { $0 != ";" }.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard pair.count == 2, !pair[1].trimmingWhitespace().isEmpty, !value.lowercased().contains("max-age=0") else {
                return nil
            }
            return pair[0].trimmingWhitespace()
        }
    }

    /// The redirect URI with the app's port as `{app_port}`, so the profile works on the port a run picks.
    static func templated(_ uri: String, appBaseURL: String) -> String {
        guard let port = URLComponents(string: appBaseURL)?.port else { return uri }
        return uri.replacing("127.0.0.1:\(port)", with: "127.0.0.1:{app_port}").replacing(
            "localhost:\(port)", with: "localhost:{app_port}")
    }
}
