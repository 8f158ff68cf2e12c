import Foundation
import IdP
import JOSE
import JSON
import TestSupport
import Testing

@testable import Conformance

/// `mockidp run` against apps nobody on this project wrote: a minimal profile, a Python bearer
/// backend with its own field names, a WorkOS SDK 5.x web app driven through its own login, and
/// the ways a run must stop early (preflight, profile errors).
@Suite(.enabled(if: BuiltTool.path != nil, "the mockidp executable must be built (swift build)"))
struct AnyAppTests {
    static let workos5Python = Interop.root.appendingPathComponent(".venv-workos5/bin/python").path
    static var workos5Available: Bool {
        FileManager.default.isExecutableFile(atPath: workos5Python) || ProcessInfo.processInfo.environment["CI"] != nil
    }

    struct Report {
        let json: JSONValue
        var summary: JSONValue { json["summary"] ?? .null }
        var scenarios: [JSONValue] { json["scenarios"]?.arrayValue ?? [] }
        func verdict(_ id: String) -> String? { scenarios.first { $0["id"]?.stringValue == id }?["verdict"]?.stringValue }
        var verdicts: [String: String] {
            Dictionary(uniqueKeysWithValues: scenarios.compactMap { s in s["id"]?.stringValue.map { ($0, s["verdict"]?.stringValue ?? "") } })
        }
        func ids(_ verdict: String) -> [String] { scenarios.filter { $0["verdict"]?.stringValue == verdict }.compactMap { $0["id"]?.stringValue } }
    }

