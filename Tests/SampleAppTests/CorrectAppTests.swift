import Essentials
import HTTP
import IdP
import JSON
import SampleApp
import TestSupport
import Testing

/// The correct app: every scenario the conformance runner plays must pass against it.
@Suite struct CorrectAppTests {
    @Test func healthAnswersOK() throws {
        let harness = try Harness()
        let response = try harness.send("GET", "/health")
        #expect(response.status == 200)
        #expect(try response.json() == ["status": "ok"])
    }

    /// The app's tests call its responder in-process; this one proves both transports answer
    /// a login alike (the app reaches the mock over loopback either way).
    @Test(arguments: [Transport.inProcess, .loopback])
    func aLoginAnswersAlikeOverEitherTransport(_ transport: Transport) throws {
        let harness = try Harness(transport: transport)
        let carol = try harness.user("carol")
        let body = try harness.login(try harness.token("carol"))
        #expect(body["user"]?["idp_user_id"] == .string(carol.id))
        #expect(body["first_login"] == true)
        #expect(try harness.counts(carol.id) == [1, 1, 1])
    }

    @Test func firstLoginProvisionsOnceAndMapsOrganizationsThroughExternalID() throws {
        let harness = try Harness()
        // initech is left unseeded: carol is not in it, and seeding only part checks that
        // unknown organizations are skipped without failing the login.
        try harness.seedFixtureOrganizations(["acme", "globex"])
        let carol = try harness.user("carol")
        let body = try harness.login(try harness.token("carol"))

        #expect(body["user"]?["idp_user_id"] == .string(carol.id))
        #expect(body["user"]?["email"] == .string(carol.email))
        #expect(IDSpace.of(body["user"]?["id"]?.stringValue ?? "") == .app)
        #expect(IDSpace.of(body["workspace"]?["id"]?.stringValue ?? "") == .app)
        #expect(body["workspace_member"]?["role"] == "owner")
        #expect(body["default_api_key"]?["secret"]?.stringValue?.hasPrefix("ak_") == true)
        #expect(body["first_login"] == true)
        #expect(body["last_seen_at"]?.stringValue?.hasSuffix("Z") == true)

        let organizations = body["organizations"]?.arrayValue ?? []
        let roles = Dictionary(
            uniqueKeysWithValues: organizations.compactMap { entry -> (String, String)? in
                guard let id = entry["id"]?.stringValue, let role = entry["role"]?.stringValue else { return nil }
                return (id, role)
            })
        #expect(roles == [try harness.externalID("acme"): "member", try harness.externalID("globex"): "admin"])
        #expect(organizations.allSatisfy { IDSpace.of($0["idp_organization_id"]?.stringValue ?? "") == .idp })

        let state = try harness.introspect(carol.id)
        #expect(try harness.counts(carol.id) == [1, 1, 1])
        #expect(state["email"] == .string(carol.email))
        #expect(state["memberships"]?.arrayValue?.count == 2)
    }

    @Test func userWithoutLinkedOrganizationsLogsInWithNone() throws {
        let harness = try Harness()
        try harness.seedFixtureOrganizations()
        let grace = try harness.user("grace")
        let body = try harness.login(try harness.token("grace"))
        #expect(body["organizations"] == [])
        // Seeded nothing for erin's org: still a clean login with no membership.
        let other = try Harness()
        let erin = try other.login(try other.token("erin"))
        #expect(erin["organizations"] == [])
        #expect(try harness.counts(grace.id) == [1, 1, 1])
    }

    @Test func replayIsByteIdenticalAndANewTokenIsALaterLogin() throws {
        let harness = try Harness()
        let alice = try harness.user("alice")
        let token = try harness.token("alice")
        let first = try harness.callback(token)
        #expect(first.status == 200)
        harness.clock.advance(milliseconds: 5_000)
        let replay = try harness.callback(token)
        #expect(replay.status == 200)
        #expect(replay.body == first.body)
        #expect(try harness.counts(alice.id) == [1, 1, 1])

        let firstBody = try first.json()
        let later = try harness.login(try harness.token("alice"))
        #expect(later["first_login"] == false)
        #expect(later["default_api_key"] == .null)
        #expect(later["workspace"]?["id"] == firstBody["workspace"]?["id"])
        #expect(later["workspace_member"]?["id"] == firstBody["workspace_member"]?["id"])
        #expect(later["last_seen_at"] != firstBody["last_seen_at"])
        #expect(try harness.counts(alice.id) == [1, 1, 1])
    }

