import Foundation
import TestSupport
import Testing

@testable import Conformance

/// The web-cookies, web-authorize, web-session and oidc-logout scenarios through the real
/// `mockidp run` against the reference web app: the correct app passes (or is not applicable,
/// with a reason), and each new seeded bug fails exactly the scenarios written for it. Removing a
/// cookie rule from SessionCookieJudge, a flag from AuthorizeHygiene or the idp_session check
/// turns one of these verdicts.
@Suite(.enabled(if: BuiltTool.path != nil, "the mockidp executable must be built (swift build)"))
struct WebHygieneVerdictsTests {
    /// web-cookies, web-authorize and every logout scenario (web-session's two and oidc-logout's).
    static func verdicts(_ extra: [String]) throws -> [String: String] {
        var all: [String: String] = [:]
        for family in ["web-cookies", "web-authorize", "logout"] {
            all.merge(try VerdictsTests.verdicts(["-t", "reference-web-app", "-f", family] + extra)) { first, _ in first }
        }
        return all
    }

    @Test func theCorrectWebAppPassesOrIsNotApplicable() throws {
        let verdicts = try Self.verdicts([])
        #expect(verdicts.count == 13, "\(verdicts)")
        #expect(
            verdicts.filter { $0.value == "not_applicable" }.keys.sorted() == [
                "oidc-logout.rp-initiated-logout", "web-authorize.oidc-nonce", "web-cookies.secure",
            ])
        #expect(verdicts.values.allSatisfy { $0 == "pass" || $0 == "not_applicable" }, "\(verdicts)")
    }

    @Test(arguments: [
        ("session-cookie-not-httponly", ["web-cookies.http-only"]),
        ("logout-keeps-idp-session", ["web-session.logout-ends-idp-session"]),
        ("constant-state", ["web-authorize.state-fresh", "web-authorize.state-unguessable"]),
    ])
    func eachBugFailsItsScenarios(_ bug: String, _ expected: [String]) throws {
        let verdicts = try Self.verdicts(["--app-arg=--bug=\(bug)"])
        #expect(verdicts.filter { $0.value == "fail" }.keys.sorted() == expected, "\(verdicts)")
    }
}
