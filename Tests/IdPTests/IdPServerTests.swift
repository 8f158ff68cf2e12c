import Foundation
import HTTP
import JOSE
import JSON
import TestSupport
import Testing

@testable import IdP

@Suite struct IDSpaceJournalTests {
    @Test func appUUIDInAnOrgPathIsJournaledAsAViolation() throws {
        let mock = try RunningIdP()
        let acme = mock.org("acme")
        let appID = try #require(acme.externalID)
        let response = try mock.get("/organizations/\(appID)")
        #expect(response.status == 404)
        let journal = try mock.json("/_mock/journal?flag=id_space_violation")
        let entries = try #require(journal["data"]?.arrayValue)
        #expect(entries.count == 1)
        #expect(entries.first?["path"] == .string("/organizations/\(appID)"))
        #expect(entries.first?["flags"]?[0]?["reason"] == "app_id_in_idp_field")
        // The correct lookup is clean.
        #expect(try mock.get("/organizations/\(acme.id)").status == 200)
        #expect(try mock.get("/organizations/external_id/\(appID)").status == 200)
        #expect(mock.idp.journal.entries(.init(flag: .idSpaceViolation)).count == 1)
    }

    @Test func queryAndBodyIDsAreCheckedToo() throws {
        let mock = try RunningIdP()
        let appID = try #require(mock.org("globex").externalID)
        _ = try mock.get("/user_management/organization_memberships?organization_id=\(appID)")
        _ = try mock.send(
            "POST", "/user_management/organization_memberships", ["user_id": .string(mock.user("grace").id), "organization_id": .string(appID)])
        _ = try mock.get("/user_management/users/user_01KDVDZZZZZZZZZZZZZZZZZZZZ")
        _ = try mock.get("/organizations/external_id/\(mock.org("globex").id)")
        let reasons = mock.idp.journal.entries(.init(flag: .idSpaceViolation)).flatMap(\.flags).map { "\($0.field):\($0.reason)" }
        #expect(
            reasons == [
                "query organization_id:app_id_in_idp_field",
                "body organization_id:app_id_in_idp_field",
                "path user id:unknown_id",
                "path external_id:idp_id_in_app_field",
            ])
    }

    @Test func adversarialModeFindsTheWrongTenantForAMixedUpLookup() throws {
        let mock = try RunningIdP { $0.idSpaces = .adversarial }
        let orgs = mock.idp.directory.organizations.values.sorted { $0.id < $1.id }
        // An app holding org B's IdP ID and looking it up as if it were its own external ID gets org A.
        let found = try mock.json("/organizations/external_id/\(orgs[1].id)")
        #expect(found["id"] == .string(orgs[0].id))
        #expect(mock.idp.journal.entries(.init(flag: .idSpaceViolation)).count == 1)
    }
}

@Suite struct TokenTests {
    func verifier(_ mock: RunningIdP) throws -> JWSVerifier {
        let jwks = try mock.get("/sso/jwks/\(mock.idp.configuration.clientID)", authorized: false).json()
        return try JWSVerifier(jwks: jwks, allowedAlgorithms: [.rs256])
    }