    @Test func replayWithSameJtiButDifferentEmailClaimDoesNotMutate() throws {
        let harness = try Harness()
        let bob = try harness.user("bob")
        let first = try harness.callback(try harness.token("bob", ["claims": ["jti": "01JSAMEJTI0000000000000000"]]))
        let second = try harness.callback(
            try harness.token(
                "bob",
                [
                    "claims": ["jti": "01JSAMEJTI0000000000000000", "urn:mockidp:email": "someone-else@evil.test"]
                ]))
        #expect(first.status == 200)
        #expect(second.body == first.body)
        #expect(try harness.introspect(bob.id)["email"] == .string(bob.email))
    }

    @Test func concurrentFirstLoginsProvisionExactlyOnce() throws {
        let harness = try Harness(transport: .loopback)
        let userID = try harness.newUser("race@example.test")
        let requests = try (0..<32).map { _ in harness.callbackRequest(try harness.token(userID)) }
        let results = harness.client.sendConcurrently(requests)
        var workspaceIDs = Set<String>()
        var memberIDs = Set<String>()
        var keys = 0
        for result in results {
            let response = try result.get()
            #expect(response.status == 200)
            let body = try response.json()
            workspaceIDs.insert(body["workspace"]?["id"]?.stringValue ?? "")
            memberIDs.insert(body["workspace_member"]?["id"]?.stringValue ?? "")
            if body["default_api_key"] != .null { keys += 1 }
        }
        #expect(workspaceIDs.count == 1)
        #expect(memberIDs.count == 1)
        #expect(keys == 1)
        #expect(try harness.counts(userID) == [1, 1, 1])
    }

    @Test func sameTokenConcurrentlyGetsIdenticalBodies() throws {
        let harness = try Harness(transport: .loopback)
        let userID = try harness.newUser("same-token@example.test")
        let token = try harness.token(userID)
        let results = harness.client.sendConcurrently(Array(repeating: harness.callbackRequest(token), count: 8))
        let bodies = try results.map { try $0.get().body }
        #expect(Set(bodies).count == 1)
        #expect(try harness.counts(userID) == [1, 1, 1])
    }

    /// (d): blank or non-string jti/sid are missing; two users never share a key.
    @Test func emptyAndNonStringTokenIDsAreRejectedForEveryUser() throws {
        let harness = try Harness()
        let variants: [JSONObject] = [
            ["claims": ["jti": ""], "omit": ["sid"]],
            ["claims": ["sid": ""], "omit": ["jti"]],
            ["claims": ["jti": "", "sid": ""]],
            ["claims": ["jti": " ", "sid": "\t"]],
            ["claims": ["jti": 0], "omit": ["sid"]],
            ["claims": ["jti": .null, "sid": .null]],
            ["claims": ["jti": [], "sid": false]],
            ["omit": ["jti", "sid"]],
        ]
        for variant in variants {
            for user in ["alice", "bob"] {
                let response = try harness.callback(try harness.token(user, variant))
                #expect(response.status == 401, "\(variant)")
                #expect(response.reason == "missing token_id or session_id", "\(variant)")
            }
        }
        #expect(try harness.counts(try harness.user("alice").id) == [0, 0, 0])
    }

    @Test func sentinelAndSharedTokenIDsStayPerUser() throws {
        let harness = try Harness()
        for jti in ["undefined", "null", "shared-legit-jti"] {
            let reset = try harness.send("POST", "/_test/reset")
            #expect(reset.status == 200)
            let a = try harness.login(try harness.token("alice", ["claims": ["jti": .string(jti)], "omit": ["sid"]]))
            let b = try harness.login(try harness.token("bob", ["claims": ["jti": .string(jti)], "omit": ["sid"]]))
            #expect(a["user"]?["idp_user_id"] == .string(try harness.user("alice").id))
            #expect(b["user"]?["idp_user_id"] == .string(try harness.user("bob").id))
            #expect(a["workspace"]?["id"] != b["workspace"]?["id"])
            #expect(b["default_api_key"] != .null)
            #expect(a["default_api_key"]?["secret"] != b["default_api_key"]?["secret"])
        }
        // A token without jti falls back to its sid.
        let bySid = try harness.callback(try harness.token("carol", ["omit": ["jti"]]))
        #expect(bySid.status == 200)
    }

