import HTTP
import JSON
import TestSupport
import Testing

@testable import IdP

/// The WorkOS SSO API over loopback, as the Python SDK 4.x drives it: authorize by
/// organization or connection, the code for a profile, the profile by bearer.
@Suite struct SSOTests {
    @Test func aCodeBecomesAProfileInTheIdPSpace() throws {
        let mock = try RunningIdP()
        let acme = mock.org("acme")
        let query = QueryParameters.encode([
            (name: "client_id", value: mock.clientID), (name: "redirect_uri", value: "http://localhost:5000/callback"),
            (name: "response_type", value: "code"), (name: "organization", value: acme.id), (name: "state", value: "sso"),
            (name: "login_hint", value: "alice"), (name: "mockidp_auto_approve", value: "1"),
        ])
        let redirect = try mock.redirectQuery(try mock.client.send(.get(mock.base + "/sso/authorize?" + query)))
        #expect(redirect["state"] == "sso")
        let code = try #require(redirect["code"])
        let fields = [
            (name: "client_id", value: mock.clientID), (name: "client_secret", value: mock.apiKey),
            (name: "grant_type", value: "authorization_code"), (name: "code", value: code),
        ]
        let token = try mock.client.send(ClientRequest(method: "POST", url: mock.base + "/sso/token", form: fields))
        #expect(token.status == 200, "\(token.bodyText)")
        let body = try token.json()
        let profile = try #require(body["profile"])
        #expect(body["token_type"] == "Bearer" && body["expires_in"]?.intValue != nil)
        for key in [
            "object", "id", "organization_id", "connection_id", "connection_type", "idp_id", "email", "first_name", "last_name", "name",
            "raw_attributes",
        ] {
            #expect(profile[key] != nil, "profile.\(key)")
        }
        #expect(profile["organization_id"] == .string(acme.id))
        #expect(IdPID.has(prefix: .connection, profile["connection_id"]?.stringValue ?? ""))
        #expect(profile["email"] == .string(mock.user("alice").email))
        let fetched = try mock.client.send(
            .get(mock.base + "/sso/profile", headers: ["Authorization": "Bearer \(body["access_token"]?.stringValue ?? "")"]))
        let fetchedProfile = try fetched.json()
        #expect(fetched.status == 200 && fetchedProfile == profile)
        let again = try mock.client.send(ClientRequest(method: "POST", url: mock.base + "/sso/token", form: fields))
        try expectOAuthError(again, "invalid_grant", status: 400)
        #expect(try mock.client.send(.get(mock.base + "/sso/profile", headers: ["Authorization": "Bearer nope"])).status == 401)
        // A user outside the connection's organization is turned away.
        let outsider = QueryParameters.encode([
            (name: "client_id", value: mock.clientID), (name: "redirect_uri", value: "http://localhost:5000/callback"),
            (name: "response_type", value: "code"), (name: "connection", value: "conn_01KDY0AQ3ACMESAM1000000001"),
            (name: "login_hint", value: "grace"), (name: "mockidp_auto_approve", value: "1"),
        ])
        #expect(try mock.redirectQuery(try mock.client.send(.get(mock.base + "/sso/authorize?" + outsider)))["error"] == "access_denied")
    }

