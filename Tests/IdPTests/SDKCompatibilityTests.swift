import Foundation
import HTTP
import JOSE
import JSON
import TestSupport
import Testing

@testable import IdP

/// What every WorkOS SDK generation needs from the wire: unknown members tolerated (and
/// journaled), `sealed_session` when sealing is asked for, and `auth_time` in access tokens.
@Suite struct SDKCompatibilityTests {
    static let cookiePassword = "cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4="

    @Test func fernetMatchesTheSpecVector() throws {
        // The Fernet spec's generate vector (the cryptography package produces the same token).
        let key = try Fernet.Key(Self.cookiePassword)
        let token = try Fernet.seal(Array("hello".utf8), key: key, timestamp: 499_162_800, iv: Array(0..<16))
        #expect(token == "gAAAAAAdwJ6wAAECAwQFBgcICQoLDA0ODy021cpGVWKZ_eEwCGM4BLLF_5CV9dOPmrhuVUPgJobwOz7JcbmrR64jVmpU4IwqDA==")
        #expect(try Fernet.open(token, key: key) == Array("hello".utf8))
        var tampered = Array(token.utf8)
        tampered[20] = tampered[20] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        #expect(throws: JOSEError.self) { try Fernet.open(String(decoding: tampered, as: UTF8.self), key: key) }
        #expect(throws: JOSEError.self) { try Fernet.Key("too-short") }
    }

    /// The body the 5.x Python SDK sends: `{client_id, client_secret, **payload}` with `session`
    /// and a `null` for every unset option.
    func sdk5Body(_ mock: RunningIdP, code: String, extra: JSONObject = [:]) -> JSONValue {
        var body: JSONObject = [
            "client_id": .string(mock.clientID), "client_secret": .string(mock.apiKey), "code": .string(code),
            "grant_type": "authorization_code", "ip_address": .null, "user_agent": .null, "code_verifier": .null,
            "session": ["seal_session": true, "cookie_password": .string(Self.cookiePassword)], "invitation_token": .null,
        ]
        for member in extra { body[member.key] = member.value }
        return .object(body)
    }

