import Foundation
import JSON
import Testing

@testable import Conformance

/// The session-cookie rules (OWASP ASVS V3.4, RFC 6265bis) on Set-Cookie headers as written:
/// each rule fails the header that breaks it and passes the one that keeps it, so removing a
/// rule's check fails its test.
@Suite struct SessionCookieJudgeTests {
    static let good = "app_session=abcdefgh12345678; Path=/; Max-Age=3600; HttpOnly; SameSite=Lax"

    func judge(_ rule: SessionCookieRule, _ headers: [String], host: String = "127.0.0.1", urls: [String] = []) -> String? {
        let hops = [Captured.Hop(url: "http://127.0.0.1:8080/callback?code=c&state=s", setCookies: headers, location: "/")]
        return SessionCookieJudge.failure(rule, SessionCookieJudge.sessionCookies(hops, names: nil), appHost: host, urls: urls)
    }

    @Test func aHardenedCookiePassesEveryRuleButSecure() {
        for rule in SessionCookieRule.allCases where rule != .secure { #expect(judge(rule, [Self.good]) == nil, "\(rule)") }
        #expect(judge(.secure, [Self.good])?.contains("no Secure") == true)
        #expect(judge(.secure, [Self.good + "; Secure"]) == nil)
    }

    @Test func httpOnlyIsRequired() {
        let reason = judge(.httpOnly, ["app_session=abcdefgh12345678; Path=/; SameSite=Lax"])
        #expect(reason?.contains("no HttpOnly") == true)
    }

    @Test(arguments: [
        ("app_session=v12345678; HttpOnly", "no SameSite"),
        ("app_session=v12345678; HttpOnly; SameSite=None", "without Secure"),
        ("app_session=v12345678; HttpOnly; SameSite=Sometimes", "not Lax, Strict or None"),
    ])
    func sameSiteMustBeWrittenAndSound(_ header: String, _ expected: String) {
        #expect(judge(.sameSite, [header])?.contains(expected) == true)
    }

    @Test func sameSiteNoneWithSecureAndStrictPass() {
        #expect(judge(.sameSite, ["app_session=v12345678; HttpOnly; SameSite=None; Secure"]) == nil)
        #expect(judge(.sameSite, ["app_session=v12345678; HttpOnly; samesite=strict"]) == nil)
    }

    @Test func aParentDomainIsWiderThanTheApp() {
        #expect(judge(.domain, [Self.good + "; Domain=example.com"], host: "app.example.com")?.contains("wider") == true)
        #expect(judge(.domain, [Self.good + "; Domain=.app.example.com"], host: "app.example.com") == nil)
    }

    @Test func theSessionValueInAURLFails() {
        let reason = judge(.notInURL, [Self.good], urls: ["http://127.0.0.1:8080/home?sid=abcdefgh12345678"])
        #expect(reason?.contains("appears in a URL") == true)
        #expect(judge(.notInURL, [Self.good], urls: ["http://127.0.0.1:8080/home"]) == nil)
    }

    /// A cookie the callback clears (the login cookie) and a CSRF token are not the session:
    /// judging them would be a false alarm.
    @Test func clearedAndCSRFCookiesAreNotTheSession() {
        let headers = [
            "app_login=; Path=/; Max-Age=0", "csrftoken=readable1234; Path=/; SameSite=Lax",
            "old=x; Expires=Thu, 01 Jan 1970 00:00:00 GMT", Self.good,
        ]
        let hops = [Captured.Hop(url: "http://127.0.0.1/callback", setCookies: headers, location: nil)]
        #expect(SessionCookieJudge.sessionCookies(hops, names: nil).map(\.name) == ["app_session"])
        #expect(SessionCookieJudge.sessionCookies(hops, names: ["csrftoken"]).map(\.name) == ["csrftoken"])
        #expect(judge(.httpOnly, headers) == nil)
    }

    /// The last Set-Cookie of a name along the chain wins: set at the callback, cleared after.
    @Test func theLastSetCookieOfANameWins() {
        let hops = [
            Captured.Hop(url: "http://127.0.0.1/callback", setCookies: ["s=abcdefgh12345678; SameSite=Lax"], location: "/next"),
            Captured.Hop(url: "http://127.0.0.1/next", setCookies: ["s=; Max-Age=0"], location: nil),
        ]
        #expect(SessionCookieJudge.sessionCookies(hops, names: nil).isEmpty)
    }

    /// `session_cookies` in a profile: the names judged and whether Secure is required; a bad list names the field.
    @Test func theProfileNamesTheSessionCookies() throws {
        func profile(_ extra: String) throws(ConfigError) -> TargetProfile {
            let text = #"{"base_url": "http://127.0.0.1:1", "callback": {"shape": "code", "path": "/cb", "login_path": "/login"}, "# + extra + "}"
            guard let value = try? JSONValue.parse(Array(text.utf8)) else { throw ConfigError(file: "p.json", field: "", message: "json") }
            return try TargetProfile.parse(value, file: "p.json")
        }
        let named = try profile(#""session_cookies": {"names": ["sid"], "production_https": true}"#)
        #expect(named.sessionCookies.names == ["sid"] && named.sessionCookies.productionHTTPS)
        #expect(try profile(#""probe": {"path": "/me"}"#).sessionCookies.names == nil)
        #expect {
            _ = try profile(#""session_cookies": {"names": []}"#)
        } throws: { error in (error as? ConfigError)?.field.hasSuffix("names") == true }
        #expect {
            _ = try profile(#""session_cookies": {"name": ["sid"]}"#)
        } throws: { error in error is ConfigError }
    }
}
