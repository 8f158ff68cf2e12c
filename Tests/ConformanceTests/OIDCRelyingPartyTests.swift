import Foundation
import JSON
import TestSupport
import Testing

@testable import Conformance

/// Issue 22: `mockidp run` judges OpenID Connect relying parties in the id_token role. Two apps
/// nobody wrote for the runner's sake (Authlib's Flask client, mozilla-django-oidc), each correct
/// and with four seeded bugs, run as real processes against a real mock: the correct app passes
/// everything that applies, each bug fails exactly the scenarios that name it, and the verdicts
/// do not depend on the order the scenarios run in.
@Suite(.enabled(if: BuiltTool.path != nil, "the mockidp executable must be built (swift build)"))
struct OIDCRelyingPartyTests {
    struct App: CustomStringConvertible {
        let profile: String
        var description: String { profile }
    }

    static let authlib = App(profile: "oidc-rp-authlib.json")
    static let django = App(profile: "oidc-rp-django.json")

    /// The families of issue 22 this branch adds (oidc-logout and the bearer families live elsewhere).
    static let families = ["oidc-nonce", "oidc-claims", "oidc-userinfo", "oidc-refresh"]

    /// What each seeded bug must fail: the scenarios whose references.bugs name it.
    static let caught: [String: Set<String>] = [
        "nonce-not-checked": ["oidc-nonce.nonce-missing", "oidc-nonce.nonce-wrong", "oidc-nonce.nonce-from-earlier-login"],
        "aud-not-checked": ["oidc-claims.aud-wrong", "oidc-claims.aud-untrusted-extra"],
        "userinfo-sub-not-compared": ["oidc-userinfo.sub-mismatch"],
        "refresh-switches-user": ["oidc-refresh.sub-changed"],
        "refresh-issuer-not-checked": ["oidc-refresh.iss-changed"],
        "refresh-failure-ignored": ["oidc-refresh.rotated-token-reused"],
    ]

    /// The app's profile with `{profile_dir}` filled in and its environment changed, in a temporary file.
    static func profile(_ app: App, environment: [String: String] = [:]) throws -> URL {
        let folder = Interop.root.appendingPathComponent("Tests/interop").path
        var text = try String(contentsOfFile: folder + "/" + app.profile, encoding: .utf8)
        var bug = ""
        var additions = ""
        for (name, value) in environment.sorted(by: { $0.key < $1.key }) {
            if name == "OIDC_RP_BUG" { bug = value } else { additions += ", \"\(name)\": \"\(value)\"" }
        }
        text = text.replacingOccurrences(of: "\"OIDC_RP_BUG\": \"\"", with: "\"OIDC_RP_BUG\": \"\(bug)\"" + additions)
        return try BuiltTool.temporaryFile(app.profile, text.replacingOccurrences(of: "{profile_dir}", with: folder))
    }