    @Test func authenticateIgnoresUnknownMembersSealsWhenAskedAndJournalsWhatItIgnored() throws {
        let mock = try RunningIdP()
        let code = try mock.headlessCode("alice@acme.test")
        let response = try mock.send(
            "POST", "/user_management/authenticate",
            sdk5Body(mock, code: code, extra: ["mystery": ["nested": [1, 2]], "trace_id": "abc"]), authorized: false)
        #expect(response.status == 200, "\(response.bodyText)")
        let body = try response.json()
        let sealed = try #require(body["sealed_session"]?.stringValue)
        let opened = try JSONValue.parse(try Fernet.open(sealed, key: try Fernet.Key(Self.cookiePassword)))
        #expect(opened.objectValue?.keys == ["access_token", "refresh_token", "user"])
        #expect(opened["access_token"] == body["access_token"])
        #expect(opened["refresh_token"] == body["refresh_token"])
        #expect(opened["user"]?["id"] == .string(mock.user("alice").id))

        let entry = try #require(mock.idp.journal.entries(.init(method: "POST", pathPrefix: "/user_management/authenticate")).last)
        #expect(entry.unknownParameters == ["body mystery", "body trace_id"])
        #expect(entry.json["unknown_parameters"] == ["body mystery", "body trace_id"])

        // Refresh with the same request shape (what Session.refresh() sends) seals too.
        let refreshed = try mock.send(
            "POST", "/user_management/authenticate",
            [
                "grant_type": "refresh_token", "client_id": .string(mock.clientID), "client_secret": .string(mock.apiKey),
                "refresh_token": body["refresh_token"] ?? .null, "organization_id": .null,
                "session": ["seal_session": true, "cookie_password": .string(Self.cookiePassword)],
            ], authorized: false)
        #expect(refreshed.status == 200, "\(refreshed.bodyText)")
        let resealed = try #require(try refreshed.json()["sealed_session"]?.stringValue)
        #expect(
            try JSONValue.parse(try Fernet.open(resealed, key: try Fernet.Key(Self.cookiePassword)))["access_token"]
                == (try refreshed.json()["access_token"]))
    }

    @Test func noSealedSessionUnlessAskedAndBadSealingRequestsAreRefusedClearly() throws {
        let mock = try RunningIdP()
        let plain = try mock.login("alice@acme.test")
        #expect(plain["sealed_session"] == nil)

        let notAsked = try mock.send(
            "POST", "/user_management/authenticate",
            sdk5Body(mock, code: try mock.headlessCode("alice@acme.test"), extra: ["session": ["seal_session": false]]), authorized: false)
        #expect(notAsked.status == 200)
        #expect(try notAsked.json()["sealed_session"] == nil)

        let noPassword = try mock.send(
            "POST", "/user_management/authenticate",
            sdk5Body(mock, code: try mock.headlessCode("alice@acme.test"), extra: ["session": ["seal_session": true]]), authorized: false)
        try expectOAuthError(noPassword, "invalid_request", status: 400)
        #expect(noPassword.bodyText.contains("cookie_password"))

        let notFernet = try mock.send(
            "POST", "/user_management/authenticate",
            sdk5Body(
                mock, code: try mock.headlessCode("alice@acme.test"),
                extra: ["session": ["seal_session": true, "cookie_password": "a password of 32 characters!!!!!"]]), authorized: false)
        try expectOAuthError(notFernet, "invalid_request", status: 400)
        #expect(notFernet.bodyText.contains("Fernet"))

        // A documented member of the wrong type is still an error: only unknown ones are ignored.
        let wrongType = try mock.send(
            "POST", "/user_management/authenticate",
            sdk5Body(mock, code: "x", extra: ["code": ["not": "a string"]]), authorized: false)
        try expectOAuthError(wrongType, "invalid_request", status: 400)
        #expect(wrongType.bodyText.contains("code must be a string"))
    }

    @Test func managementRoutesIgnoreUnknownQueryAndBodyMembersAndJournalThem() throws {
        let mock = try RunningIdP()
        let list = try mock.get("/user_management/users?limit=2&expand=everything&statuses[]=x&organization_id=\(mock.org("acme").id)")
        #expect(list.status == 200, "\(list.bodyText)")
        let listEntry = try #require(mock.idp.journal.entries(.init(method: "GET", pathPrefix: "/user_management/users")).last)
        #expect(listEntry.unknownParameters == ["query expand", "query statuses[]"])

        let created = try mock.send(
            "POST", "/organizations", ["name": "Initrode", "color": ["r": 1], "domain_data": [["domain": "initrode.test", "state": "verified"]]])
        #expect(created.status == 201, "\(created.bodyText)")
        #expect(try created.json()["domains"]?[0]?["domain"] == "initrode.test")
        let createEntry = try #require(mock.idp.journal.entries(.init(method: "POST", pathPrefix: "/organizations")).last)
        #expect(createEntry.unknownParameters == ["body color"])

        let membership = try mock.send(
            "POST", "/user_management/organization_memberships",
            ["user_id": .string(mock.user("grace").id), "organization_id": .string(mock.org("acme").id), "idempotent": true])
        #expect(membership.status == 201, "\(membership.bodyText)")
        #expect(
            mock.idp.journal.entries(.init(method: "POST", pathPrefix: "/user_management/organization_memberships")).last?.unknownParameters == [
                "body idempotent"
            ])

        // Documented names are not listed, whatever their spelling (`domains[]`), and the control API is not journaled.
        _ = try mock.get("/organizations?domains[]=acme.test&limit=5&order=asc")
        #expect(mock.idp.journal.entries(.init(method: "GET", pathPrefix: "/organizations")).last?.unknownParameters == [])
    }

    @Test func accessTokensCarryAuthTimeFromTheLoginKeptAcrossRefreshes() throws {
        let mock = try RunningIdP()
        let login = try mock.login("alice@acme.test")
        let first = try mock.claims(try #require(login["access_token"]?.stringValue))
        let authTime = try #require(first["auth_time"]?.intValue)
        #expect(authTime == first["iat"]?.intValue)
        #expect(
            first.objectValue?.keys == [
                "iss", "sub", "org_id", "role", "roles", "permissions", "entitlements", "feature_flags", "sid", "jti", "exp", "iat", "auth_time",
            ])

        _ = try mock.send("POST", "/_mock/clock", ["advance": 120], authorized: false)
        let refreshed = try mock.refresh(try #require(login["refresh_token"]?.stringValue))
        #expect(refreshed.status == 200)
        let second = try mock.claims(try #require(try refreshed.json()["access_token"]?.stringValue))
        #expect(second["auth_time"]?.intValue == authTime)
        #expect(second["iat"]?.intValue == authTime + 120)

        // A user outside any organization has no org claims, but still auth_time.
        let grace = try mock.login("grace@example.test")
        let claims = try mock.claims(try #require(grace["access_token"]?.stringValue))
        #expect(claims.objectValue?.keys == ["iss", "sub", "sid", "jti", "exp", "iat", "auth_time"])
    }

    @Test func logoutWithoutReturnToGoesToTheLogoutRedirect() throws {
        func logoutLocation(_ configure: @escaping (inout IdPConfiguration) -> Void) throws -> (status: Int, location: String?) {
            let mock = try RunningIdP(configure)
            let sid = try mock.sessionID(try mock.login("alice@acme.test"))
            let response = try mock.get("/user_management/sessions/logout?session_id=\(sid)", authorized: false)
            return (response.status, response.headers["Location"])
        }
        let byDefault = try logoutLocation { $0.redirectURIs = ["https://app.example.test:8443/auth/callback", "https://other.test/cb"] }
        #expect(byDefault.status == 302)
        #expect(byDefault.location == "https://app.example.test:8443")
        let configured = try logoutLocation {
            $0.redirectURIs = ["https://app.example.test/cb"]
            $0.logoutRedirect = "https://app.example.test/bye"
        }
        #expect(configured.location == "https://app.example.test/bye")
        // Nothing configured: the signed-out page, as before.
        let none = try logoutLocation { _ in }
        #expect(none.status == 200)
        #expect(none.location == nil)
    }
}