    @Test func aProviderLoginThroughTheLoginPageHasNoOrganization() throws {
        let mock = try RunningIdP()
        let query = QueryParameters.encode([
            (name: "client_id", value: mock.clientID), (name: "redirect_uri", value: "http://localhost:5000/callback"),
            (name: "response_type", value: "code"), (name: "provider", value: "GoogleOAuth"), (name: "state", value: "g"),
        ])
        let page = try mock.client.send(.get(mock.base + "/sso/authorize?" + query))
        #expect(page.status == 200)
        let marker = "name=\"login\" value=\""
        let start = try #require(page.bodyText.range(of: marker)).upperBound
        let loginID = String(page.bodyText[start...].prefix { $0 != "\"" })
        let posted = try mock.client.send(
            ClientRequest(
                method: "POST", url: mock.base + "/user_management/authorize/complete",
                form: [("login", loginID), ("user_id", mock.user("grace").id)]))
        let redirect = try mock.redirectQuery(posted)
        #expect(redirect["state"] == "g" && redirect["iss"] == nil)
        let token = try mock.client.send(
            ClientRequest(
                method: "POST", url: mock.base + "/sso/token",
                json: [
                    "client_id": .string(mock.clientID), "client_secret": .string(mock.apiKey),
                    "grant_type": "authorization_code", "code": .string(redirect["code"] ?? ""),
                ]))
        let profile = try token.json()["profile"]
        #expect(token.status == 200, "\(token.bodyText)")
        #expect(profile?["organization_id"] == .null && profile?["connection_type"] == "GoogleOAuth")
        #expect(profile?["email"] == .string(mock.user("grace").email))
        let wrongSecret = try mock.client.send(
            ClientRequest(
                method: "POST", url: mock.base + "/sso/token",
                form: [
                    ("client_id", mock.clientID), ("client_secret", "sk_wrong"),
                    ("grant_type", "authorization_code"), ("code", "x"),
                ]))
        try expectOAuthError(wrongSecret, "invalid_client", status: 401)
    }

    @Test func anAppIDWhereTheOrganizationBelongsIsFlagged() throws {
        let mock = try RunningIdP()
        let acme = mock.org("acme")
        let query = QueryParameters.encode([
            (name: "client_id", value: mock.clientID), (name: "redirect_uri", value: "http://localhost:5000/callback"),
            (name: "response_type", value: "code"), (name: "organization", value: acme.externalID ?? ""),
        ])
        let redirect = try mock.redirectQuery(try mock.client.send(.get(mock.base + "/sso/authorize?" + query)))
        #expect(redirect["error"] == "invalid_request")
        let entry = mock.idp.journal.entries(.init(pathPrefix: "/sso/authorize")).last
        #expect(entry?.flags.contains { $0.kind == .idSpaceViolation && $0.reason == "app_id_in_idp_field" } == true, "\(entry?.flags ?? [])")
    }

    @Test func aProfileIsPerUserAndConnectionAndNeverTheUserID() throws {
        let mock = try RunningIdP()
        let alice = mock.user("alice")
        func profile(_ selector: (name: String, value: String)) throws -> JSONValue {
            let query = QueryParameters.encode([
                (name: "client_id", value: mock.clientID), (name: "redirect_uri", value: "http://localhost:5000/cb"),
                (name: "response_type", value: "code"), selector, (name: "login_hint", value: "alice"),
                (name: "mockidp_auto_approve", value: "1"),
            ])
            let code = try mock.redirectQuery(try mock.client.send(.get(mock.base + "/sso/authorize?" + query)))["code"] ?? ""
            let token = try mock.client.send(
                ClientRequest(
                    method: "POST", url: mock.base + "/sso/token",
                    form: [
                        ("client_id", mock.clientID), ("client_secret", mock.apiKey), ("grant_type", "authorization_code"), ("code", code),
                    ]))
            return try token.json()["profile"] ?? .null
        }
        let saml = try profile((name: "organization", value: mock.org("acme").id))
        let google = try profile((name: "provider", value: "GoogleOAuth"))
        let again = try profile((name: "connection", value: "acme-saml"))
        #expect(saml["id"] == again["id"], "stable per user and connection")
        #expect(saml["id"] != google["id"] && saml["idp_id"] != google["idp_id"])
        let userULID = String(alice.id.dropFirst("user_".count))
        for id in [saml["id"], google["id"]] {
            let text = id?.stringValue ?? ""
            #expect(text.hasPrefix("prof_") && !text.contains(userULID), "\(text)")
        }
    }
}
