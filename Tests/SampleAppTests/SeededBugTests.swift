import HTTP
import IdP
import JSON
import SampleApp
import TestSupport
import Testing

/// Each `--bug` must be observable from outside, the way the conformance runner looks: the
/// same black-box check passes on the correct app (CorrectAppTests) and fails here.
@Suite struct SeededBugTests {
    @Test func everyBugHasACommandLineName() {
        #expect(SeededBug.applying(to: .api).count == 17)
        #expect(SeededBug(rawValue: "id-space-confusion") == .idSpaceConfusion)
        #expect(Set(SeededBug.allCases.map(\.rawValue)).count == SeededBug.allCases.count)
    }

    /// (a) Strict fixtures: IdP org IDs never equal app org IDs, so nothing links.
    @Test func idSpaceConfusionLinksNothingWithDisjointIDs() throws {
        let harness = try Harness(bug: .idSpaceConfusion)
        try harness.seedFixtureOrganizations()
        let body = try harness.login(try harness.token("carol"))
        #expect(body["organizations"] == [])
        #expect(try harness.introspect(try harness.user("carol").id)["memberships"] == [])
    }

    /// (a) Adversarial fixtures: A's external_id is B's IdP ID, so a member of B lands in A.
    @Test func idSpaceConfusionLandsInTheWrongTenantWithAdversarialIDs() throws {
        let harness = try Harness(bug: .idSpaceConfusion, idSpaces: .adversarial)
        let organizations = harness.idp.directory.organizations.values.sorted { $0.id < $1.id }
        let entries: [JSONValue] = organizations.map { ["id": .string($0.externalID ?? ""), "name": .string($0.name)] }
        #expect(try harness.send("POST", "/_test/seed", ["organizations": .array(entries)]).status == 200)
        let (a, b) = (organizations[0], organizations[1])
        let directory = harness.idp.directory
        guard
            let user = directory.users.values.sorted(by: { $0.id < $1.id }).first(where: { user in
                directory.activeMemberships(userID: user.id).map(\.organizationID) == [b.id]
            })
        else { throw TestFailure("nobody is only in organization B") }
        let body = try harness.login(try harness.token(user.id))
        let linked = body["organizations"]?.arrayValue?.compactMap { $0["id"]?.stringValue } ?? []
        #expect(linked == [a.externalID ?? "?"])
    }

    /// (b) A replay re-runs the login: a different body, a moved last_seen_at.
    @Test func unusedIdempotencyKeyMutatesOnReplay() throws {
        let harness = try Harness(bug: .unusedIdempotencyKey)
        let token = try harness.token("alice")
        let first = try harness.callback(token)
        harness.clock.advance(milliseconds: 5_000)
        let replay = try harness.callback(token)
        #expect(first.status == 200 && replay.status == 200)
        #expect(replay.body != first.body)
        #expect(try replay.json()["last_seen_at"] != first.json()["last_seen_at"])
        #expect(try replay.json()["default_api_key"] == .null)
    }

    /// (c) Concurrent first logins each create their own workspace.
    @Test func concurrentDuplicateProvisioningDuplicatesWorkspaces() throws {
        let harness = try Harness(transport: .loopback, bug: .concurrentDuplicateProvisioning)
        let userID = try harness.newUser("dup-race@example.test")
        let requests = try (0..<32).map { _ in harness.callbackRequest(try harness.token(userID)) }
        let results = harness.client.sendConcurrently(requests)
        let workspaceIDs = Set(try results.map { try $0.get().json()["workspace"]?["id"]?.stringValue ?? "" })
        #expect(workspaceIDs.count > 1)
        #expect(try harness.counts(userID)[0] > 1)
    }

    /// (d) Empty jti, no sid: one shared key, so B receives A's workspace and secret.
    @Test func emptySidJtiShareAKeyAcrossUsers() throws {
        let harness = try Harness(bug: .emptySidJtiAccepted)
        let a = try harness.login(try harness.token("alice", ["claims": ["jti": ""], "omit": ["sid"]]))
        let b = try harness.login(try harness.token("bob", ["claims": ["jti": ""], "omit": ["sid"]]))
        #expect(b["workspace"]?["id"] == a["workspace"]?["id"])
        #expect(b["default_api_key"]?["secret"] == a["default_api_key"]?["secret"])
        #expect(try harness.counts(try harness.user("bob").id) == [0, 0, 0])
        // Non-empty jti keeps working as before.
        #expect(try harness.callback(try harness.token("carol")).status == 200)
    }

    /// (e) A removed key stays trusted even after a refetch (the correct app drops it).
    @Test func jwksCachedForeverKeepsRemovedKeys() throws {
        let harness = try Harness(bug: .jwksCachedForever) {
            $0.jwksTTLMilliseconds = 1
            $0.jwksCooldownMilliseconds = 0
        }
        let oldKid = harness.idp.keys.activeKey.kid
        #expect(try harness.callback(try harness.token("alice")).status == 200)
        let oldToken = try harness.token("bob", ["kid": .string(oldKid)])
        let newKid = try harness.idpControl("POST", "/_mock/keys", ["action": "add"]).json()["kid"]?.stringValue ?? ""
        try harness.idpControl("POST", "/_mock/keys", ["action": "remove", "kid": .string(oldKid)])
        // New kids are still fetched on a miss...
        #expect(try harness.callback(try harness.token("carol", ["kid": .string(newKid)])).status == 200)
        // ...but the removed key still verifies, TTL or not.
        #expect(try harness.callback(oldToken).status == 200)
    }

