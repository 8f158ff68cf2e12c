import Foundation
import HTTP
import JSON
import TestSupport
import Testing

@testable import IdP

/// The same behaviour checks with every WorkOS Python SDK generation, unchanged
/// (Tests/interop/workos_generations.py adapts each call to the generation's API). A check the
/// generation has no call for is skipped with its reason, and only those listed here may be.
struct WorkOSGenerationTests {
    static let callback = "http://localhost:3000/callback"

    /// Checks a generation cannot run, and why (the script reports the reason it found).
    static func expectedSkips(_ generation: WorkOSGeneration) -> Set<String> {
        switch generation {
        case .v5: return ["membership_user", "mock_sealed"]  // no user on memberships; no raw request call
        case .v6: return ["membership_user"]  // its OrganizationMembership has no user field
        case .v8, .v10: return []
        }
    }

    func check(_ generation: WorkOSGeneration) throws {
        let python = try generation.requirePython()
        let mock = try RunningIdP { $0.autoApprove = true }
        let fixture: JSONValue = [
            "user_id": .string(mock.user("alice").id), "org_id": .string(mock.org("acme").id),
            "multi_org_user_id": .string(mock.user("carol").id),
        ]
        // Counted before the script creates a user.
        let users = mock.fixtures.users.count
        let organizations = mock.fixtures.organizations.count
        let out = try Interop.run(
            "workos_generations.py", [mock.base, mock.apiKey, mock.clientID, Self.callback, fixture.serializedString()],
            python: python)
        #expect(out["version"] == .string(generation.version))
        let checks = try #require(out["checks"]?.objectValue)
        var skipped: Set<String> = []
        for member in checks {
            if let reason = member.value["skipped"]?.stringValue {
                skipped.insert(member.key)
                print("workos \(generation.version): \(member.key) skipped: \(reason)")
            }
        }
        #expect(skipped == Self.expectedSkips(generation), "only checks the generation has no call for may be skipped")
        func check(_ name: String) -> JSONValue { checks[name] ?? .null }
        let alice = mock.user("alice")
        let acme = mock.org("acme")
        let globex = mock.org("globex")

        let management = check("management")
        #expect(management["user_email"] == "alice@acme.test")
        #expect(management["users_paged"]?.intValue == Int64(users))
        #expect(management["users_unique"] == management["users_paged"])
        #expect(management["created_email"] == .string("gen\(generation.rawValue).created@example.test"))
        #expect(management["org_id"] == .string(acme.id))
        #expect(management["org_domains"] == ["acme.test"])
        #expect(management["orgs_paged"]?.intValue == Int64(organizations))
        #expect(management["membership_orgs"] == .array([acme.id, globex.id].sorted().map(JSONValue.string)))
        if !skipped.contains("membership_user") {
            #expect(check("membership_user")["user_ids"] == [.string(mock.user("carol").id)])
        }

        #expect(check("authorization_url")["path"] == "/user_management/authorize")
        for parameter in ["client_id", "redirect_uri", "response_type", "provider", "state", "login_hint"] {
            #expect(check("authorization_url")["params"]?.arrayValue?.contains(.string(parameter)) == true, "\(parameter)")
        }
        #expect(check("code")["user_id"] == .string(alice.id))
        #expect(check("code")["organization_id"] == .string(acme.id))
        #expect(check("code")["authentication_method"] == "Password")
        #expect(check("code_sealed")["unsealed_user_id"] == .string(alice.id))
        #expect(check("code_sealed")["how"] == (generation == .v5 ? "authenticate_with_code(session=...)" : "seal_session_from_auth_response"))
        if !skipped.contains("mock_sealed") {
            // The mock's own sealed_session, opened by the SDK's unseal function.
            #expect(check("mock_sealed")["same_access_token"] == true)
            #expect(check("mock_sealed")["same_refresh_token"] == true)
            #expect(check("mock_sealed")["user_id"] == .string(alice.id))
        }

        let authenticated = check("session_authenticate")
        #expect(authenticated["authenticated"] == true, "Session.authenticate(): \(authenticated)")
        #expect(authenticated["organization_id"] == .string(acme.id))
        #expect(authenticated["role"] == "owner")
        let refreshed = check("session_refresh")
        #expect(refreshed["authenticated"] == true, "Session.refresh(): \(refreshed)")
        #expect(refreshed["session_id"] == authenticated["session_id"])
        #expect(refreshed["reauthenticated"] == true)
        #expect(check("refresh")["rotated"] == true)
        #expect(check("pkce")["email"] == "bob@acme.test")
        #expect(check("pkce")["client"] == (generation == .v5 ? "confidential" : "public"))
        #expect(check("password")["email"] == "erin@initech.test")
        #expect(check("wrong_password")["status"] == 400)
        #expect(check("wrong_password")["code"] == "invalid_credentials")
        #expect(check("selection")["asked"] == true)
        #expect(check("selection")["status"] == 403)
        #expect(check("selection")["code"] == "organization_selection_required")
        #expect(check("selection")["organization_id"] == check("selection")["chosen"])
        #expect(check("logout")["location"] == .string(Self.callback + "?signed_out=1"))
        #expect(check("refresh_after_logout")["status"] == 400)
        #expect(check("refresh_after_logout")["error"] == "invalid_grant")

        // Every token the flows issued carries what the newest session helper requires.
        for token in out["tokens"]?.arrayValue ?? [] {
            let claims = try mock.claims(try #require(token["token"]?.stringValue))
            #expect(claims["auth_time"]?.intValue != nil, "\(token["name"] ?? .null)")
            #expect(claims["sid"]?.stringValue?.hasPrefix("session_") == true)
        }
        #expect(mock.idp.journal.entries(.init(flag: .idSpaceViolation)).isEmpty)
    }

    @Test(.enabled(if: WorkOSGeneration.v5.enabled, Comment(rawValue: WorkOSGeneration.v5.skipReason)))
    func workos5() throws { try check(.v5) }

    @Test(.enabled(if: WorkOSGeneration.v6.enabled, Comment(rawValue: WorkOSGeneration.v6.skipReason)))
    func workos6() throws { try check(.v6) }

    @Test(.enabled(if: WorkOSGeneration.v8.enabled, Comment(rawValue: WorkOSGeneration.v8.skipReason)))
    func workos8() throws { try check(.v8) }

    @Test(.enabled(if: WorkOSGeneration.v10.enabled, Comment(rawValue: WorkOSGeneration.v10.skipReason)))
    func workos10() throws { try check(.v10) }
}