    static func run(_ app: App, environment: [String: String] = [:], _ arguments: [String] = []) throws -> (
        BuiltTool.Result, AnyAppTests.Report
    ) {
        let file = try profile(app, environment: environment)
        defer { try? FileManager.default.removeItem(at: file) }
        let (result, report) = try AnyAppTests.run(["--target", file.path] + arguments)
        return (result, try #require(report, "no JSON report: \(result.stdout)\n\(result.stderr)"))
    }

    @Test(.enabled(if: Virtualenv.oidc.enabled, Comment(rawValue: Virtualenv.oidc.skipReason)), arguments: [authlib, django])
    func theCorrectAppPassesTheWholeSuite(_ app: App) throws {
        let (result, report) = try Self.run(app)
        #expect(result.status == 0, "\(result.stdout)")
        #expect(report.summary["failed"] == 0 && report.summary["errors"] == 0, "\(report.summary)")
        // Every scenario of the new families applies to an id_token-role app with a probe and refresh, and passes.
        let mine = report.scenarios.filter { scenario in Self.families.contains { scenario["family"]?.stringValue == $0 } }
        #expect(mine.count == 18)
        for scenario in mine {
            #expect(scenario["verdict"] == "pass", "\(scenario["id"] ?? .null): \(scenario["verdict"] ?? .null) \(scenario["reason"] ?? .null)")
        }
        // The forgeries of the token family reach it as the id_token, and are refused.
        #expect(report.verdict("token.forgery.bad-signature.kid-published") == "pass")
        #expect(report.verdict("session.expired-access-token-refreshed") == "pass")
        let forged = try #require(report.scenarios.first { $0["id"] == "oidc-claims.aud-wrong" }?["transcript"]?.arrayValue)
        #expect(forged.contains { $0["url"]?.stringValue?.contains("/oauth2/authorize?") == true }, "the app's own OpenID Connect login")
    }

    @Test(
        .enabled(if: Virtualenv.oidc.enabled, Comment(rawValue: Virtualenv.oidc.skipReason)),
        arguments: [authlib, django], ["nonce-not-checked", "aud-not-checked", "userinfo-sub-not-compared", "refresh-switches-user"])
    func eachSeededBugIsCaughtByTheScenariosThatNameIt(_ app: App, _ bug: String) throws {
        let (result, report) = try Self.run(app, environment: ["OIDC_RP_BUG": bug], ["--filter", "oidc-"])
        #expect(result.status == 1, "\(result.stdout)")
        #expect(report.summary["errors"] == 0, "\(report.summary)")
        #expect(Set(report.ids("fail")) == Self.caught[bug], "\(bug): \(report.ids("fail"))")
        for id in report.ids("fail") {
            let named = report.scenarios.first { $0["id"]?.stringValue == id }?["references"]?["bugs"]?.arrayValue ?? []
            #expect(named.contains(.string(bug)), "\(id) fails for \(bug) but does not name it")
        }
        // The four id_token families' 18 scenarios, oidc-logout and web-authorize.oidc-nonce (the filter matches ids).
        #expect(report.ids("pass").count + report.ids("fail").count == 20, "\(report.summary)")
    }

    /// Refresh bugs seeded in the Authlib app only (one app shows the scenario catches them): a
    /// refresh parsed without the issuer check (the sub still compared) and a refused refresh
    /// taken for a blip. A refused refresh that keeps the old session is allowed when the
    /// refreshed token was forged (iss-changed, sub-changed), not once the provider ended it.
    @Test(
        .enabled(if: Virtualenv.oidc.enabled, Comment(rawValue: Virtualenv.oidc.skipReason)),
        arguments: ["refresh-issuer-not-checked", "refresh-failure-ignored"])
    func theAuthlibAppsRefreshBugsAreCaughtByTheScenarioNamingThem(_ bug: String) throws {
        let (result, report) = try Self.run(Self.authlib, environment: ["OIDC_RP_BUG": bug], ["--filter", "oidc-refresh"])
        #expect(result.status == 1, "\(result.stdout)")
        #expect(report.summary["errors"] == 0, "\(report.summary)")
        #expect(Set(report.ids("fail")) == Self.caught[bug], "\(bug): \(report.ids("fail"))")
    }

    @Test(.enabled(if: Virtualenv.oidc.enabled, Comment(rawValue: Virtualenv.oidc.skipReason)), arguments: [authlib, django])
    func verdictsDoNotDependOnTheOrder(_ app: App) throws {
        // A bug, so that the verdicts compared include failures.
        let bug = ["OIDC_RP_BUG": "aud-not-checked"]
        let (_, plain) = try Self.run(app, environment: bug, ["--filter", "oidc-"])
        #expect(plain.ids("fail").count == 2)
        for seed in ["11", "2026", "90210"] {
            let (result, shuffled) = try Self.run(app, environment: bug, ["--filter", "oidc-", "--shuffle", seed])
            #expect(shuffled.verdicts == plain.verdicts, "--shuffle \(seed): \(result.stdout)")
        }
    }

    @Test(.enabled(if: Virtualenv.oidc.enabled, Comment(rawValue: Virtualenv.oidc.skipReason)))
    func anUncheckedSignatureOnADirectIDTokenPassesWithANote() throws {
        let junit = FileManager.default.temporaryDirectory.appendingPathComponent("mockidp-\(UUID().uuidString).xml")
        defer { try? FileManager.default.removeItem(at: junit) }
        let (result, report) = try Self.run(
            Self.authlib, environment: ["OIDC_RP_TRUST_TLS": "1"], ["--filter", "token.forgery.bad-signature", "--junit", junit.path])
        #expect(result.status == 0, "\(result.stdout)")
        let scenario = try #require(report.scenarios.first { $0["id"] == "token.forgery.bad-signature.kid-published" })
        #expect(scenario["verdict"] == "pass")
        let note = scenario["reason"]?.stringValue ?? ""
        #expect(note.contains("OIDC Core §3.1.3.7 rule 6") && note.contains("accepted an id_token whose signature does not verify"), "\(note)")
        #expect(result.stdout.contains("PASS  token.forgery.bad-signature.kid-published") && result.stdout.contains("— note: "))
        let xml = try String(contentsOf: junit, encoding: .utf8)
        #expect(xml.contains("<property name=\"note\""))
        #expect(xml.contains("<property name=\"oidf\" value=\"oidcc-client-test-invalid-sig-rs256\"/>"))
        // The same app, checking signatures, refuses them: no note.
        let (_, strict) = try Self.run(Self.authlib, ["--filter", "token.forgery.bad-signature.kid-published"])
        #expect(strict.verdict("token.forgery.bad-signature.kid-published") == "pass")
        #expect(strict.scenarios.first?["reason"] == .null)
    }

    @Test func scenariosListShowsTheOIDFTestEachScenarioMirrors() throws {
        let result = try BuiltTool.run(["scenarios", "list", "--filter", "oidc-"])
        #expect(result.status == 0)
        for line in [
            "oidf: oidcc-client-test-nonce-invalid", "oidf: oidcc-client-test-invalid-aud", "oidf: oidcc-client-test-missing-aud",
            "oidf: oidcc-client-test-missing-iat", "oidf: oidcc-client-test-missing-sub", "oidf: oidcc-client-test-invalid-iss",
            "oidf: oidcc-client-test-kid-absent-single-jwks", "oidf: oidcc-client-test-kid-absent-multiple-jwks",
            "oidf: oidcc-client-test-userinfo-invalid-sub", "oidf: oidcc-client-test-refresh-token-invalid-sub",
            "oidf: oidcc-client-test-refresh-token-invalid-issuer",
        ] {
            #expect(result.stdout.contains(line), "\(line)")
        }
        #expect(result.stdout.contains("requires: code_flow, id_token_role"))
    }
}

@Suite struct TokenRoleProfileTests {
    func parse(_ callback: String) throws -> TargetProfile {
        try TargetProfile.parse(try JSONValue.parse(Array("{\"base_url\": \"http://127.0.0.1:1\", \"callback\": \(callback)}".utf8)), file: "p.json")
    }