    @Test(
        arguments: [
            ("none", ["sign": "none"]),
            ("NONE spelled in caps", ["sign": "none", "header": ["alg": "NONE"]]),
            ("bad signature", ["sign": "bad-signature"]),
            ("bad signature without kid", ["sign": "bad-signature", "omit_header": ["kid"]]),
            ("stripped signature", ["sign": "strip-signature"]),
            ("HS256 keyed with the public key", ["sign": "hs256-public-key"]),
            ("unknown key", ["sign": "unknown-key"]),
            ("embedded jwk", ["sign": "embedded-jwk"]),
            ("expired past the leeway", ["expires_in": -120]),
            ("not yet valid", ["not_before_in": 600]),
            ("issued in the future", ["issued_at_offset": 600]),
            ("wrong issuer", ["claims": ["iss": "https://evil.example"]]),
            ("no issuer", ["omit": ["iss"]]),
            ("no exp", ["omit": ["exp"]]),
            ("no sub", ["omit": ["sub"]]),
            ("empty sub", ["claims": ["sub": ""]]),
            ("string exp", ["claims": ["exp": "9999999999"]]),
        ] as [(String, JSONObject)])
    func forgedAndInvalidTokensAre401(_ name: String, _ mint: JSONObject) throws {
        let harness = try Harness { $0.jwksCooldownMilliseconds = 0 }
        let response = try harness.callback(try harness.token("alice", mint))
        #expect(response.status == 401, "\(name): \(response.bodyText)")
        #expect(try response.json()["error"] == "invalid_token")
        #expect(try harness.counts(try harness.user("alice").id) == [0, 0, 0])
    }

    @Test func es256IsAcceptedWhenTheJWKSHasECKeys() throws {
        let harness = try Harness(algorithm: .es256)
        #expect(try harness.callback(try harness.token("alice")).status == 200)
        #expect(try harness.callback(try harness.token("bob", ["sign": "none"])).status == 401)
        #expect(try harness.callback(try harness.token("carol", ["sign": "bad-signature"])).status == 401)
    }

    @Test func malformedBearersAre401() throws {
        let harness = try Harness()
        for token in ["abc", "a.b.c", "....", "eyJhbGciOiJSUzI1NiJ9.e30.", String(repeating: "x", count: 5000)] {
            let response = try harness.callback(token)
            #expect(response.status == 401, "\(token.prefix(30))")
        }
        let noBearer = try harness.send("POST", "/v1/auth/web/callback")
        #expect(noBearer.status == 401)
    }

    @Test func leewayToleratesSmallSkew() throws {
        let harness = try Harness()
        #expect(try harness.callback(try harness.token("alice", ["expires_in": -10])).status == 200)
        #expect(try harness.callback(try harness.token("bob", ["issued_at_offset": 10])).status == 200)
    }

    @Test func newKidIsFetchedAndRemovedKidStopsVerifyingAfterTheTTL() throws {
        let harness = try Harness {
            $0.jwksTTLMilliseconds = 150
            $0.jwksCooldownMilliseconds = 0
        }
        let oldKid = harness.idp.keys.activeKey.kid
        #expect(try harness.callback(try harness.token("alice")).status == 200)
        let oldToken = try harness.token("bob", ["kid": .string(oldKid)])

        let added = try harness.idpControl("POST", "/_mock/keys", ["action": "add"]).json()
        let newKid = added["kid"]?.stringValue ?? ""
        #expect(try harness.callback(try harness.token("carol", ["kid": .string(newKid)])).status == 200)

        try harness.idpControl("POST", "/_mock/keys", ["action": "remove", "kid": .string(oldKid)])
        let rejected = try harness.eventually { try harness.callback(oldToken).status == 401 }
        #expect(rejected)
        #expect(try harness.callback(try harness.token("dave")).status == 200)
    }

