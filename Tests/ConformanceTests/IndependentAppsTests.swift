import Foundation
import JSON
import TestSupport
import Testing

@testable import Conformance

/// Issue #23's false alarms, on correct Python apps nobody on this project's runner wrote: one whose
/// tenant is the session's organization (null for a user without one) and one on http.server with
/// the listen backlog of 5 that most small Python services ship. Each must pass with no failure and
/// no error.
@Suite(.enabled(if: BuiltTool.path != nil, "the mockidp executable must be built (swift build)"))
struct IndependentAppsTests {
    static func profile(_ name: String) -> String { Interop.root.appendingPathComponent("Tests/interop/\(name)").path }

    @Test(.enabled(if: Interop.available, "needs .venv with PyJWT (created by .ci/run)"))
    func anAppWhoseTenantIsTheSessionsOrganizationPasses() throws {
        let (result, report) = try AnyAppTests.run(["--target", Self.profile("org-tenant-app.json")])
        let app = try #require(report, "\(result.stderr)")
        #expect(result.status == 0, "\(result.stdout)")
        #expect(app.summary["failed"] == 0 && app.summary["errors"] == 0, "\(app.summary): \(app.ids("fail") + app.ids("error"))")
        // The scenarios that cried wolf on this app (a null workspace_id, a one-membership token
        // without org_id) are judged, and pass.
        for id in [
            "id-spaces.session-organization", "id-spaces.no-idp-ids-in-app-fields", "concurrency.distinct-users-8",
            "concurrency.first-login-8-one-account", "rotation.jwks-outage-survived", "id-spaces.multi-org-user",
        ] {
            #expect(app.verdict(id) == "pass", "\(id): \(app.verdict(id) ?? "missing")")
        }
        // A user without an organization signed in, with no tenant: null is an answer, not a failure.
        let session = try #require(app.scenarios.first { $0["id"] == "id-spaces.session-organization" }?["transcript"]?.arrayValue)
        #expect(session.contains { $0["response_body"]?.stringValue?.contains(#""tenant": {"id": null}"#) == true }, "\(session)")
    }

    @Test(.enabled(if: Interop.available, "needs .venv with PyJWT (created by .ci/run)"))
    func anAppWithListenBacklogFivePassesTheRaces() throws {
        let (result, report) = try AnyAppTests.run(["--target", Self.profile("backlog5-app.json")])
        let app = try #require(report, "\(result.stderr)")
        #expect(result.status == 0, "\(result.stdout)")
        #expect(app.summary["failed"] == 0 && app.summary["errors"] == 0, "\(app.summary): \(app.ids("fail") + app.ids("error"))")
        // 8 and 32 racing connections against an accept queue of 6: every race is judged.
        for id in [
            "concurrency.first-login-2", "concurrency.first-login-8", "concurrency.first-login-32", "concurrency.first-login-8-one-account",
            "concurrency.distinct-users-8", "concurrency.same-token-8", "first-login.provisions-once", "rotation.jwks-outage-survived",
        ] {
            #expect(app.verdict(id) == "pass", "\(id): \(app.verdict(id) ?? "missing")")
        }
    }
}