    /// (e) A same-kid replacement is never picked up.
    @Test func jwksCachedForeverIgnoresSameKidReplacement() throws {
        let harness = try Harness(bug: .jwksCachedForever) {
            $0.jwksTTLMilliseconds = 1
            $0.jwksCooldownMilliseconds = 0
        }
        let kid = harness.idp.keys.activeKey.kid
        #expect(try harness.callback(try harness.token("alice")).status == 200)
        try harness.idpControl("POST", "/_mock/keys", ["action": "replace", "kid": .string(kid)])
        let fetches = harness.app.jwksFetchCount
        let response = try harness.callback(try harness.token("bob"))
        #expect(response.status == 401)
        #expect(harness.app.jwksFetchCount == fetches)  // a 1 ms TTL would have refetched
    }

    /// (f) The key failure leaves workspace and member; later logins never get a key.
    @Test func halfProvisionedMemberNeverGetsAKey() throws {
        let harness = try Harness(bug: .halfProvisionedMember)
        let alice = try harness.user("alice")
        #expect(try harness.send("POST", "/_test/faults", ["point": "api_key.create", "times": 1]).status == 201)
        #expect(try harness.callback(try harness.token("alice")).status == 503)
        #expect(try harness.counts(alice.id) == [1, 1, 0])
        let next = try harness.login(try harness.token("alice"))
        #expect(next["default_api_key"] == .null)
        #expect(next["first_login"] == false)
        #expect(try harness.counts(alice.id) == [1, 1, 0])
    }

    /// (g) With the email claim, the app user is found by email: account takeover.
    @Test func emailClaimResolvesAnotherUsersAccount() throws {
        let harness = try Harness(bug: .emailClaimSkipsMismatch)
        let alice = try harness.user("alice")
        let victim = try harness.login(try harness.token("alice"))
        let attacker = try harness.login(try harness.token("bob", ["claims": ["urn:mockidp:email": .string(alice.email)]]))
        #expect(attacker["workspace"]?["id"] == victim["workspace"]?["id"])
        #expect(try harness.counts(try harness.user("bob").id) == [0, 0, 0])
        // Without the claim the user_id_mismatch guard still runs.
        try harness.idpControl(
            "POST", "/_mock/faults",
            [
                "path": "/user_management/users/*", "status": 200, "times": 1,
                "body": ["object": "user", "id": .string(alice.id), "email": .string(alice.email)],
            ])
        #expect(try harness.callback(try harness.token("carol")).reason == "user_id_mismatch")
    }

    /// (h) A plain member can create and delete organization credentials.
    @Test func memberWritesOrganizationCredentials() throws {
        let harness = try Harness(bug: .memberWritesOrgCredentials)
        try harness.seedFixtureOrganizations()
        _ = try harness.login(try harness.token("carol"))
        _ = try harness.login(try harness.token("dave"))
        let path = "/v1/organizations/\(try harness.externalID("acme"))/credentials"
        let created = try harness.send("POST", path, ["name": "ci"], token: try harness.token("carol"))
        #expect(created.status == 201)
        let id = try created.json()["id"]?.stringValue ?? ""
        #expect(try harness.send("DELETE", "\(path)/\(id)", token: try harness.token("carol")).status == 204)
        // Non-members are still kept out.
        #expect(try harness.send("POST", path, ["name": "x"], token: try harness.token("dave")).status == 404)
    }

    @Test func algNoneIsAccepted() throws {
        let harness = try Harness(bug: .algNoneAccepted)
        #expect(try harness.callback(try harness.token("alice", ["sign": "none"])).status == 200)
        #expect(try harness.callback(try harness.token("bob", ["sign": "none", "header": ["alg": "nOnE"]])).status == 200)
        #expect(try harness.callback(try harness.token("carol", ["sign": "bad-signature"])).status == 401)
    }

    @Test func kidAbsentSkipsTheSignature() throws {
        let harness = try Harness(bug: .kidAbsentSkipsSignature)
        #expect(try harness.callback(try harness.token("alice", ["sign": "bad-signature", "omit_header": ["kid"]])).status == 200)
        #expect(try harness.callback(try harness.token("bob", ["sign": "unknown-key", "omit_header": ["kid"]])).status == 200)
        #expect(try harness.callback(try harness.token("carol", ["sign": "bad-signature"])).status == 401)
    }

    /// Invisible in the app's answers; the mock's journal flags the app's own org ID.
    @Test func appIDSentToIdPShowsOnlyInTheJournal() throws {
        let harness = try Harness(bug: .appIDSentToIdP)
        try harness.seedFixtureOrganizations()
        let body = try harness.login(try harness.token("carol"))
        #expect(body["organizations"]?.arrayValue?.count == 2)
        var filter = Journal.Filter()
        filter.flag = .idSpaceViolation
        let flagged = harness.idp.journal.entries(filter)
        #expect(flagged.contains { $0.path == "/organizations/" + ((try? harness.externalID("acme")) ?? "?") }, "\(flagged.map(\.path))")
    }