    @Test func mintedTokensCarryWorkOSClaimsAndVerifyAgainstTheServedJWKS() throws {
        let mock = try RunningIdP()
        let token = try mock.mint(["user": "carol", "organization": "globex"])
        let verified = try verifier(mock).verify(token)
        #expect(verified.header.keys == ["alg", "kid"])
        let claims = verified.payload
        #expect(
            claims.objectValue?.keys == [
                "iss", "sub", "org_id", "role", "roles", "permissions", "entitlements", "feature_flags", "sid", "jti", "exp", "iat", "auth_time",
            ])
        #expect(claims["sub"] == .string(mock.user("carol").id))
        #expect(claims["org_id"] == .string(mock.org("globex").id))
        #expect(claims["role"] == "admin")
        #expect(claims["iss"] == .string(mock.base))
        #expect((claims["exp"]?.intValue ?? 0) - (claims["iat"]?.intValue ?? 0) == 300)
        // sid names a real session listed under the user.
        let sessions = try mock.json("/user_management/users/\(mock.user("carol").id)/sessions")
        #expect(sessions["data"]?.arrayValue?.contains { $0["id"] == claims["sid"] } == true)
        try ClaimsValidator(issuer: mock.base, leeway: 0, now: Int64(Date().timeIntervalSince1970)).validate(claims)
    }

    @Test func overridesAndOmissionsReachTheToken() throws {
        let mock = try RunningIdP()
        let token = try mock.mint(["user": "alice", "claims": ["sid": "", "jti": nil, "email": "x@y.test"], "omit": ["iat"], "expires_in": -60])
        let claims = try verifier(mock).verify(token).payload
        #expect(claims["sid"] == "")
        #expect(claims["jti"] == .null)
        #expect(claims["email"] == "x@y.test")
        #expect(claims["iat"] == nil)
        #expect(throws: JOSEError.self) { try ClaimsValidator(issuer: nil, leeway: 0, now: Int64(Date().timeIntervalSince1970)).validate(claims) }
    }

    @Test(arguments: ["none", "bad-signature", "strip-signature", "hs256-public-key", "unknown-key", "embedded-jwk"])
    func forgeriesAreRejectedByAStrictVerifier(_ mode: String) throws {
        let mock = try RunningIdP()
        let token = try mock.mint(["user": "alice", "sign": .string(mode)])
        #expect(throws: JOSEError.self) { try verifier(mock).verify(token) }
    }

    @Test func rawPayloadIsSignedExactly() throws {
        let mock = try RunningIdP()
        let raw = #"{"sub":"a","sub":"b" , "iss":1}"#
        let token = try mock.mint(["user": "alice", "raw_payload": .string(raw)])
        let verified = try verifier(mock).verify(token)
        #expect(String(decoding: verified.payloadBytes, as: UTF8.self) == raw)
    }

    @Test func templateClaimsComeFirstAtTopLevel() throws {
        let mock = try RunningIdP()
        let put = try mock.send(
            "PUT", "/user_management/jwt_template", ["content": #"{"urn:app:email": "{{ user.email }}", "org": {{ organization.name || 'none' }}}"#])
        #expect(put.status == 200)
        let claims = try verifier(mock).verify(try mock.mint(["user": "bob", "organization": "acme"])).payload
        #expect(claims.objectValue?.keys.prefix(2) == ["urn:app:email", "org"])
        #expect(claims["urn:app:email"] == "bob@acme.test")
        #expect(claims["org"] == "Acme Corp")
    }
}

@Suite struct KeyRotationTests {
    @Test func addRemoveReplaceAndUnparseableChangeTheJWKSAsDocumented() throws {
        let mock = try RunningIdP()
        let jwksPath = "/sso/jwks/\(mock.idp.configuration.clientID)"
        func kids() throws -> [String] { try mock.json(jwksPath)["keys"]?.arrayValue?.compactMap { $0["kid"]?.stringValue } ?? [] }
        let original = try kids()
        #expect(original.count == 1)

        let added = try mock.send("POST", "/_mock/keys", ["action": "add"], authorized: false).json()
        let newKid = try #require(added["kid"]?.stringValue)
        #expect(try kids() == original + [newKid])
        #expect(added["active_kid"] == .string(newKid))
        let tokenAfterAdd = try mock.mint(["user": "alice"])
        let jwksAfterAdd = try mock.json(jwksPath)
        #expect(try JWSVerifier(jwks: jwksAfterAdd).verify(tokenAfterAdd).keyID == newKid)

        #expect(try mock.send("POST", "/_mock/keys", ["action": "remove", "kid": .string(original[0])], authorized: false).status == 200)
        #expect(try kids() == [newKid])

        let oldJWK = try #require(mock.json(jwksPath)["keys"]?[0])
        #expect(try mock.send("POST", "/_mock/keys", ["action": "replace", "kid": .string(newKid)], authorized: false).status == 200)
        let newJWK = try #require(mock.json(jwksPath)["keys"]?[0])
        #expect(newJWK["kid"] == oldJWK["kid"])
        #expect(newJWK["n"] != oldJWK["n"])
        // A token from the replaced key fails against the old key material, passes against the new.
        let replacedToken = try mock.mint(["user": "alice"])
        #expect(throws: JOSEError.self) { try JWSVerifier(jwks: jwksAfterAdd).verify(replacedToken) }
        #expect(try JWSVerifier(jwks: mock.json(jwksPath)).verify(replacedToken).keyID == newKid)

        #expect(try mock.send("POST", "/_mock/keys", ["action": "publish-unparseable"], authorized: false).status == 200)
        let keys = try #require(mock.json(jwksPath)["keys"]?.arrayValue)
        #expect(keys.count == 2)
        #expect(keys.contains { $0["kty"] == "AKP" })
        #expect(try JWSVerifier(jwks: mock.json(jwksPath)).verify(try mock.mint(["user": "alice"])).keyID == newKid)
    }

    @Test func jwksPublishesX5cAndThumbprint() throws {
        let mock = try RunningIdP()
        let key = try #require(mock.json("/sso/jwks/\(mock.idp.configuration.clientID)")["keys"]?[0])
        for member in ["alg", "kty", "use", "n", "e", "kid", "x5c", "x5t#S256"] { #expect(key[member] != nil, "\(member)") }
        #expect(try mock.get("/sso/jwks/client_01KDVDZZZZZZZZZZZZZZZZZZZZ", authorized: false).status == 404)
    }
}

@Suite struct FaultTests {
    @Test func aOneShot500OnJWKSIsServedOnceThenNormalService() throws {
        let mock = try RunningIdP()
        let path = "/sso/jwks/\(mock.idp.configuration.clientID)"
        #expect(try mock.send("POST", "/_mock/faults", ["path": .string(path), "status": 500, "times": 1], authorized: false).status == 201)
        let first = try mock.get(path, authorized: false)
        #expect(first.status == 500)
        let second = try mock.get(path, authorized: false)
        #expect(second.status == 200)
        #expect(try second.json()["keys"]?.arrayValue?.isEmpty == false)
        #expect(mock.idp.journal.entries(.init(flag: .faultInjected)).count == 1)
    }

    @Test func droppedConnectionsAndPrefixRulesUntilCleared() throws {
        let mock = try RunningIdP()
        _ = try mock.send("POST", "/_mock/faults", ["path": "/user_management/*", "drop": true], authorized: false)
        for _ in 0..<2 {
            #expect(throws: HTTPClientError.self) { try mock.get("/user_management/users") }
        }
        #expect(try mock.get("/organizations").status == 200)
        #expect(try mock.client.send(ClientRequest(method: "DELETE", url: mock.base + "/_mock/faults")).status == 204)
        #expect(try mock.get("/user_management/users").status == 200)
    }
}

/// The faults that let the route answer and then change its answer (resilience scenarios).
@Suite struct AnswerShapingFaultTests {
    @Test func extraJWKSKeysComeFirstAndTheRealKeyStillVerifies() throws {
        let mock = try RunningIdP()
        let path = "/sso/jwks/\(mock.idp.configuration.clientID)"
        let plain = try #require(try mock.get(path, authorized: false).json()["keys"]?.arrayValue)
        #expect(
            try mock.send("POST", "/_mock/faults", ["path": "/sso/jwks/*", "jwks_extra_keys": 1000, "times": 1], authorized: false).status == 201)
        let padded = try mock.get(path, authorized: false).json()
        let keys = try #require(padded["keys"]?.arrayValue)
        #expect(keys.count == 1000 + plain.count)
        #expect(Array(keys.suffix(plain.count)) == plain)
        #expect(Set(keys.compactMap { $0["kid"]?.stringValue }).count == keys.count)
        // Every padding key parses as an RSA key, and a token of the real key verifies against the whole set.
        let verifier = try JWSVerifier(jwks: padded, allowedAlgorithms: [.rs256])
        let minted = try mock.send("POST", "/_mock/tokens", ["user": "alice"], authorized: false).json()
        _ = try verifier.verify(try #require(minted["access_token"]?.stringValue))
        #expect(try mock.get(path, authorized: false).json()["keys"]?.arrayValue?.count == plain.count)
    }

    @Test func paddingMakesTheAnswerThatMuchBigger() throws {
        let mock = try RunningIdP()
        let path = "/sso/jwks/\(mock.idp.configuration.clientID)"
        let plain = try mock.get(path, authorized: false)
        _ = try mock.send("POST", "/_mock/faults", ["path": .string(path), "pad_bytes": 5_242_880, "times": 1], authorized: false)
        let padded = try mock.get(path, authorized: false)
        #expect(padded.body.count == plain.body.count + 5_242_880)
        #expect(try padded.json()["keys"] == (try plain.json()["keys"]))
    }

    @Test func omittedMembersAndTruncatedBodies() throws {
        let mock = try RunningIdP()
        _ = try mock.send("POST", "/_mock/faults", ["path": "/user_management/users", "omit_members": ["data"], "times": 1], authorized: false)
        let omitted = try mock.get("/user_management/users").json()
        #expect(omitted["data"] == nil)
        #expect(omitted["list_metadata"] != nil)
        _ = try mock.send("POST", "/_mock/faults", ["path": "/user_management/users", "truncate_body": 40, "times": 1], authorized: false)
        let cut = try mock.get("/user_management/users")
        #expect(cut.status == 200)
        #expect(cut.body.count == 40)
        #expect(throws: JSONError.self) { try cut.json() }
        #expect(try mock.get("/user_management/users").json()["data"] != nil)
    }

    @Test func anAnswerShapingFaultStandsAlone() throws {
        let mock = try RunningIdP()
        let both = try mock.send("POST", "/_mock/faults", ["path": "/x", "status": 500, "truncate_body": 3], authorized: false)
        #expect(both.status == 422)
        #expect(both.bodyText.contains("one action"))
        #expect(try mock.send("POST", "/_mock/faults", ["path": "/x", "jwks_extra_keys": 20_001], authorized: false).status == 422)
        #expect(try mock.send("POST", "/_mock/faults", ["path": "/x", "omit_members": []], authorized: false).status == 422)
    }
}

@Suite struct ManagementAPITests {
    @Test func wrongOrMissingAPIKeyGets401() throws {
        let mock = try RunningIdP()
        #expect(try mock.get("/user_management/users", authorized: false).status == 401)
        let wrong = try mock.client.send(
            ClientRequest(method: "GET", url: mock.base + "/organizations", headers: ["Authorization": "Bearer sk_wrong"]))
        #expect(wrong.status == 401)
        #expect(try wrong.json()["code"] == "unauthorized")
    }

    // The keys the WorkOS Python SDK 10.x reads with data["…"] (its User, Organization and OrganizationMembership models).
    static let requiredUserKeys = [
        "object", "id", "first_name", "last_name", "profile_picture_url", "email", "email_verified", "external_id", "last_sign_in_at", "created_at",
        "updated_at", "metadata", "name", "locale",
    ]
    static let requiredOrgKeys = ["object", "id", "name", "domains", "metadata", "external_id", "created_at", "updated_at"]
    static let requiredMembershipKeys = [
        "object", "id", "user_id", "organization_id", "organization_name", "status", "directory_managed", "role", "roles", "custom_attributes",
        "user", "created_at", "updated_at",
    ]

    @Test func shapesCarryEveryRequiredKeyEvenWhenNull() throws {
        let mock = try RunningIdP()
        let created = try mock.send("POST", "/user_management/users", ["email": " New.Person@Example.TEST "])
        #expect(created.status == 201)
        let user = try created.json()
        for key in Self.requiredUserKeys { #expect(user[key] != nil, "user.\(key)") }
        #expect(user["email"] == "new.person@example.test")
        #expect(user["first_name"] == .null)
        #expect(created.headers["X-Request-ID"]?.hasPrefix("req_") == true)

        let org = try mock.json("/organizations/\(mock.org("acme").id)")
        for key in Self.requiredOrgKeys { #expect(org[key] != nil, "organization.\(key)") }
        for key in ["id", "organization_id", "domain", "created_at", "updated_at"] { #expect(org["domains"]?[0]?[key] != nil, "domain.\(key)") }

        let memberships = try mock.json("/user_management/organization_memberships?user_id=\(mock.user("carol").id)")
        #expect(memberships["object"] == "list")
        #expect(memberships["list_metadata"]?["before"] == .null)
        #expect(memberships["list_metadata"]?["after"] == .null)
        let data = try #require(memberships["data"]?.arrayValue)
        #expect(data.count == 2)
        for membership in data { for key in Self.requiredMembershipKeys { #expect(membership[key] != nil, "membership.\(key)") } }
        #expect(data.first?["user"]?["id"] == .string(mock.user("carol").id))
    }

    @Test func createIsIdempotentForDuplicatesAndValidates() throws {
        let mock = try RunningIdP()
        #expect(try mock.send("POST", "/user_management/users", ["email": "alice@acme.test"]).status == 409)
        #expect(try mock.send("POST", "/user_management/users", [:]).status == 422)
        let org = try mock.send(
            "POST", "/organizations",
            ["name": "New Co", "external_id": "9b2f3c4d-1e5a-4b6c-8d7e-0f1a2b3c4d5e", "domain_data": [["domain": "new.test", "state": "verified"]]])
        #expect(org.status == 201)
        // external_id must stay in the app's space.
        let mixed = try mock.send("POST", "/organizations", ["name": "Mixed", "external_id": .string(mock.org("acme").id)])
        #expect(mixed.status == 422)
    }

    @Test func paginationWalksEveryUserOnceWithCursors() throws {
        let mock = try RunningIdP()
        var seen: [String] = []
        var after: String?
        for _ in 0..<10 {
            let page = try mock.json("/user_management/users?limit=3" + (after.map { "&after=\($0)" } ?? ""))
            seen += page["data"]?.arrayValue?.compactMap { $0["id"]?.stringValue } ?? []
            after = page["list_metadata"]?["after"]?.stringValue
            if after == nil { break }
        }
        #expect(seen.count == mock.fixtures.users.count)
        #expect(Set(seen).count == seen.count)
        #expect(seen == seen.sorted(by: >))
    }

    @Test func membershipLifecycle() throws {
        let mock = try RunningIdP()
        let created = try mock.send(
            "POST", "/user_management/organization_memberships",
            ["user_id": .string(mock.user("grace").id), "organization_id": .string(mock.org("initech").id), "role_slug": "admin"])
        #expect(created.status == 201)
        let id = try #require(try created.json()["id"]?.stringValue)
        #expect(id.hasPrefix("om_"))
        #expect(try mock.send("PUT", "/user_management/organization_memberships/\(id)/deactivate", [:]).json()["status"] == "inactive")
        #expect(try mock.send("PUT", "/user_management/organization_memberships/\(id)/reactivate", [:]).json()["status"] == "active")
        #expect(try mock.send("PUT", "/user_management/organization_memberships/\(id)", ["role_slug": "member"]).json()["role"]?["slug"] == "member")
        let statuses = try mock.json("/user_management/organization_memberships?user_id=\(mock.user("frank").id)&statuses=active,inactive")
        #expect(statuses["data"]?.arrayValue?.count == 2)
        let repeated = try mock.json("/user_management/organization_memberships?user_id=\(mock.user("frank").id)&statuses=active&statuses=inactive")
        #expect(repeated["data"]?.arrayValue?.count == 2)
    }
}

/// The `/_mock` directory routes: the same create/update/delete as the management API, but
/// without an API key, with pinned IDs allowed, strict about body fields, and 204 on delete.
@Suite struct ControlDirectoryTests {
    @Test func usersAndOrganizationsAreCreatedUpdatedAndDeletedStrictly() throws {
        let mock = try RunningIdP(transport: .inProcess)
        for (path, body, update) in [
            ("/_mock/users", ["id": "user_01J000000000000000000000AB", "email": "pinned@example.test"], ["first_name": "Pinned"]),
            ("/_mock/organizations", ["id": "org_01J000000000000000000000AB", "name": "Pinned Inc"], ["name": "Pinned Ltd"]),
        ] as [(String, JSONValue, JSONValue)] {
            let created = try mock.send("POST", path, body, authorized: false)
            #expect(created.status == 201, "\(path): \(created.bodyText)")
            let id = try #require(try created.json()["id"]?.stringValue)
            #expect(id == body["id"]?.stringValue)
            #expect(try mock.send("PUT", "\(path)/\(id)", update, authorized: false).status == 200)
            let typo = try mock.send("PUT", "\(path)/\(id)", ["nmae": "x"], authorized: false)
            #expect(typo.status == 422 && typo.bodyText.contains("unknown field 'nmae'"), "\(typo.bodyText)")
            #expect(try mock.send("DELETE", "\(path)/\(id)", [:], authorized: false).status == 204)
            let gone = try mock.send("DELETE", "\(path)/\(id)", [:], authorized: false)
            #expect(gone.status == 404)
            #expect(try gone.json()["code"] == "entity_not_found", "\(gone.bodyText)")
            #expect(try mock.send("PUT", "\(path)/\(id)", update, authorized: false).status == 404)
        }
        let directory = try mock.json("/_mock/directory")
        #expect(directory["users"]?.arrayValue?.contains { $0["id"] == "user_01J000000000000000000000AB" } == false)
    }
}

/// A WorkOS route the mock does not implement says so (501, nearest route, journal flag)
/// instead of a 404 an app would read as "no such record".
@Suite struct UnimplementedRouteTests {
    @Test func anUnimplementedWorkOSRouteAnswers501WithTheNearestRouteAndAJournalFlag() throws {
        let mock = try RunningIdP()
        let invitations = try mock.get("/user_management/invitations?email=a@example.test")
        #expect(invitations.status == 501)
        let body = try invitations.json()
        #expect(body["code"] == "not_implemented")
        #expect(body["message"] == "not implemented by MockIdP: GET /user_management/invitations")
        #expect(body["nearest"]?.stringValue?.hasPrefix("GET /user_management/") == true, "\(invitations.bodyText)")
        let magic = try mock.send("POST", "/user_management/magic_auth", ["email": "a@example.test"])
        #expect(magic.status == 501 && magic.bodyText.contains("POST /user_management/magic_auth"), "\(magic.bodyText)")
        let reset = try mock.send("POST", "/user_management/password_reset/send", ["email": "a@example.test"])
        #expect(reset.status == 501)
        let userPath = try mock.get("/user_management/users/\(mock.user("grace").id)/auth_factors")
        #expect(userPath.status == 501)
        #expect(try userPath.json()["nearest"]?.stringValue?.contains("/user_management/users/{id}/") == true, "\(userPath.bodyText)")

        let flagged = try mock.json("/_mock/journal?flag=unimplemented")
        let entries = try #require(flagged["data"]?.arrayValue)
        #expect(
            entries.map { $0["path"]?.stringValue ?? "" } == [
                "/user_management/invitations", "/user_management/magic_auth", "/user_management/password_reset/send",
                "/user_management/users/\(mock.user("grace").id)/auth_factors",
            ])
        #expect(entries.first?["flags"]?[0]?["kind"] == "unimplemented")
        #expect(entries.first?["flags"]?[0]?["value"] == "GET /user_management/invitations")
    }

    @Test func unknownIDsOnImplementedRoutesAndPathsOutsideTheAPIStay404() throws {
        let mock = try RunningIdP()
        let missingUser = try mock.get("/user_management/users/user_01KDVDZZZZZZZZZZZZZZZZZZZZ")
        #expect(missingUser.status == 404)
        #expect(try missingUser.json()["code"] == "entity_not_found")
        #expect(try mock.get("/organizations/org_01KDVDZZZZZZZZZZZZZZZZZZZZ").status == 404)
        #expect(try mock.get("/favicon.ico").status == 404)
        #expect(try mock.get("/api/v1/things").status == 404)
        // A known path with another method is still a 405, not "not implemented".
        #expect(try mock.send("PATCH", "/user_management/users", [:]).status == 405)
        #expect(mock.idp.journal.entries(.init(flag: .unimplemented)).isEmpty)
        // A huge path is echoed cut, once.
        let long = String(repeating: "x", count: 4000)
        let huge = try mock.get("/user_management/\(long)")
        #expect(huge.status == 501 && huge.bodyText.utf8.count < 1500, "\(huge.bodyText.utf8.count) bytes")
    }
}

@Suite struct NotFoundEchoTests {
    @Test func aHugeUnknownUserIsEchoedCutNotTwiceInFull() throws {
        let mock = try RunningIdP()
        let huge = String(repeating: "u", count: 100 * 1024)
        let response = try mock.send("POST", "/_mock/tokens", ["user": .string(huge)], authorized: false)
        #expect(response.status == 404)
        #expect(response.body.count < 1024, "a \(response.body.count)-byte 404")
        #expect(try response.json()["entity_id"]?.stringValue?.hasSuffix("…[cut: \(huge.utf8.count) bytes]") == true)
        // An ordinary ID is echoed as it came, WorkOS's way.
        let missing = try mock.get("/user_management/users/user_01KDVDZZZZZZZZZZZZZZZZZZZZ")
        #expect(try missing.json()["entity_id"] == "user_01KDVDZZZZZZZZZZZZZZZZZZZZ")
    }
}
