import HTTP
import JOSE
import JSON
import Testing

@testable import IdP

/// The command vocabularies the runner and `/_mock` share, decoded by the types they describe,
/// and the authorize rules the route only renders.
@Suite struct DomainCommandTests {
    @Test func keyChangesDecodeEveryActionAndRefuseTheRest() throws {
        #expect(KeyRing.Change.actions == ["add", "remove", "replace", "activate", "publish-unparseable", "clear-unparseable"])
        for action in KeyRing.Change.actions {
            _ = try KeyRing.Change(action: action, kid: "k1", default: .rs256)
        }
        guard case .add(let fallback) = try KeyRing.Change(action: "add", kid: nil, default: .es256) else {
            Issue.record("add")
            return
        }
        #expect(fallback == .es256)
        guard case .add(let chosen) = try KeyRing.Change(action: "add", kid: nil, algorithm: "ES256", default: .rs256) else {
            Issue.record("add")
            return
        }
        #expect(chosen == .es256)
        guard case .activate(let kid) = try KeyRing.Change(action: "activate", kid: "k9", default: .rs256) else {
            Issue.record("activate")
            return
        }
        #expect(kid == "k9")
        for action in ["remove", "replace", "activate"] {
            #expect(throws: IdPError.invalidParameters("action '\(action)' needs a kid")) {
                try KeyRing.Change(action: action, kid: nil, default: .rs256)
            }
        }
        // One case, WorkOS's wire answer: 422 with code invalid_request_parameters.
        #expect(
            IdPError.invalidParameters("action 'x' needs a kid").response
                == .json(["code": "invalid_request_parameters", "message": "action 'x' needs a kid"], status: 422))
        #expect(throws: IdPError.self) { try KeyRing.Change(action: "add", kid: nil, algorithm: "HS256", default: .rs256) }
        #expect(throws: IdPError.self) { try KeyRing.Change(action: "rotate", kid: nil, default: .rs256) }
    }

    @Test func activateIsAChangeLikeTheOthers() throws {
        let idp = try MockIdP()
        let first = idp.keys.activeKey.kid
        let added = try #require(try idp.keys.apply(.add(algorithm: .rs256)))
        #expect(idp.keys.activeKey.kid == added.kid)
        #expect(try idp.keys.apply(.activate(kid: first)) == nil)
        #expect(idp.keys.activeKey.kid == first)
        #expect(idp.keys.summary["active_kid"] == .string(first))
        #expect(idp.keys.summary["published"]?.arrayValue?.count == 2)
        #expect(throws: IdPError.notFound(entity: "Signing key", id: "nope")) { try idp.keys.apply(.activate(kid: "nope")) }
    }

    @Test func userCommandsTakeAndReturnTypedValues() throws {
        let idp = try MockIdP()
        let created = try idp.createUser(
            NewUser(
                email: "typed@example.test",
                fields: {
                    var fields = UserChanges()
                    fields.firstName = "Ty"
                    fields.metadata = ["tier": "gold"]
                    return fields
                }()))
        #expect(created.id.hasPrefix("user_"))
        #expect(idp.directory.users[created.id] == created)
        #expect(created.firstName == "Ty" && created.metadata == ["tier": "gold"] && created.ref == nil)
        var clear = UserChanges()
        clear.firstName = .some(nil)
        clear.email = "typed2@example.test"
        let updated = try idp.updateUser(created.id, clear)
        #expect(updated.firstName == nil && updated.email == "typed2@example.test" && updated.metadata == ["tier": "gold"])
        #expect(try idp.user(created.id) == updated)
        #expect(throws: IdPError.conflict(code: "email_already_in_use", message: "A user with email 'typed2@example.test' already exists.")) {
            try idp.createUser(NewUser(email: "typed2@example.test"))
        }
        #expect(throws: IdPError.notFound(entity: "User", id: "user_nope")) { try idp.updateUser("user_nope", UserChanges()) }
    }

    @Test func theUserWireFormIsParsedAndRenderedByOneOwner() throws {
        let new = try NewUser(json: ["email": " Mixed@Example.TEST ", "first_name": nil, "email_verified": nil, "id": "user_x"])
        #expect(
            new
                == NewUser(
                    email: "mixed@example.test",
                    fields: {
                        var fields = UserChanges()
                        fields.firstName = .some(nil)
                        fields.emailVerified = true
                        return fields
                    }()), "the WorkOS API ignores a pinned id; null clears a name and reads as verified")
        #expect(throws: IdPError.invalidParameters("id 'user_x' is not of the form user_<ULID>")) {
            try NewUser(json: ["email": "a@b.test", "id": "user_x"], allowPinned: true)
        }
        #expect(throws: IdPError.invalidParameters("email 'nobody' is not an email address")) { try NewUser(json: ["email": "nobody"]) }
        #expect(throws: IdPError.invalidParameters("locale must be a string, got number")) {
            try UserChanges(json: ["locale": 5])
        }
        // Every field a body may set is one the answer carries, and the control API knows.
        let idp = try MockIdP()
        let alice = try #require(idp.directory.user(ref: "alice"))
        let answer = try #require(WorkOSShape.user(try idp.user(alice.id)).objectValue)
        for field in UserField.allCases where field != .password {
            #expect(answer[field.rawValue] != nil, "\(field.rawValue)")
        }
        #expect(answer["password"] == nil, "the answer never carries the password")
        #expect(ControlFields.user == UserField.names.union(["id", "ref"]))
    }

    @Test func organizationCommandsTakeAndReturnTypedValues() throws {
        let idp = try MockIdP()
        let created = try idp.createOrganization(
            NewOrganization(
                name: "Typed", metadata: ["tier": "gold"],
                domains: [NewDomain("typed.test"), NewDomain("pending.test", state: "pending")]))
        #expect(created.id.hasPrefix("org_") && created.ref == nil)
        #expect(idp.directory.organizations[created.id] == created)
        #expect(created.domains.map(\.domain) == ["typed.test", "pending.test"] && created.domains.map(\.state) == ["verified", "pending"])
        #expect(created.domains.allSatisfy { $0.id.hasPrefix("org_domain_") })
        var changes = OrganizationChanges()
        changes.name = "Typed Ltd"
        changes.externalID = .some("0b7e4a52-7a4f-4d3e-9a57-1d2e3f4a5b6c")
        changes.domains = []
        let updated = try idp.updateOrganization(created.id, changes)
        #expect(updated.name == "Typed Ltd" && updated.domains.isEmpty && updated.metadata == ["tier": "gold"])
        #expect(try idp.organization(externalID: "0b7e4a52-7a4f-4d3e-9a57-1d2e3f4a5b6c") == updated)
        var clear = OrganizationChanges()
        clear.externalID = .some(nil)
        #expect(try idp.updateOrganization(created.id, clear).externalID == nil)
        let acme = try #require(idp.directory.organization(ref: "acme"))
        #expect(throws: IdPError.conflict(code: "domain_already_exists", message: "The domain 'acme.test' belongs to another organization.")) {
            try idp.createOrganization(NewOrganization(name: "Copy", domains: [NewDomain("acme.test")]))
        }
        #expect(
            throws: IdPError.invalidParameters(
                "external_id '\(acme.id)' is an IdP ID; external_id holds the app's own ID "
                    + "(the mock refuses to mix the spaces)")
        ) {
            try idp.createOrganization(NewOrganization(name: "Mixed", externalID: acme.id))
        }
        #expect(throws: IdPError.notFound(entity: "Organization", id: "org_nope")) { try idp.updateOrganization("org_nope", OrganizationChanges()) }
        #expect(throws: IdPError.notFound(entity: "Organization", id: "org_nope")) { try idp.organization("org_nope") }
    }

    @Test func theOrganizationWireFormIsParsedAndRenderedByOneOwner() throws {
        let new = try NewOrganization(json: [
            "name": "Wire", "domain_data": [["domain": "A.test", "state": "pending"]], "domains": ["b.test"],
            "id": "org_x", "ref": "r", "metadata": nil,
        ])
        #expect(
            new == NewOrganization(name: "Wire", domains: [NewDomain("a.test", state: "pending")]),
            "domain_data wins over domains; the WorkOS API ignores a pinned id and ref; null metadata is empty")
        #expect(throws: IdPError.invalidParameters("id 'org_x' is not of the form org_<ULID>")) {
            try NewOrganization(json: ["name": "Wire", "id": "org_x"], allowPinned: true)
        }
        #expect(throws: IdPError.invalidParameters("name must be a string, got number")) { try NewOrganization(json: ["name": 5, "metadata": 3]) }
        var changes = OrganizationChanges()
        changes.domains = []
        changes.externalID = .some(nil)
        #expect(try OrganizationChanges(json: ["domain_data": nil, "external_id": nil]) == changes, "a null domain list clears the domains")
        #expect(throws: IdPError.invalidParameters("name is required")) { try OrganizationChanges(json: ["name": ""]) }
        // Every body field is one the control API knows and the journal documents; the answer carries all but domain_data.
        let idp = try MockIdP()
        let acme = try #require(idp.directory.organization(ref: "acme"))
        let answer = try #require(WorkOSShape.organization(acme).objectValue)
        for field in OrganizationField.allCases where field != .domainData { #expect(answer[field.rawValue] != nil, "\(field.rawValue)") }
        let domain = try #require(answer["domains"]?[0]?.objectValue)
        for field in OrganizationDomainField.allCases { #expect(domain[field.rawValue] != nil, "domains[0].\(field.rawValue)") }
        #expect(ControlFields.organization == OrganizationField.names.union(["id", "ref"]))
        #expect(KnownParameters.organizationFields.isSuperset(of: OrganizationField.names))
    }

    @Test func membershipCommandsTakeAndReturnTypedValues() throws {
        let idp = try MockIdP()
        let grace = try #require(idp.directory.user(ref: "grace"))
        let initech = try #require(idp.directory.organization(ref: "initech"))
        let created = try idp.createMembership(NewMembership(userID: grace.id, organizationID: initech.id))
        #expect(created.id.hasPrefix("om_") && created.roleSlugs == ["member"] && created.status == .active)
        #expect(try idp.membership(created.id) == created)
        let updated = try idp.updateMembership(created.id, MembershipChanges(roleSlugs: ["admin", "member"], status: .inactive))
        #expect(updated.roleSlugs == ["admin", "member"] && updated.status == .inactive && updated.primaryRole == "admin")
        let reactivated = try idp.createMembership(NewMembership(userID: grace.id, organizationID: initech.id, roleSlugs: ["owner"]))
        #expect(
            reactivated.id == created.id && reactivated.status == .active && reactivated.roleSlugs == ["owner"],
            "creating an inactive membership reactivates it")
        #expect(
            throws: IdPError.conflict(
                code: "organization_membership_already_exists",
                message: "The user is already a member of '\(initech.id)'.")
        ) {
            try idp.createMembership(NewMembership(userID: grace.id, organizationID: initech.id))
        }
        #expect(throws: IdPError.invalidParameters("role 'nope' does not exist")) {
            try idp.updateMembership(created.id, MembershipChanges(roleSlugs: ["nope"]))
        }
        #expect(throws: IdPError.notFound(entity: "User", id: "user_nope")) {
            try idp.createMembership(NewMembership(userID: "user_nope", organizationID: "org_nope", roleSlugs: ["nope"]))
        }
        #expect(try idp.setMembershipActive(created.id, false).status == .inactive)
        #expect(throws: IdPError.notFound(entity: "Organization membership", id: "om_nope")) { try idp.membership("om_nope") }
    }

    @Test func theMembershipWireFormIsParsedAndRenderedByOneOwner() throws {
        #expect(
            try NewMembership(json: ["user_id": "u", "organization_id": "o", "role_slugs": []])
                == NewMembership(userID: "u", organizationID: "o", roleSlugs: []))
        #expect(try NewMembership(json: ["user_id": "u", "organization_id": "o", "role_slug": nil]).roleSlugs == ["member"])
        #expect(throws: IdPError.invalidParameters("role_slug and role_slugs are mutually exclusive")) {
            try NewMembership(json: ["user_id": "u", "organization_id": "o", "role_slug": "a", "role_slugs": nil])
        }
        #expect(throws: IdPError.invalidParameters("status 'x' is not active, inactive or pending")) { try MembershipStatus(wire: "x") }
        let idp = try MockIdP()
        let membership = try #require(idp.directory.memberships.values.first)
        let answer = try #require(idp.answer(membership).objectValue)
        for field in [MembershipField.userID, .organizationID, .status] { #expect(answer[field.rawValue] != nil, "\(field.rawValue)") }
        #expect(ControlFields.membership == MembershipField.names)
        #expect(MembershipField.createNames == ["user_id", "organization_id", "role_slug", "role_slugs"])
        #expect(MembershipField.updateNames == ["role_slug", "role_slugs", "status"])
    }

    @Test func tokenRequestAndFaultRuleNameTheirFields() throws {
        #expect(TokenRequest.fields.contains("raw_payload"))
        #expect(throws: IdPError.self) { try TokenRequest(json: ["user": "alice", "expires": 5]) }
        let request = try TokenRequest(json: ["user": "alice", "sign": "none", "omit": ["sid"]])
        #expect(request.sign == .none)
        #expect(request.omit == ["sid"])
        #expect(
            FaultRule.fields == [
                "path", "method", "status", "body", "latency_ms", "drop", "times", "omit_members", "truncate_body", "jwks_extra_keys", "pad_bytes",
            ])
        let rule = try FaultRule(json: ["path": "/sso/jwks/*", "status": 503, "times": 2], id: "f1")
        #expect(rule.action == .respond(status: 503, body: nil))
        #expect(rule.remaining == 2)
    }

    @Test func authorizeDecidesAndTheRouteOnlyRenders() throws {
        let idp = try MockIdP()
        let client = idp.configuration.clientID
        func query(_ text: String) -> QueryParameters { QueryParameters(parsing: text) }
        guard case .errorPage(let title, _) = idp.authorize(query("redirect_uri=http://localhost/cb")) else {
            Issue.record("no client")
            return
        }
        #expect(title == "client_id is missing")
        guard case .errorPage(let notAllowed, _) = idp.authorize(query("client_id=\(client)&redirect_uri=https://evil.example/cb")) else {
            Issue.record("redirect allow-list")
            return
        }
        #expect(notAllowed == "redirect_uri is not allowed")
        guard case .redirect(let refused) = idp.authorize(query("client_id=\(client)&redirect_uri=http://localhost/cb&response_type=token&state=s"))
        else {
            Issue.record("response_type")
            return
        }
        #expect(refused.hasPrefix("http://localhost/cb?error=unsupported_response_type"))
        #expect(refused.hasSuffix("&state=s"))
        let headless =
            "client_id=\(client)&redirect_uri=http://localhost/cb&response_type=code&provider=authkit&login_hint=alice%40acme.test&mockidp_auto_approve=1"
        guard case .redirect(let withCode) = idp.authorize(query(headless)) else {
            Issue.record("headless")
            return
        }
        #expect(withCode.hasPrefix("http://localhost/cb?code="))
        let page = "client_id=\(client)&redirect_uri=http://localhost/cb&response_type=code&provider=authkit&screen_hint=sign-up"
        guard case .loginPage(let loginID, let login, let hint) = idp.authorize(query(page)) else {
            Issue.record("login page")
            return
        }
        #expect(hint == "sign-up")
        #expect(login.redirectURI == "http://localhost/cb")
        #expect(idp.storedLogin(loginID) != nil)
        guard case .errorPage(let unknownUser, _) = idp.completeLogin(loginID: loginID, userID: "user_nope", organizationID: nil) else {
            Issue.record("unknown user")
            return
        }
        #expect(unknownUser == "Unknown user")
        guard case .errorPage(let expired, _) = idp.completeLogin(loginID: "stale", userID: nil, organizationID: nil) else {
            Issue.record("expired")
            return
        }
        #expect(expired == "This sign-in page has expired")
    }
}
