import Foundation
import JSON
import TestSupport
import Testing

@testable import IdP

@Suite(.enabled(if: Interop.available, "needs .venv with Tests/interop/requirements.txt (created by .ci/run)"))
struct InteropTests {
    @Test func independentVerifiersAcceptValidTokensAndRejectForgeries() throws {
        let mock = try RunningIdP()
        var cases: [JSONValue] = []
        func add(_ name: String, _ body: JSONValue) throws {
            cases.append(["name": .string(name), "token": .string(try mock.mint(body))])
        }
        try add("valid", ["user": "alice"])
        try add("valid-org", ["user": "carol", "organization": "globex"])
        try add("none", ["user": "alice", "sign": "none"])
        try add("bad-signature", ["user": "alice", "sign": "bad-signature"])
        try add("hs256-public-key", ["user": "alice", "sign": "hs256-public-key"])
        try add("unknown-key", ["user": "alice", "sign": "unknown-key"])
        try add("expired", ["user": "alice", "expires_in": -120, "issued_at_offset": -600])
        try add("wrong-issuer", ["user": "alice", "claims": ["iss": "https://api.workos.com"]])
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("mockidp-tokens-\(UUID().uuidString).json")
        try Data(JSONValue.array(cases).serialized()).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let results = try Interop.run("verify_tokens.py", [mock.base, file.path])
        for name in ["valid", "valid-org"] {
            for library in ["pyjwt", "joserfc", "jwcrypto"] {
                #expect(results[name]?[library] == "ok", "\(library) on \(name): \(results[name]?[library] ?? .null)")
            }
        }
        for name in ["none", "bad-signature", "hs256-public-key", "unknown-key", "expired", "wrong-issuer"] {
            for library in ["pyjwt", "joserfc", "jwcrypto"] {
                let verdict = results[name]?[library]?.stringValue ?? ""
                #expect(verdict.hasPrefix("rejected"), "\(library) accepted the \(name) forgery")
            }
        }
        // PyJWKClient found the keys through discovery, so the mock saw discovery and JWKS fetches.
        #expect(!mock.idp.journal.entries(.init(pathPrefix: "/.well-known/openid-configuration")).isEmpty)
        // The discovery document names the AuthKit-domain JWKS (/oauth2/jwks, the keys of /sso/jwks/{client_id}).
        #expect(!mock.idp.journal.entries(.init(pathPrefix: "/oauth2/jwks")).isEmpty)
    }

    @Test func workosPythonSDKReadsEveryManagementShape() throws {
        let mock = try RunningIdP()
        let acme = mock.org("acme")
        let fixture: JSONValue = [
            "user_id": .string(mock.user("alice").id), "org_id": .string(acme.id), "org_external_id": .string(acme.externalID ?? ""),
            "multi_org_user_id": .string(mock.user("carol").id), "lonely_user_id": .string(mock.user("grace").id),
        ]
        let out = try Interop.run(
            "workos_management.py", [mock.base, mock.idp.configuration.apiKey, mock.idp.configuration.clientID, fixture.serializedString()])
        #expect(out["user"]?["email"] == "alice@acme.test")
        #expect(out["memberships"]?.arrayValue?.count == 2)
        #expect(out["membership_user_ids"] == [.string(mock.user("carol").id)])
        #expect(out["org"]?["external_id"] == .string(acme.externalID ?? ""))
        #expect(out["org_by_external_id"] == .string(acme.id))
        #expect(out["created_user"]?["email"] == "sdk.created@example.test")
        #expect(out["created_membership"]?["organization_id"] == .string(acme.id))
        #expect(out["jwks_kids"] == [.string(mock.idp.keys.activeKey.kid)])
        #expect(out["org_pages"]?.arrayValue?.count == mock.fixtures.organizations.count)
        // The SDK used the right ID space everywhere.
        #expect(mock.idp.journal.entries(.init(flag: .idSpaceViolation)).isEmpty)
    }
}
