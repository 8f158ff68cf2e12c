import Foundation
import HTTP
import JSON
import TestSupport
import Testing

@testable import Conformance

/// `mockidp init --observe --command "…" > p.json && mockidp run --target p.json`: the profile
/// written by watching one login runs the suite with no failure on each code-flow app, and on a
/// bearer API init says what it could not infer instead of writing a guess.
@Suite(.enabled(if: BuiltTool.path != nil, "the mockidp executable must be built (swift build)"))
struct InitObserveTests {
    static let bearerPython = Interop.root.appendingPathComponent(".venv/bin/python").path

    /// Observes the app in a folder of its own, saves the profile there, then runs the suite.
    static func observeThenRun(_ command: String) throws -> (profile: JSONValue, notes: String, run: BuiltTool.Result) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("mockidp-observe-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let observed = try BuiltTool.run(["init", "--observe", "--name", "observed", "--command", command], timeout: 120)
        guard observed.status == 0 else { throw TestFailure("init --observe exited \(observed.status):\n\(observed.stderr)") }
        let file = folder.appendingPathComponent("p.json")
        try Data(observed.stdout.utf8).write(to: file)
        let profile = try JSONValue.parse(observed.stdout)
        let run = try BuiltTool.run(["run", "--target", file.path, "--seed", "11"], timeout: 600)
        return (profile, observed.stderr, run)
    }

    static func expectCodeFlowProfile(_ profile: JSONValue, notes: String) {
        #expect(profile["callback"]?["shape"]?.stringValue == "code")
        #expect(profile["callback"]?["path"]?.stringValue == "/callback")
        #expect(profile["callback"]?["login_path"]?.stringValue == "/login")
        #expect(profile["probe"]?["path"]?.stringValue == "/account")
        #expect(profile["response"]?["email"]?.stringValue != nil)
        #expect(profile["response"]?["idp_user_id"]?.stringValue != nil)
        #expect(profile["description"]?.stringValue?.contains("{idp_base_url}/sso/jwks/{client_id}") == true)
        #expect(notes.contains("seen: the app exchanged the code (POST /user_management/authenticate)"))
        #expect(notes.contains("could not infer: capabilities"))
    }

    @Test(.enabled(if: AnyAppTests.workos5Available, "needs .venv-workos5 (workos==5.46.0, created by .ci/run)"))
    func theWorkOS5WebAppsObservedProfileRunsWithNoFailure() throws {
        let app = Interop.root.appendingPathComponent("Tests/interop/workos5_web_app.py").path
        let (profile, notes, run) = try Self.observeThenRun("\(AnyAppTests.workos5Python) \(app)")
        Self.expectCodeFlowProfile(profile, notes: notes)
        #expect(profile["response"]?["email"]?.stringValue == "/me/mail")
        #expect(notes.contains("wos_session"))
        #expect(run.status == 0, "\(run.stdout)\n\(run.stderr)")
        #expect(run.stdout.contains(" 0 failed,"))
    }

    /// An OpenID Connect relying party (Authlib's Flask client, mozilla-django-oidc): its login goes
    /// through /oauth2/authorize, so the profile forges the id_token it verifies.
    @Test(
        .enabled(if: Virtualenv.oidc.enabled, Comment(rawValue: Virtualenv.oidc.skipReason)),
        arguments: [
            ("oidc_rp_authlib_app.py", "/login", "/callback"), ("oidc_rp_django_app.py", "/oidc/authenticate/", "/oidc/callback/"),
        ])
    func anOpenIDConnectRelyingPartysObservedProfileRunsWithNoFailure(app: String, loginPath: String, callbackPath: String) throws {
        let python = Interop.root.appendingPathComponent(".venv-oidc/bin/python").path
        let script = Interop.root.appendingPathComponent("Tests/interop/\(app)").path
        let (profile, notes, run) = try Self.observeThenRun(
            "env OIDC_ISSUER_URL={idp_base_url} OIDC_CLIENT_ID={client_id} OIDC_CLIENT_SECRET={api_key} \(python) \(script)")
        #expect(profile["callback"]?["token_role"]?.stringValue == "id_token", "\(notes)")
        #expect(profile["callback"]?["login_path"]?.stringValue == loginPath)
        #expect(profile["callback"]?["path"]?.stringValue == callbackPath)
        #expect(profile["response"]?["idp_user_id"]?.stringValue != nil)
        #expect(notes.contains("seen: the app exchanged the code (POST /oauth2/token)"))
        #expect(run.status == 0, "\(run.stdout)\n\(run.stderr)")
        #expect(run.stdout.contains(" 0 failed,"))
    }

    /// An independent app whose tenant is the session's organization (Tests/interop/org_tenant_app.py).
    @Test(.enabled(if: Interop.available, "needs .venv (created by .ci/run)"))
    func theOrganizationTenantAppsObservedProfileRunsWithNoFailure() throws {
        let app = Interop.root.appendingPathComponent("Tests/interop/org_tenant_app.py").path
        let (profile, notes, run) = try Self.observeThenRun("\(Self.bearerPython) \(app)")
        #expect(profile["callback"]?["shape"]?.stringValue == "code", "\(notes)")
        #expect(profile["callback"]?["token_role"] == nil)
        #expect(run.status == 0, "\(run.stdout)\n\(run.stderr)")
        #expect(run.stdout.contains(" 0 failed,"))
    }

    @Test func theReferenceWebAppsObservedProfileRunsWithNoFailure() throws {
        let (profile, notes, run) = try Self.observeThenRun(
            "{mockidp} sample-app --shape web --port {app_port} --idp {idp_base_url} --client-id {client_id} --api-key {api_key} --issuer {issuer}")
        Self.expectCodeFlowProfile(profile, notes: notes)
        #expect(profile["response"]?["idp_user_id"]?.stringValue == "/user/idp_user_id")
        #expect(run.status == 0, "\(run.stdout)\n\(run.stderr)")
        #expect(run.stdout.contains(" 0 failed,"))
    }