    /// Runs `mockidp run` with a JSON report and returns the exit status, output and report.
    static func run(_ arguments: [String]) throws -> (BuiltTool.Result, Report?) {
        let json = FileManager.default.temporaryDirectory.appendingPathComponent("mockidp-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: json) }
        let result = try BuiltTool.run(["run", "--no-color", "--json", json.path] + arguments)
        let report = (try? Data(contentsOf: json)).flatMap { try? JSONValue.parse(Array($0)) }.map(Report.init)
        return (result, report)
    }

    static let minimalReferenceProfile = """
        {"name": "reference-minimal", "base_url": "http://127.0.0.1:{app_port}",
         "start": {"command": ["{mockidp}", "sample-app", "--port", "{app_port}", "--idp", "{idp_base_url}", "--client-id", "{client_id}",
                               "--api-key", "{api_key}", "--issuer", "{issuer}"], "ready": {"path": "/health"}},
         "callback": {"path": "/v1/auth/web/callback"}}
        """

    @Test func aProfileWithOnlyBaseURLAndCallbackNeverFailsTheCorrectApp() throws {
        let profile = try BuiltTool.temporaryFile("minimal.json", Self.minimalReferenceProfile)
        defer { try? FileManager.default.removeItem(at: profile) }
        let (result, report) = try Self.run(["--target", profile.path])
        let summary = try #require(report?.summary, "\(result.stderr)")
        #expect(result.status == 0, "\(result.stdout)")
        #expect(summary["failed"] == 0 && summary["errors"] == 0)
        #expect((summary["passed"]?.intValue ?? 0) >= 20, "the forgeries need no mapping: \(summary)")
        #expect((summary["not_applicable"]?.intValue ?? 0) > 0)
        // The reason names what the profile lacks, in the console and the report.
        #expect(result.stdout.contains("N/A   first-login.provisions-once") && result.stdout.contains("the profile offers no introspection"))
        #expect(result.stdout.contains("the profile maps no response field 'workspace_id'"))
        #expect(result.stdout.split(separator: "\n").last?.hasSuffix("not applicable") == true)
        // --strict counts them.
        let strict = try Self.run(["--target", profile.path, "--strict", "--filter", "first-login"])
        #expect(strict.0.status == 1)
    }

    @Test func anUnfilledPlaceholderIsAProfileErrorNamingIt() throws {
        let profile = try BuiltTool.temporaryFile(
            "placeholder.json",
            """
            {"name": "p", "base_url": "http://127.0.0.1:{app_port}", "callback": {"path": "/cb"},
             "start": {"command": ["/bin/sleep", "30"], "env": {"SECRET_FILE": "{secrets_dir}/key"}}}
            """)
        defer { try? FileManager.default.removeItem(at: profile) }
        let result = try BuiltTool.run(["run", "--target", profile.path, "--filter", "first-login.no-token"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("start.env.SECRET_FILE: {secrets_dir} has no value: pass --set secrets_dir=VALUE"), "\(result.stderr)")
    }

    @Test func aWaitLongerThanMaxWaitSkipsNamingTheProfileValue() throws {
        let profile = try BuiltTool.temporaryFile(
            "ttl.json",
            """
            {"name": "ttl", "base_url": "http://127.0.0.1:{app_port}",
             "start": {"command": ["{mockidp}", "sample-app", "--port", "{app_port}", "--idp", "{idp_base_url}", "--client-id", "{client_id}",
                                   "--api-key", "{api_key}", "--issuer", "{issuer}"], "ready": {"path": "/health"}},
             "callback": {"path": "/v1/auth/web/callback"}, "capabilities": {"jwks_cache_ttl_seconds": 300}}
            """)
        defer { try? FileManager.default.removeItem(at: profile) }
        let (result, report) = try Self.run(["--target", profile.path, "--filter", "rotation.same-kid-replaced"])
        #expect(result.status == 0, "\(result.stdout)")
        #expect(report?.verdict("rotation.same-kid-replaced") == "skipped")
        #expect(
            result.stdout.contains(
                "needs a 300.1 s wait (capabilities.jwks_cache_ttl_seconds = 300 in \(profile.path)), longer than --max-wait 120 s"),
            "\(result.stdout)")
    }

    @Test func shuffledOrdersGiveTheSameVerdicts() throws {
        for bug in [nil, "jwks-cached-forever"] as [String?] {
            var seen: [[String: String]] = []
            for seed in ["1", "2", "3"] {
                let (result, report) = try Self.run(["--shuffle", seed] + (bug.map { ["--app-arg=--bug=\($0)"] } ?? []))
                let verdicts = try #require(report?.verdicts, "\(result.stderr)")
                #expect(verdicts.count >= 60)
                seen.append(verdicts)
            }
            #expect(seen[0] == seen[1] && seen[1] == seen[2], "bug \(bug ?? "none"): verdicts depend on the order")
            if bug == nil { #expect(seen[0].values.allSatisfy { $0 == "pass" || $0 == "not_applicable" }) }
        }
    }

    @Test(.enabled(if: Interop.available, "needs .venv (created by .ci/run) with PyJWT"))
    func aPythonBackendWithItsOwnFieldNamesAndNoHooksHasNoFailures() throws {
        let profile = Interop.root.appendingPathComponent("Tests/interop/bearer-app.json").path
        let (result, report) = try Self.run(["--target", profile, "--max-wait", "5"])
        let report2 = try #require(report, "\(result.stderr)")
        #expect(result.status == 0, "\(result.stdout)")
        #expect(report2.summary["failed"] == 0 && report2.summary["errors"] == 0)
        // It accepts the large valid token; an unknown key while the JWKS is down gets 401 or 503.
        #expect(report2.verdict("token.oversized") == "pass")
        #expect(report2.verdict("rotation.jwks-outage-survived") == "pass")
        // Its 60 s TTL waits are skipped by name, not cut short.
        #expect(
            Set(report2.ids("skipped")) == [
                "rotation.removed-key-rejected", "rotation.same-kid-replaced", "resilience.jwks-1000-keys", "resilience.jwks-5-mb",
            ])
        #expect(result.stdout.contains("capabilities.jwks_cache_ttl_seconds = 60"))
    }

    @Test(.enabled(if: Interop.available, "needs .venv (created by .ci/run) with PyJWT"))
    func anAppWithA300SecondTTLIsNeverFailedOnRotation() throws {
        let profile = Interop.root.appendingPathComponent("Tests/interop/bearer-app-300.json").path
        let (result, report) = try Self.run(["--target", profile, "--filter", "rotation"])
        let rotation = try #require(report, "\(result.stderr)")
        #expect(result.status == 0, "\(result.stdout)")
        #expect(rotation.scenarios.count == 6)
        for scenario in rotation.scenarios {
            let verdict = scenario["verdict"]?.stringValue
            #expect(
                verdict == "pass"
                    || (verdict == "skipped" && scenario["reason"]?.stringValue?.contains("capabilities.jwks_cache_ttl_seconds = 300") == true),
                "\(scenario["id"] ?? .null): \(verdict ?? "") \(scenario["reason"] ?? .null)")
        }
        #expect(rotation.verdict("rotation.new-kid-accepted") == "pass")
    }

