import Foundation
import HTTP
import JSON
import TestSupport
import Testing

@testable import IdP

@Suite(.enabled(if: Interop.available, "needs .venv with Tests/interop/requirements.txt (created by .ci/run)"))
struct AuthInteropTests {
    @Test func workosPythonSDKLogsInRefreshesAndVerifiesTheSession() throws {
        // Auto-approve makes the SDK's own authorize URL (with login_hint) redirect straight back.
        let mock = try RunningIdP { $0.autoApprove = true }
        let callback = "http://localhost:3000/callback"
        let out = try Interop.run("workos_auth.py", [mock.base, mock.apiKey, mock.clientID, callback])
        let alice = mock.user("alice")
        #expect(out["code"]?["user_id"] == .string(alice.id))
        #expect(out["code"]?["organization_id"] == .string(mock.org("acme").id))
        #expect(out["code"]?["authentication_method"] == "Password")
        #expect(out["code"]?["last_sign_in_at"] != "None")
        #expect(out["refresh"]?["rotated"] == true)
        #expect(out["session"]?["authenticated"] == true, "session.authenticate(): \(out["session"] ?? .null)")
        #expect(out["session"]?["organization_id"] == .string(mock.org("acme").id))
        #expect(out["session"]?["role"] == "owner")
        #expect(out["session_refresh"]?["authenticated"] == true, "session.refresh(): \(out["session_refresh"] ?? .null)")
        #expect(out["session_refresh"]?["session_id"] == out["session"]?["session_id"])
        #expect(out["pkce"]?["email"] == "bob@acme.test")
        #expect(out["password"]?["email"] == "erin@initech.test")
        #expect(out["password"]?["authentication_method"] == "Password")
        #expect(out["wrong_password"]?["code"] == "invalid_credentials")
        #expect(out["wrong_password"]?["status"] == 400)
        #expect(out["selection"]?["offered"] == ["Acme Corp", "Globex Corporation"])
        #expect(out["selection"]?["organization_id"] == out["selection"]?["chosen"])
        #expect(out["logout"]?["location"] == .string(callback + "?signed_out=1"))
        #expect(out["refresh_after_logout"]?["error"] == "invalid_grant")
        // The SDK's session helper found the keys the way it always does.
        #expect(!mock.idp.journal.entries(.init(pathPrefix: "/sso/jwks/\(mock.clientID)")).isEmpty)

        // Three independent JOSE libraries accept every access token the flows issued.
        let tokens = try #require(out["tokens"]?.arrayValue)
        #expect(tokens.count == 4)
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("mockidp-auth-tokens-\(UUID().uuidString).json")
        try Data(JSONValue.array(tokens).serialized()).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let verdicts = try Interop.run("verify_tokens.py", [mock.base, file.path])
        for token in tokens {
            let name = token["name"]?.stringValue ?? "?"
            for library in ["pyjwt", "joserfc", "jwcrypto"] {
                #expect(verdicts[name]?[library] == "ok", "\(library) on the \(name) token: \(verdicts[name]?[library] ?? .null)")
            }
        }
    }
}

// SKIPPED loudly (Swift Testing prints the reason) when the browser stack is absent on a dev
// machine; run .ci/run once to install it.
@Suite(.enabled(if: Browser.enabled, "SKIPPED: real-browser login needs \(Browser.missing.joined(separator: ", ")); run .ci/run to install them"))
struct BrowserLoginTests {
    @Test func headlessChromiumClicksAUserAndExchangesTheCodeCrossOrigin() throws {
        guard Browser.missing.isEmpty, let chromium = Browser.chromium, let chromedriver = Browser.chromedriver else {
            throw TestFailure(
                "CI=true but the real-browser stack is missing: \(Browser.missing.joined(separator: ", ")); .ci/run should have installed it")
        }
        let mock = try RunningIdP()
        // The app's callback: a page on another loopback port, so the browser's fetch to the mock is cross-origin.
        let app = HTTPServer { _ in .html("<!doctype html><title>callback</title><p>callback received</p>") }
        let port = try app.start(host: "127.0.0.1", port: 0)
        defer { app.stop() }
        let callback = "http://127.0.0.1:\(port)/callback"
        let screenshot = Interop.root.appendingPathComponent("artifacts/login-page.png").path
        try? FileManager.default.removeItem(atPath: screenshot)

        let out = try Interop.run("browser_login.py", [mock.base, mock.clientID, callback, screenshot, chromium, chromedriver])
        #expect(out["users_listed"]?.intValue == Int64(mock.fixtures.users.count))
        #expect(out["state_ok"] == true)
        #expect(out["error"] == .null)
        #expect(out["got_code"] == true)
        #expect(out["exchange_status"] == 200, "browser exchange: \(out["exchange_error"] ?? .null)")
        #expect(out["email"] == "alice@acme.test")
        #expect(out["organization_id"] == .string(mock.org("acme").id))
        #expect(out["authentication_method"] == "Password")
        let token = try #require(out["access_token"]?.stringValue)
        #expect(try mock.claims(token)["sub"] == .string(mock.user("alice").id))
        #expect(FileManager.default.fileExists(atPath: screenshot))
        // A real browser preflighted the cross-origin JSON POST, and the mock answered it.
        #expect(!mock.idp.journal.entries(.init(method: "OPTIONS", pathPrefix: "/user_management/authenticate")).isEmpty)
    }
}
