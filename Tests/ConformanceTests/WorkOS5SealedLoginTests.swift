import Foundation
import JSON
import TestSupport
import Testing

/// The issue's "done when": an app written for the 5.x SDK signs in with a sealed session against
/// a real `mockidp serve` process with nothing in between — authorization URL, the mock's login
/// page, `authenticate_with_code(session=…)`, `load_sealed_session(…).authenticate()`, a refresh
/// once the access token has expired, and logout to the default logout redirect. The app is run by
/// `mockidp serve -- …`, so its SDK is configured only by the environment serve sets.
@Suite(.enabled(if: BuiltTool.path != nil, "the mockidp executable must be built (swift build)"))
struct WorkOS5SealedLoginTests {
    @Test(.enabled(if: WorkOSGeneration.v5.enabled, Comment(rawValue: WorkOSGeneration.v5.skipReason)))
    func aWorkOS5AppSignsInRefreshesAndSignsOutAgainstServe() throws {
        let python = try WorkOSGeneration.v5.requirePython()
        let callback = "http://localhost:3000/callback"
        let script = Interop.root.appendingPathComponent("Tests/interop/workos5_sealed_login.py").path
        let result = try BuiltTool.run(["serve", "--port", "0", "--log", "off", "--redirect-uri", callback, "--", python, script, callback])
        #expect(result.status == 0, "serve exits with the app's code: \(result.stderr)")
        let line = try #require(
            result.stdout.split(separator: "\n").last { $0.hasPrefix("{") }, "no JSON from the app: \(result.stdout)\n\(result.stderr)")
        let out = try JSONValue.parse(Array(line.utf8))
        #expect(out["login_page"]?["status"] == 200)
        #expect((out["login_page"]?["forms"]?.intValue ?? 0) > 1, "one form per fixture user")
        #expect(out["callback"]?["to"] == .string(callback))
        #expect(out["callback"]?["state"] == "e2e-state")
        #expect(out["sealed"]?["user"] == "alice@acme.test")
        #expect(out["sealed"]?["has_cookie"] == true)
        #expect(out["expired"]?["authenticated"] == false)
        #expect(out["expired"]?["reason"] == "invalid_jwt")
        #expect(out["refreshed"]?["authenticated"] == true, "Session.refresh(): \(out["refreshed"] ?? .null)")
        #expect(out["authenticated"]?["authenticated"] == true)
        #expect(out["authenticated"]?["session_id"] == out["refreshed"]?["session_id"])
        #expect(out["authenticated"]?["role"] == "owner")
        #expect(out["logout"]?["status"] == 302)
        #expect(out["logout"]?["location"] == "http://localhost:3000", "no return_to: the origin of the first redirect URI")
        #expect(out["refresh_after_logout"]?["authenticated"] == false)
        #expect(out["refresh_after_logout"]?["reason"]?.stringValue?.contains("invalid_grant") == true)
    }
}