    @Test(.enabled(if: AnyAppTests.workos5Available, "needs .venv-workos5 (workos==5.46.0, created by .ci/run)"))
    func aWorkOSSDK5WebAppIsDrivenThroughItsOwnLoginAndCallback() throws {
        let profile = Interop.root.appendingPathComponent("Tests/interop/workos5-web.json").path
        let (result, report) = try Self.run(["--target", profile])
        let web = try #require(report, "\(result.stderr)")
        #expect(result.status == 0, "\(result.stdout)")
        #expect(web.summary["failed"] == 0 && web.summary["errors"] == 0, "\(web.summary)")
        // Forgeries and missing sid/jti reach the app through the code exchange and are judged by outcome.
        for id in [
            "token.forgery.alg-none-lower.kid-published", "token.forgery.unknown-key.kid-unknown", "token.wrong-issuer", "token.expired",
            "sid-jti.both-missing", "first-login.no-token-rejected", "concurrency.first-login-8-one-account",
            "session.expired-access-token-refreshed",
            // The web-shape families hold for an app nobody here wrote: state without PKCE, login CSRF, fixation, revocation.
            "web-state.missing-state", "web-state.altered-state", "web-state.other-login-state", "web-state.code-in-victim-browser",
            "web-session.pre-login-cookies-not-signed-in", "web-refresh.revoked-session-not-refreshed", "web-redirect.return-to-scheme-relative",
            "web-errors.missing-sid-pages-not-5xx", "web-errors.unknown-kid-not-5xx",
        ] {
            #expect(web.verdict(id) == "pass", "\(id): \(web.verdict(id) ?? "missing")")
        }
        let forged = try #require(web.scenarios.first { $0["id"] == "token.wrong-issuer" }?["transcript"]?.arrayValue)
        let urls = forged.compactMap { $0["url"]?.stringValue }
        #expect(urls.contains { $0.hasSuffix("/login") })
        #expect(urls.contains { $0.contains("/user_management/authorize?") })
        #expect(urls.contains { $0.contains("/callback?code=") })
        // The sealed session cookie (Secure, HttpOnly) was sent back to http://127.0.0.1: the probe saw the user.
        let cookies = forged.flatMap { exchange in
            (exchange["response_headers"]?.objectValue?.members ?? []).filter { $0.key.lowercased() == "set-cookie" }.compactMap(\.value.stringValue)
        }
        #expect(cookies.contains { $0.hasPrefix("wos_session=") && $0.hasSuffix("Path=/; Secure; HttpOnly; SameSite=Lax") }, "\(cookies)")
    }

    @Test(.enabled(if: AnyAppTests.workos5Available, "needs .venv-workos5 (workos==5.46.0, created by .ci/run)"))
    func anAppWithAWrongClientSecretStopsAtPreflightQuotingTheMock() throws {
        let original = try String(contentsOfFile: Interop.root.appendingPathComponent("Tests/interop/workos5-web.json").path, encoding: .utf8)
        let folder = Interop.root.appendingPathComponent("Tests/interop").path
        let broken = original.replacingOccurrences(of: "\"WORKOS_API_KEY\": \"{api_key}\"", with: "\"WORKOS_API_KEY\": \"sk_test_wrong\"")
            .replacingOccurrences(of: "{profile_dir}", with: folder)
        #expect(broken != original)
        let profile = try BuiltTool.temporaryFile("wrong-secret.json", broken)
        defer { try? FileManager.default.removeItem(at: profile) }
        let started = Date()
        let result = try BuiltTool.run(["run", "--no-color", "--target", profile.path])
        let seconds = Date().timeIntervalSince(started)
        #expect(result.status == 3, "\(result.stdout)\n\(result.stderr)")
        #expect(result.stderr.contains("preflight: a plain login of a fresh user with a valid token was not accepted"), "\(result.stderr)")
        #expect(result.stderr.contains("the mock answered the app:"))
        #expect(result.stderr.contains("401 to POST /user_management/authenticate"), "\(result.stderr)")
        #expect(result.stderr.contains("invalid_client"))
        #expect(!result.stdout.contains("PASS") && !result.stdout.contains("FAIL"), "no scenario runs after a failed preflight")
        print("wrong client secret: exit \(result.status) after \(String(format: "%.1f", seconds)) s")
    }
}