    /// Different users, released together: some answers carry another user's workspace.
    @Test func responseFromSharedVariableMixesUpConcurrentUsers() throws {
        let harness = try Harness(transport: .loopback, bug: .responseFromSharedVariable)
        let requests = try (0..<8).map { index in harness.callbackRequest(try harness.token(try harness.newUser("shared-\(index)@example.test"))) }
        let results = harness.client.sendConcurrently(requests)
        let workspaceIDs = Set(try results.map { try $0.get().json()["workspace"]?["id"]?.stringValue ?? "" })
        #expect(workspaceIDs.count < 8)
    }

    /// One key in the rows, but its one-time secret in several answers.
    @Test func secretResentToRacersHandsTheSecretOutManyTimes() throws {
        let harness = try Harness(transport: .loopback, bug: .secretResentToRacers)
        let userID = try harness.newUser("racer@example.test")
        let requests = try (0..<8).map { _ in harness.callbackRequest(try harness.token(userID)) }
        let answers = try harness.client.sendConcurrently(requests).map { try $0.get().json() }
        #expect(answers.filter { $0["default_api_key"]?["secret"]?.stringValue != nil }.count > 1)
        #expect(Set(answers.compactMap { $0["workspace"]?["id"]?.stringValue }).count == 1)
        #expect(try harness.counts(userID) == [1, 1, 1])
    }

    @Test func issuerIsNotChecked() throws {
        let harness = try Harness(bug: .issuerNotChecked)
        #expect(try harness.callback(try harness.token("alice", ["claims": ["iss": "https://evil.example"]])).status == 200)
        #expect(try harness.callback(try harness.token("bob", ["expires_in": -3600])).status == 401)
    }

    @Test func expiryIsNotChecked() throws {
        let harness = try Harness(bug: .expiryNotChecked)
        #expect(try harness.callback(try harness.token("alice", ["expires_in": -3600])).status == 200)
        #expect(try harness.callback(try harness.token("bob", ["not_before_in": 3600])).status == 200)
        #expect(try harness.callback(try harness.token("carol", ["claims": ["iss": "https://evil.example"]])).status == 401)
    }

    /// A second IdP on loopback signs for alice's `sub`; `iss` is the app's own issuer and the
    /// header's `jku` names the second IdP's JWKS. Only an app that follows `jku` finds the key.
    @Test func jkuFollowedTrustsTheKeysTheHeaderNames() throws {
        let harness = try Harness(bug: .jkuFollowed)
        let other = try OtherIdP()
        let token = try other.token(
            for: try harness.user("alice"), claims: ["iss": .string(harness.idp.issuer)], header: ["jku": .string(other.idp.baseURL + "/oauth2/jwks")]
        )
        #expect(try harness.callback(token).status == 200)
        #expect(other.idp.journal.entries(Journal.Filter(pathPrefix: "/oauth2/jwks")).count == 1)
        let correct = try Harness()
        #expect(try correct.callback(token).status == 401)
        #expect(other.idp.journal.entries(Journal.Filter(pathPrefix: "/oauth2/jwks")).count == 1, "the correct app fetched the jku")
    }

    /// A second IdP on loopback signs for alice's `sub` under its own issuer; the app looks that
    /// issuer's discovery document up and trusts the keys it names.
    @Test func issuerDiscoveryTrustedSignsInWithAnotherIdPsToken() throws {
        let harness = try Harness(bug: .issuerDiscoveryTrusted)
        let other = try OtherIdP()
        let token = try other.token(for: try harness.user("alice"))
        let answer = try harness.callback(token)
        #expect(answer.status == 200)
        #expect(try answer.json()["user"]?["idp_user_id"] == .string(try harness.user("alice").id))
        #expect(other.idp.journal.entries(Journal.Filter(pathPrefix: "/.well-known/openid-configuration")).count == 1)
        let correct = try Harness()
        #expect(try correct.callback(token).status == 401)
    }
}

/// Another issuer on loopback, with keys of its own, as the runner's attacker IdP is.
final class OtherIdP {
    let idp: MockIdP
    private let server: IdPServer

    init() throws {
        var configuration = IdPConfiguration()
        configuration.keysDirectory = "generate"
        idp = try MockIdP(configuration: configuration)
        server = IdPServer(idp: idp)
        try server.start(host: "127.0.0.1", port: 0)
    }

    deinit { server.stop() }

    /// Signed by this IdP for `victim`'s `sub` and `email` (a user of another IdP).
    func token(for victim: User, claims: JSONObject = [:], header: JSONObject = [:]) throws -> String {
        let own = try #require(idp.directory.user(ref: "alice"))
        var request = TokenRequest(user: own.id)
        request.claims = ["sub": .string(victim.id), "email": .string(victim.email)]
        for member in claims { request.claims[member.key] = member.value }
        request.header = header
        return try idp.mintToken(request).token
    }
}