    @Test(.enabled(if: Interop.available, "needs .venv (created by .ci/run)"))
    func aBearerAPIGetsNoGuessedProfile() throws {
        let app = Interop.root.appendingPathComponent("Tests/interop/bearer_app.py").path
        let observed = try BuiltTool.run(
            [
                "init", "--observe", "--wait", "0", "--command",
                "env IDP={idp_base_url} CLIENT_ID={client_id} API_KEY={api_key} ISSUER={issuer} JWKS_TTL=60 \(Self.bearerPython) \(app)",
            ], timeout: 120)
        #expect(observed.status == 1)
        #expect(observed.stdout.isEmpty)
        #expect(observed.stderr.contains("could not infer: the shape: no login reached the mock's /user_management/authorize"))
        #expect(observed.stderr.contains("could not infer: callback.path and callback.token"))
        #expect(observed.stderr.contains("could not infer: response"))
        #expect(observed.stderr.contains("no profile written"))
    }

    /// No login route redirects to the mock: init says where to sign in and waits; a person's
    /// browser (here three requests made as a browser would) signs in, and the profile has the
    /// callback from the redirect_uri the mock saw, and says it could not read a page as the user.
    @Test func aPersonsSignInIsWatchedWhenNoLoginRouteCanBeDriven() throws {
        guard let path = BuiltTool.path else { throw TestFailure("the mockidp executable was not built next to the tests") }
        let app = Interop.root.appendingPathComponent("Tests/interop/login_link_app.py").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = ["init", "--observe", "--wait", "60", "--command", "python3 \(app)"]
        let out = Pipe()
        let errors = Pipe()
        process.standardOutput = out
        process.standardError = errors
        try process.run()
        defer { if process.isRunning { process.terminate() } }
        // The first line says where to sign in; init exits on its own after the wait at the latest.
        var said = ""
        while !said.contains("\n") {
            let chunk = errors.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            said += String(decoding: chunk, as: UTF8.self)
        }
        guard let range = said.range(of: #"sign in once at (http://127\.0\.0\.1:[0-9]+)/"#, options: .regularExpression) else {
            throw TestFailure("init did not say where to sign in: \(said)")
        }
        let base = String(said[range].dropFirst("sign in once at ".count).dropLast())
        let client = HTTPClient()
        let authorize = try client.send(.get(base + "/go"))
        guard let authorizeURL = authorize.headers["Location"] else { throw TestFailure("/go did not redirect: \(authorize.status)") }
        let approved = try client.send(.get(authorizeURL + "&login_hint=alice%40acme.test&mockidp_auto_approve=1"))
        guard let callback = approved.headers["Location"] else { throw TestFailure("the mock did not redirect back: \(approved.bodyText)") }
        #expect(try client.send(.get(callback)).status == 200)
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        said += String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(said)")
        let profile = try JSONValue.parse(String(decoding: stdout, as: UTF8.self))
        #expect(profile["callback"]?["path"]?.stringValue == "/back")
        #expect(profile["callback"]?["redirect_uri"]?.stringValue == "http://127.0.0.1:{app_port}/back")
        #expect(profile["probe"] == nil)
        #expect(said.contains("seen: a person signed in"))
        #expect(said.contains("could not infer: probe and response"))
    }
}

/// How init --observe reads what it saw: where a page shows the user, which cookies were set.
@Suite struct ObservationReadingTests {
    @Test func aJSONPageGivesPointersAndAnHTMLPageGivesPatterns() throws {
        let values = ["email": "ann@example.test", "idp_user_id": "user_01ABC"]
        let json = try JSONValue.parse(#"{"me": {"a/b": "user_01ABC", "list": [1, "ann@example.test"]}}"#)
        let fromJSON = ProfileObserver.fields(showing: values, json: json, text: "")
        #expect(fromJSON["idp_user_id"]?.stringValue == "/me/a~1b")
        #expect(fromJSON["email"]?.stringValue == "/me/list/1")
        // The workos5 web app's HTML page: the email sits right after a tag holding the user ID.
        let page = "<h1>Signed in as <span data-idp='user_01ABC'>ann@example.test</span></h1>"
        let fromHTML = ProfileObserver.fields(showing: values, json: nil, text: page)
        for (name, value) in values {
            guard let pattern = fromHTML[name]?["pattern"]?.stringValue else {
                Issue.record("no pattern for \(name)")
                continue
            }
            #expect(!pattern.contains("user_01ABC") && !pattern.contains("ann@"))
            // The pattern reads another user's page too.
            let other = page.replacingOccurrences(of: "user_01ABC", with: "user_02XYZ").replacingOccurrences(of: "ann@", with: "bob@")
            let expected = value.replacingOccurrences(of: "user_01ABC", with: "user_02XYZ").replacingOccurrences(of: "ann@", with: "bob@")
            #expect(ResponseField.pattern(pattern).value(json: nil, text: other)?.stringValue == expected)
        }
        #expect(ProfileObserver.fields(showing: values, json: nil, text: "<p>nobody</p>").isEmpty)
    }

    @Test func clearedCookiesAreNotASession() {
        #expect(
            ProfileObserver.cookiesSet(["wos_session=abc; Path=/; Secure", "login_state=; Path=/; Max-Age=0", "x=1; Max-Age=0", "y = 2"])
                == ["wos_session", "y"])
        #expect(ProfileObserver.templated("http://127.0.0.1:4321/back", appBaseURL: "http://127.0.0.1:4321") == "http://127.0.0.1:{app_port}/back")
    }
}