/// The browser rules the code-flow login follows.
@Suite struct CookieJarTests {
    /// The three date forms RFC 9110 §5.6.7 names, and what RFC 6265 §5.1.1 lets browsers read.
    @Test func expiresDatesAreReadAsBrowsersReadThem() {
        let november6 = Date(timeIntervalSince1970: 784_111_777)  // Sun, 06 Nov 1994 08:49:37 GMT
        for text in ["Sun, 06 Nov 1994 08:49:37 GMT", "Sunday, 06-Nov-94 08:49:37 GMT", "Sun Nov  6 08:49:37 1994", "6 nov 1994 8:49:37"] {
            #expect(CookieJar.parseDate(text) == november6, "\(text)")
        }
        #expect(CookieJar.parseDate("Thu, 01 Jan 1970 00:00:00 GMT") == Date(timeIntervalSince1970: 0))
        for text in ["", "tomorrow", "Sun, 32 Nov 1994 08:49:37 GMT", "Sun, 06 Nov 1994 25:49:37 GMT", "06 Nov 1994"] {
            #expect(CookieJar.parseDate(text) == nil, "\(text)")
        }
    }

    let now = Date(timeIntervalSince1970: 1_800_000_000)

    @Test func secureAndHttpOnlyCookiesGoToLoopbackOverHTTP() {
        let jar = CookieJar()
        jar.store(["s=1; Path=/; Secure; HttpOnly; SameSite=Lax"], from: "http://127.0.0.1:8080/callback", now: now)
        #expect(jar.header(for: "http://127.0.0.1:8080/account", now: now) == "s=1")
        jar.store(["t=2; Secure"], from: "http://localhost:8080/", now: now)
        #expect(jar.header(for: "http://localhost:8080/x", now: now) == "t=2")
        // Elsewhere Secure needs https: a plain-http origin cannot even set one.
        jar.store(["u=3; Secure"], from: "http://app.example.test/", now: now)
        #expect(jar.header(for: "http://app.example.test/", now: now) == nil)
        jar.store(["v=4; Secure"], from: "https://app.example.test/", now: now)
        #expect(jar.header(for: "http://app.example.test/", now: now) == nil)
        #expect(jar.header(for: "https://app.example.test/", now: now) == "v=4")
    }

    @Test func pathsAndHostsMatchAsBrowsersMatchThem() {
        let jar = CookieJar()
        jar.store(["a=1; Path=/app", "b=2"], from: "http://127.0.0.1:1/app/login", now: now)
        #expect(jar.header(for: "http://127.0.0.1:1/app/x", now: now) == "a=1; b=2")
        #expect(jar.header(for: "http://127.0.0.1:1/apple", now: now) == nil, "/app does not match /apple; b's default path is /app")
        #expect(jar.header(for: "http://127.0.0.1:2/app/x", now: now) == "a=1; b=2", "cookies ignore the port")
        #expect(jar.header(for: "http://localhost:1/app/x", now: now) == nil, "host-only")
        jar.store(["c=3; Domain=evil.test"], from: "http://127.0.0.1:1/", now: now)
        #expect(jar.all.allSatisfy { $0.name != "c" }, "a Domain the host is not in is refused")
    }

    @Test func aCookieOver4096BytesIsIgnored() {
        let jar = CookieJar()
        jar.store(
            ["big=" + String(repeating: "x", count: 4093), "huge=" + String(repeating: "x", count: 4093)], from: "http://127.0.0.1:1/", now: now)
        #expect(jar.all.map(\.name) == ["big"])
    }

    @Test func expiryReplacesAndDeletes() {
        let jar = CookieJar()
        jar.store(["s=old; Path=/"], from: "http://127.0.0.1:1/", now: now)
        jar.store(["s=new; Path=/"], from: "http://127.0.0.1:1/", now: now)
        #expect(jar.header(for: "http://127.0.0.1:1/", now: now) == "s=new")
        jar.store(["s=; Path=/; Max-Age=0"], from: "http://127.0.0.1:1/", now: now)
        #expect(jar.header(for: "http://127.0.0.1:1/", now: now) == nil)
        jar.store(["e=1; Path=/; Expires=Wed, 21 Oct 2015 07:28:00 GMT"], from: "http://127.0.0.1:1/", now: now)
        #expect(jar.header(for: "http://127.0.0.1:1/", now: now) == nil, "an Expires in the past deletes")
        jar.store(["m=1; Path=/; Max-Age=60"], from: "http://127.0.0.1:1/", now: now)
        #expect(jar.header(for: "http://127.0.0.1:1/", now: now.addingTimeInterval(59)) == "m=1")
        #expect(jar.header(for: "http://127.0.0.1:1/", now: now.addingTimeInterval(61)) == nil)
    }