    @Test func removedKidIsRejectedOnceAnyRefetchHappened() throws {
        let harness = try Harness { $0.jwksCooldownMilliseconds = 0 }
        let oldKid = harness.idp.keys.activeKey.kid
        #expect(try harness.callback(try harness.token("alice")).status == 200)
        let oldToken = try harness.token("bob", ["kid": .string(oldKid)])
        let newKid = try harness.idpControl("POST", "/_mock/keys", ["action": "add"]).json()["kid"]?.stringValue ?? ""
        try harness.idpControl("POST", "/_mock/keys", ["action": "remove", "kid": .string(oldKid)])
        // The new kid forces a refetch, which drops the removed key.
        #expect(try harness.callback(try harness.token("carol", ["kid": .string(newKid)])).status == 200)
        #expect(try harness.callback(oldToken).status == 401)
    }

    @Test func sameKidReplacementIsPickedUpAfterTheTTL() throws {
        let harness = try Harness { $0.jwksTTLMilliseconds = 150 }
        let kid = harness.idp.keys.activeKey.kid
        #expect(try harness.callback(try harness.token("alice")).status == 200)
        try harness.idpControl("POST", "/_mock/keys", ["action": "replace", "kid": .string(kid)])
        let replaced = try harness.token("bob")
        let accepted = try harness.eventually { try harness.callback(replaced).status == 200 }
        #expect(accepted)
    }

    @Test func unknownKidsDoNotAmplifyIntoJWKSFetches() throws {
        let harness = try Harness { $0.jwksCooldownMilliseconds = 60_000 }
        #expect(try harness.callback(try harness.token("alice")).status == 200)
        let before = harness.app.jwksFetchCount
        // Validly signed, but under kids the JWKS never had (cheaper than minting new keys).
        for index in 0..<20 {
            #expect(try harness.callback(try harness.token("bob", ["header": ["kid": .string("random-kid-\(index)")]])).status == 401)
        }
        #expect(harness.app.jwksFetchCount - before <= 1)
    }

    @Test func jwksOutageKeepsCachedKeysAndNeverAnswers5xxForABadToken() throws {
        let harness = try Harness { $0.jwksTTLMilliseconds = 1 }
        #expect(try harness.callback(try harness.token("alice")).status == 200)
        try harness.idpControl("POST", "/_mock/faults", ["path": "/sso/jwks/*", "status": 500])
        #expect(try harness.callback(try harness.token("bob")).status == 200)
        #expect(try harness.callback(try harness.token("carol", ["sign": "bad-signature"])).status == 401)
    }

    @Test func userIDMismatchFromTheIdPIsRejected() throws {
        let harness = try Harness()
        let alice = try harness.user("alice")
        let bob = try harness.user("bob")
        try harness.idpControl(
            "POST", "/_mock/faults",
            [
                "path": "/user_management/users/*", "status": 200, "times": 1,
                "body": ["object": "user", "id": .string(bob.id), "email": .string(bob.email)],
            ])
        let response = try harness.callback(try harness.token("alice"))
        #expect(response.status == 401)
        #expect(response.reason == "user_id_mismatch")
        #expect(try harness.counts(alice.id) == [0, 0, 0])
        #expect(try harness.counts(bob.id) == [0, 0, 0])
        #expect(try harness.callback(try harness.token("alice")).status == 200)
    }

    @Test func emailClaimNeverLinksToAnotherUsersAccount() throws {
        let harness = try Harness()
        let alice = try harness.user("alice")
        let bob = try harness.user("bob")
        let victim = try harness.login(try harness.token("alice"))
        let attacker = try harness.login(try harness.token("bob", ["claims": ["urn:mockidp:email": .string(alice.email)]]))
        #expect(attacker["user"]?["idp_user_id"] == .string(bob.id))
        #expect(attacker["workspace"]?["id"] != victim["workspace"]?["id"])
        #expect(attacker["default_api_key"] != .null)
        #expect(try harness.introspect(alice.id)["email"] == .string(alice.email))
        #expect(try harness.counts(bob.id) == [1, 1, 1])
    }