    @Test func theDefaultRoleIsTheAccessTokenAndTheOIDCFamiliesDoNotApply() throws {
        let profile = try parse(#"{"shape": "code", "path": "/callback", "login_path": "/login"}"#)
        #expect(profile.codeFlow?.tokenRole == .accessToken)
        #expect(!profile.capabilities.contains(.idTokenRole))
        let idToken = try parse(#"{"shape": "code", "path": "/callback", "login_path": "/login", "token_role": "id_token"}"#)
        #expect(idToken.codeFlow?.tokenRole == .idToken)
        #expect(idToken.capabilities.contains(.idTokenRole))
    }

    @Test func aBadTokenRoleNamesTheFileAndField() {
        let cases = [
            (#"{"shape": "code", "path": "/cb", "login_path": "/login", "token_role": "both"}"#, "'both' is not access_token or id_token"),
            (#"{"shape": "code", "path": "/cb", "token_role": "id_token"}"#, "needs the app's login route"),
            (#"{"path": "/cb", "token_role": "id_token"}"#, "applies to \"shape\": \"code\" only"),
        ]
        for (callback, message) in cases {
            #expect {
                _ = try parse(callback)
            } throws: { error in
                let text = "\(error)"
                return text.contains("p.json") && text.contains("token_role") && text.contains(message)
            }
        }
    }

    @Test func aScenarioOfTheOIDCFamiliesIsNotApplicableToAnAccessTokenApp() throws {
        let scenarios = try ScenarioSuite.load(sources: Builtin.sourceName).scenarios.filter {
            // oidc-logout judges any app signed in through /oauth2/authorize, whatever token it verifies.
            $0.family.hasPrefix("oidc-") && $0.family != "oidc-logout"
        }
        #expect(scenarios.count == 18)
        let profile = try parse(#"{"shape": "code", "path": "/callback", "login_path": "/login"}"#)
        for scenario in scenarios {
            #expect(scenario.missingCapabilities(in: profile).contains("id_token_role"), "\(scenario.id)")
        }
    }
}