    @Test func sameSiteFollowsTheInitiator() {
        let jar = CookieJar()
        jar.store(
            ["strict=1; SameSite=Strict", "lax=2; SameSite=Lax", "none=3; SameSite=None; Secure", "bad=4; SameSite=None"],
            from: "http://127.0.0.1:1/", now: now)
        #expect(jar.all.count == 3, "SameSite=None without Secure is refused")
        // From another site (the IdP on localhost): Strict stays home, Lax rides a top-level GET.
        #expect(jar.header(for: "http://127.0.0.1:1/cb", method: "GET", initiatorHost: "localhost", now: now) == "lax=2; none=3")
        #expect(jar.header(for: "http://127.0.0.1:1/cb", method: "POST", initiatorHost: "localhost", now: now) == "none=3")
        // The same host on another port is the same site.
        #expect(jar.header(for: "http://127.0.0.1:1/cb", initiatorHost: "127.0.0.1", now: now) == "strict=1; lax=2; none=3")
    }
}

/// The mock binds a code (and its refresh chain) to a minted token, forged or not.
@Suite struct BoundLoginTests {
    @Test func aBoundCodeAnswersWithTheForgedTokenAndRefreshKeepsTheForgery() throws {
        let idp = try MockIdP()
        let user = try #require(idp.directory.resolveUser("alice"))
        var request = TokenRequest(user: user.id)
        request.omit = ["sid"]
        request.claims = ["iss": "https://wrong.example"]
        let minted = try idp.mintToken(request)
        let code = try idp.issueAuthorizationCode(user: user.id, redirectURI: "http://127.0.0.1:9/callback")
        try idp.bindAuthorizationCode(code, to: BoundLogin(request: request, token: minted))
        let parameters = [
            "grant_type": "authorization_code", "client_id": idp.configuration.clientID, "client_secret": idp.configuration.apiKey, "code": code,
        ]
        let answer = try idp.authenticate(parameters)
        #expect(answer["access_token"]?.stringValue == minted.token)
        #expect(answer["user"]?["id"]?.stringValue == user.id)
        let refreshed = try idp.authenticate([
            "grant_type": "refresh_token", "client_id": idp.configuration.clientID,
            "refresh_token": answer["refresh_token"]?.stringValue ?? "",
        ])
        let token = try #require(refreshed["access_token"]?.stringValue)
        #expect(token != minted.token)
        let payload = try JSONValue.parse(try Base64URL.decode(token.split(separator: ".")[1]))
        #expect(payload["iss"] == "https://wrong.example")
        #expect(payload["sid"] == nil)
        // The code stays single use, and a replay ends the session its refresh tokens hang on.
        #expect(throws: IdPError.self) { try idp.authenticate(parameters) }
        #expect(throws: IdPError.self) {
            try idp.authenticate([
                "grant_type": "refresh_token", "client_id": idp.configuration.clientID,
                "refresh_token": refreshed["refresh_token"]?.stringValue ?? "",
            ])
        }
    }

    @Test func theUserObjectCanDisagreeWithTheSubject() throws {
        let idp = try MockIdP()
        let alice = try #require(idp.directory.resolveUser("alice"))
        let other = try #require(idp.directory.resolveUser("erin"))
        let request = TokenRequest(user: alice.id)
        let minted = try idp.mintToken(request)
        let code = try idp.issueAuthorizationCode(user: alice.id, redirectURI: "http://127.0.0.1:9/callback")
        try idp.bindAuthorizationCode(code, to: BoundLogin(request: request, token: minted, userObject: other.id))
        let answer = try idp.authenticate([
            "grant_type": "authorization_code", "client_id": idp.configuration.clientID,
            "client_secret": idp.configuration.apiKey, "code": code,
        ])
        #expect(answer["user"]?["id"]?.stringValue == other.id)
    }
}

/// What accepted, refused and not applicable mean, per shape, without a running app.
@Suite struct OutcomeTests {
    static func context(_ profile: String) throws -> ScenarioContext {
        let parsed = try TargetProfile.parse(try JSONValue.parse(profile), file: "p.json")
        let app = AppTarget(profile: parsed, placeholders: ["app_port": "1"])
        return ScenarioContext(scenario: Scenario(file: "s.json", id: "a.b", family: "a", title: "t", steps: []), idp: try MockIdP(), app: app)
    }