    @Test func apiKeyFailureLeavesNothingAndTheNextLoginHeals() throws {
        let harness = try Harness()
        let alice = try harness.user("alice")
        let armed = try harness.send("POST", "/_test/faults", ["point": "api_key.create", "times": 1])
        #expect(armed.status == 201)
        let token = try harness.token("alice")
        let failed = try harness.callback(token)
        #expect(failed.status == 503)
        #expect(try failed.json()["error"] == "provisioning_failed")
        #expect(try harness.counts(alice.id) == [0, 0, 0])

        let healed = try harness.login(try harness.token("alice"))
        #expect(healed["default_api_key"]?["secret"]?.stringValue?.hasPrefix("ak_") == true)
        #expect(healed["first_login"] == true)
        #expect(try harness.counts(alice.id) == [1, 1, 1])
        // The failed token was not cached as a failure.
        #expect(try harness.callback(token).status == 200)
    }

    @Test func faultUntilClearedAndClearing() throws {
        let harness = try Harness()
        #expect(try harness.send("POST", "/_test/faults", ["point": "api_key.create"]).status == 201)
        #expect(try harness.callback(try harness.token("alice")).status == 503)
        #expect(try harness.callback(try harness.token("alice")).status == 503)
        #expect(try harness.send("DELETE", "/_test/faults").status == 204)
        #expect(try harness.callback(try harness.token("alice")).status == 200)
        #expect(try harness.send("POST", "/_test/faults", ["point": "nope"]).status == 400)
    }

    @Test func credentialWritesNeedOwnerOrAdminFromTheAppsOwnRows() throws {
        let harness = try Harness()
        try harness.seedFixtureOrganizations()
        let acme = try harness.externalID("acme")
        let globex = try harness.externalID("globex")
        for user in ["alice", "bob", "carol", "dave"] { _ = try harness.login(try harness.token(user)) }
        let path = "/v1/organizations/\(acme)/credentials"

        let memberCreate = try harness.send("POST", path, ["name": "ci"], token: try harness.token("carol"))
        #expect(memberCreate.status == 403)
        // A validly signed token claiming admin changes nothing: roles come from the app's rows.
        let forged = try harness.token("carol", ["organization": "acme", "claims": ["role": "admin", "roles": ["admin"]]])
        #expect(try harness.send("POST", path, ["name": "ci"], token: forged).status == 403)

        let adminCreate = try harness.send("POST", path, ["name": "ci"], token: try harness.token("bob"))
        #expect(adminCreate.status == 201)
        let created = try adminCreate.json()
        let credentialID = created["id"]?.stringValue ?? ""
        #expect(created["secret"]?.stringValue?.isEmpty == false)

        let listed = try harness.send("GET", path, token: try harness.token("carol"))
        #expect(listed.status == 200)
        #expect(try listed.json()["data"]?.arrayValue?.count == 1)

        #expect(try harness.send("DELETE", "\(path)/\(credentialID)", token: try harness.token("carol")).status == 403)
        #expect(try harness.send("POST", path, ["name": "x"], token: try harness.token("dave")).status == 404)
        #expect(try harness.send("GET", path, token: try harness.token("dave")).status == 404)
        #expect(try harness.send("POST", "/v1/organizations/\(globex)/credentials", ["name": "g"], token: try harness.token("carol")).status == 201)
        #expect(try harness.send("POST", path, ["name": "x"], token: try harness.token("grace")).status == 403)  // never logged in
        #expect(try harness.send("POST", path, ["name": "x"], token: try harness.token("alice", ["sign": "none"])).status == 401)

        #expect(try harness.send("DELETE", "\(path)/\(credentialID)", token: try harness.token("alice")).status == 204)
        #expect(try harness.send("GET", path, token: try harness.token("alice")).json()["data"] == [])
    }

    @Test func adversarialIDSpacesLinkTheRightTenant() throws {
        let harness = try Harness(idSpaces: .adversarial)
        // Seed every app org under its external_id, whatever it looks like.
        let organizations = harness.idp.directory.organizations.values.sorted { $0.id < $1.id }
        let entries: [JSONValue] = organizations.map { ["id": .string($0.externalID ?? ""), "name": .string($0.name)] }
        #expect(try harness.send("POST", "/_test/seed", ["organizations": .array(entries)]).status == 200)
        let b = organizations[1]
        // Someone whose only organization is B, so any other link is a wrong tenant.
        let directory = harness.idp.directory
        guard
            let user = directory.users.values.sorted(by: { $0.id < $1.id }).first(where: { user in
                directory.activeMemberships(userID: user.id).map(\.organizationID) == [b.id]
            })
        else { throw TestFailure("nobody is only in organization B") }
        let body = try harness.login(try harness.token(user.id))
        let linked = body["organizations"]?.arrayValue?.compactMap { $0["id"]?.stringValue } ?? []
        #expect(linked == [b.externalID ?? "?"])  // b.id would be A's external_id: the wrong tenant
    }

