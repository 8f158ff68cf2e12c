import Foundation
import JSON
import TestSupport
import Testing

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
}