    static func answer(_ status: Int, chain: [Int] = [], probe: Int? = nil, json: JSONValue? = nil) -> Captured {
        var captured = Captured(status: status, body: [], json: json, error: nil)
        captured.chain = chain
        if let probe { captured.probe = Captured.Probe(status: probe, body: [], json: json) }
        return captured
    }

    @Test func tokenShapeOutcomes() throws {
        let judge = OutcomeJudge(profile: try Self.context(#"{"base_url": "http://127.0.0.1:1", "callback": {"path": "/cb"}}"#).app.profile)
        #expect(try judge.failure(.accepted, Self.answer(200), label: "r") == nil)
        #expect(try judge.failure(.refused, Self.answer(401), label: "r") == nil)
        #expect(try judge.failure(.refused, Self.answer(302), label: "r") == nil, "a redirect to the login page refuses too")
        #expect(try judge.failure(.refused, Self.answer(200), label: "r")?.contains("signed in") == true)
        #expect(try judge.failure(.refused, Self.answer(500), label: "r")?.contains("server error") == true)
        #expect(try judge.failure(.not5xx, Self.answer(503), label: "r") != nil)
    }

    @Test func codeShapeOutcomesNeedTheProbe() throws {
        let withProbe = OutcomeJudge(
            profile: try Self.context(#"{"base_url": "http://127.0.0.1:1", "callback": {"path": "/cb", "shape": "code"}, "probe": {"path": "/me"}}"#)
                .app.profile)
        #expect(try withProbe.failure(.accepted, Self.answer(200, chain: [302, 200], probe: 200), label: "r") == nil)
        #expect(try withProbe.failure(.accepted, Self.answer(302, chain: [302], probe: 401), label: "r") != nil)
        #expect(try withProbe.failure(.refused, Self.answer(302, chain: [302], probe: 401), label: "r") == nil)
        #expect(try withProbe.failure(.refused, Self.answer(200, chain: [302, 200], probe: 200), label: "r") != nil)
        #expect(try withProbe.failure(.not5xx, Self.answer(200, chain: [302, 200], probe: 500), label: "r") != nil, "a 5xx anywhere counts")
        let noProbe = OutcomeJudge(
            profile: try Self.context(#"{"base_url": "http://127.0.0.1:1", "callback": {"path": "/cb", "shape": "code"}}"#).app.profile)
        #expect(performing: { try noProbe.failure(.accepted, Self.answer(302), label: "r") }, throws: isNotApplicable)
        #expect(try noProbe.failure(.not5xx, Self.answer(302), label: "r") == nil)
    }

    @Test func fieldsAreReadFromTheProbeByPointerOrFromHTMLByPattern() throws {
        let context = try Self.context(
            #"{"base_url": "http://127.0.0.1:1", "callback": {"path": "/cb", "shape": "code"}, "probe": {"path": "/me"}, "response": {"email": {"pattern": "data-email=\"([^\"]+)\""}, "user_id": "/me/id"}}"#
        )
        var page = Self.answer(200, chain: [302, 200], probe: 200)
        page.probe?.body = Array(#"<h1 data-email="carol@acme.test">Carol</h1>"#.utf8)
        #expect(try context.field("email", in: page) == "carol@acme.test")
        #expect(try context.field("user_id", in: page) == nil, "no JSON in the probe's answer")
        page.probe?.json = ["me": ["id": "u-1"]]
        #expect(try context.field("user_id", in: page) == "u-1")
    }

    @Test func anUnmappedValueIsNotApplicableAndOnlyDecidesWhenNothingElseCan() throws {
        let context = try Self.context(#"{"base_url": "http://127.0.0.1:1", "callback": {"path": "/cb"}, "response": {"user_id": "/u"}}"#)
        context.bindings.responses["r"] = Self.answer(200, json: ["u": "a", "w": "b"])
        let evaluator = ExpectationEvaluator(context: context)
        func check(_ text: String) throws -> String? {
            try evaluator.failure(of: ScenarioLoader.parseExpectation(try JSONValue.parse(text), file: "s", step: "steps[0]", path: "expect"))
        }
        #expect(performing: { try check(#"{"response": "r", "field": "workspace_id", "not_null": true}"#) }, throws: isNotApplicable)
        #expect(try check(#"{"response": "r", "field": "user_id", "equals": "a"}"#) == nil)
        #expect(try check(#"{"response": "r", "field": "/w", "equals": "b"}"#) == nil, "a JSON Pointer needs no mapping")
        // any_of: one alternative holding decides; one failing and one unknown is unknown.
        #expect(try check(#"{"any_of": [{"response": "r", "field": "workspace_id", "not_null": true}, {"response": "r", "status": 200}]}"#) == nil)
        #expect(
            performing: {
                try check(#"{"any_of": [{"response": "r", "field": "workspace_id", "not_null": true}, {"response": "r", "status": 401}]}"#)
            }, throws: isNotApplicable)
        // all_of: a failure that can be read is a failure.
        #expect(try check(#"{"all_of": [{"response": "r", "field": "workspace_id", "not_null": true}, {"response": "r", "status": 401}]}"#) != nil)
    }
}

@Suite struct TokenPlacementTests {
    @Test(arguments: [
        (#"{"in": "query", "field": "access_token"}"#, "query"), (#"{"in": "cookie", "field": "session"}"#, "cookie"),
        (#"{"in": "form", "field": "token"}"#, "form"), (#"{"in": "json", "field": "token"}"#, "json"), (#"{"in": "bearer"}"#, "bearer"),
    ])
    func theTokenGoesWhereTheProfileSays(_ token: String, _ placement: String) throws {
        let profile = try TargetProfile.parse(
            try JSONValue.parse(#"{"base_url": "http://127.0.0.1:9", "callback": {"path": "/cb?x=1", "token": \#(token)}}"#), file: "p.json")
        let request = AppTarget(profile: profile, placeholders: [:]).callbackRequest(token: "a.b+c")
        let body = String(decoding: request.body, as: UTF8.self)
        switch placement {
        case "query": #expect(request.url == "http://127.0.0.1:9/cb?x=1&access_token=a.b%2Bc")
        case "cookie": #expect(request.headers["Cookie"] == "session=a.b+c")
        case "form": #expect(body == "token=a.b%2Bc")
        case "json": #expect(body == #"{"token":"a.b+c"}"#)
        default: #expect(request.headers["Authorization"] == "Bearer a.b+c")
        }
        #expect(placement == "bearer" || request.headers["Authorization"] == nil)
    }
}

@Suite struct NotApplicableReportTests {
    @Test func notApplicableIsCountedApartInEveryReport() throws {
        var report = sampleReport()
        report.results.removeLast()
        let scenario = Scenario(file: "s.json", id: "first-login.provisions-once", family: "first-login", title: "t", steps: [.mark("m")])
        report.results.append(ScenarioResult(scenario: scenario, verdict: .notApplicable, seconds: 0, reason: "the profile offers no introspection"))
        #expect(ConsoleReporter(color: false, trace: false).summary(report).hasSuffix("1 passed, 1 failed, 1 skipped, 1 not applicable"))
        #expect(
            ConsoleReporter(color: false, trace: false).line(for: report.results[3], index: 4, total: 4).contains(
                "N/A   first-login.provisions-once  0.00s  — the profile offers no introspection"))
        #expect(JSONReporter.render(report)["summary"]?["not_applicable"] == 1)
        let document = try XMLDocumentTree(JUnitReporter.render(report))
        let suite = try #require(document.root.children.first { $0.attributes["name"] == "first-login" })
        let testcase = try #require(suite.children.first { $0.name == "testcase" })
        #expect(testcase.children.first { $0.name == "skipped" }?.attributes["message"] == "not applicable: the profile offers no introspection")
        #expect(
            suite.children.first { $0.name == "properties" }?.children.contains {
                $0.attributes["name"] == "not_applicable" && $0.attributes["value"] == "1"
            } == true)
        #expect(report.exitCode(strict: false) == 1)
        report.results.removeFirst()
        #expect(report.exitCode(strict: false) == 0)
        report.results.removeAll { $0.verdict == .skipped }
        #expect(report.exitCode(strict: true) == 1, "--strict fails on not applicable too")
    }
}

/// The scenario stop that makes a check or a scenario not applicable (never failed).
func isNotApplicable(_ error: any Error) -> Bool { (error as? ScenarioStop)?.isNotApplicable == true }