    @Test func resetClearsStateAndSeedIsIdempotent() throws {
        let harness = try Harness()
        try harness.seedFixtureOrganizations()
        try harness.seedFixtureOrganizations()
        let alice = try harness.user("alice")
        _ = try harness.login(try harness.token("alice"))
        #expect(try harness.send("POST", "/_test/reset").status == 200)
        #expect(try harness.counts(alice.id) == [0, 0, 0])
        #expect(try harness.login(try harness.token("alice"))["organizations"] == [])
        #expect(try harness.send("POST", "/_test/seed", ["organizations": [["name": "no id"]]]).status == 400)
    }

    @Test func testRoutesAreOffWithoutTestMode() throws {
        let harness = try Harness(testMode: false)
        #expect(try harness.send("GET", "/_test/introspect?idp_user_id=user_x").status == 404)
        #expect(try harness.send("POST", "/_test/reset").status == 404)
        #expect(try harness.callback(try harness.token("alice")).status == 200)
    }

    @Test func timestampsAreISO8601WithMilliseconds() {
        #expect(WallClock.iso8601(milliseconds: 0) == "1970-01-01T00:00:00.000Z")
        #expect(WallClock.iso8601(milliseconds: 1_700_000_000_123) == "2023-11-14T22:13:20.123Z")
        #expect(WallClock.iso8601(milliseconds: 951_782_400_007) == "2000-02-29T00:00:00.007Z")
    }

    @Test func configurationIsValidated() {
        var configuration = SampleAppConfiguration(
            idpBaseURL: "http://127.0.0.1:1/", clientID: "client_x", apiKey: "sk_x", issuer: "http://127.0.0.1:1")
        #expect(configuration.idpBaseURL == "http://127.0.0.1:1")
        configuration.leewaySeconds = 61
        #expect(throws: SampleAppConfigurationError.self) { try configuration.validate() }
        configuration.leewaySeconds = 30
        configuration.jwksTTLMilliseconds = 0
        #expect(throws: SampleAppConfigurationError.self) { try configuration.validate() }
    }
}

/// `/_test` resets and rewrites the app's tables: like `/_mock`, it answers only a loopback
/// `Host`, no foreign `Origin`, and bodies only as JSON (a cross-site `text/plain` POST needs no
/// preflight).
@Suite struct TestHookGuardTests {
    @Test func crossSiteAndRebindingRequestsToTestHooksAreRefused() throws {
        let harness = try Harness(transport: .loopback)
        let url = harness.appBase + "/_test/reset"
        let plain = try harness.client.send(ClientRequest(method: "POST", url: url, headers: ["Content-Type": "text/plain"], body: Array("{}".utf8)))
        #expect(plain.status == 415, "\(plain.status) \(plain.bodyText)")
        let rebound = try harness.client.send(ClientRequest(method: "POST", url: url, headers: ["Host": "attacker.example:80"]))
        #expect(rebound.status == 403, "\(rebound.status) \(rebound.bodyText)")
        let introspect = try harness.client.send(
            ClientRequest(
                method: "GET", url: harness.appBase + "/_test/introspect?idp_user_id=user_x",
                headers: ["Host": "attacker.example"]))
        #expect(introspect.status == 403)
        let foreign = try harness.client.send(ClientRequest(method: "POST", url: url, headers: ["Origin": "https://evil.test"]))
        #expect(foreign.status == 403, "\(foreign.status) \(foreign.bodyText)")
        // The runner's own requests: loopback Host, JSON or no body.
        #expect(try harness.send("POST", "/_test/reset").status == 200)
        #expect(try harness.send("POST", "/_test/faults", ["point": "api_key.create", "times": 1]).status == 201)
        #expect(try harness.client.send(ClientRequest(method: "POST", url: url, headers: ["Origin": "http://localhost:3000"])).status == 200)
    }
}
