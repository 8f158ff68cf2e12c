import Foundation
import HTTP
import IdP
import JOSE
import JSON
import TestSupport
import Testing

@testable import Conformance

/// The canary and the attacker IdP judged in isolation: each test fails when the rule it pins
/// is removed (a canary hit not counted as a failure, a harness problem taken for a verdict, the
/// attacker's token signed with the mock's key or for someone else).
@Suite struct AttackerCanaryTests {
    static func context(sides: SideServers) throws -> ScenarioContext {
        let profile = try TargetProfile.parse(
            try JSONValue.parse(#"{"base_url": "http://127.0.0.1:{app_port}", "callback": {"path": "/cb"}}"#), file: "p.json")
        return ScenarioContext(
            scenario: Scenario(file: "s.json", id: "a.b", family: "a", title: "t", steps: []), idp: try MockIdP(),
            app: AppTarget(profile: profile, placeholders: ["app_port": "1"]), sides: sides)
    }

    static let noHits = Expectation(subject: .canary(CanaryCheck()), because: nil, step: "steps[3]")

    @Test(arguments: [
        (#"{"callback": {"as": "r", "token": "t", "iss": "wrong"}}"#, "iss"),
        (#"{"callback": {"as": "r", "no_token": true, "iss": "missing"}}"#, "no_token"),
        (#"{"mint": {"as": "x", "user": "u", "issuer": "mock"}}"#, "issuer"),
        (#"{"expect": {"canary": {"count": 0, "path_prefix": "/x"}}}"#, "path_prefix"),
        (#"{"expect": {"canary": {"count": "none"}}}"#, "count"),
    ])
    func malformedAttackerAndCanaryStepsNameTheField(_ step: String, _ field: String) {
        let text = #"{"id": "t.x", "title": "t", "steps": [{"user": {"as": "u", "fresh": true}}, {"mint": {"as": "t", "user": "u"}}, "# + step + "]}"
        #expect {
            _ = try ScenarioLoader.parse(try JSONValue.parse(text), file: "t.json")
        } throws: { error in
            (error as? ConfigError).map { $0.field.hasSuffix(field) } ?? false
        }
    }

    @Test func aCanaryHitFromThisScenarioIsAFailureNamingTheHeaderAndTheFetch() throws {
        let canary = try Canary()
        defer { canary.stop() }
        let context = try Self.context(sides: SideServers(canary: .success(canary)))
        let evaluator = ExpectationEvaluator(context: context)
        #expect(try evaluator.failure(of: Self.noHits) == nil)

        // Another scenario's hit is not this one's.
        _ = try HTTPClient().send(ClientRequest(method: "GET", url: canary.baseURL + "/otherrun/jku/jwks.json"))
        #expect(try evaluator.failure(of: Self.noHits) == nil)

        let answer = try HTTPClient().send(ClientRequest(method: "GET", url: "\(canary.baseURL)/\(context.runID)/x5u/cert.pem"))
        #expect(answer.status == 404)
        let failure = try #require(try evaluator.failure(of: Self.noHits))
        #expect(failure.contains("expected 0, got 1"), "\(failure)")
        #expect(failure.contains("the x5u header led to GET /\(context.runID)/x5u/cert.pem"), "\(failure)")
    }

    @Test func aCanaryThatCouldNotStartIsAHarnessErrorNotAVerdict() throws {
        let context = try Self.context(sides: SideServers(canary: .failure(.init(message: "bind: address in use"))))
        #expect {
            _ = try ExpectationEvaluator(context: context).failure(of: Self.noHits)
        } throws: { error in
            guard case .harness(let message) = error as? ScenarioStop else { return false }
            return message.contains("canary listener could not start: bind: address in use")
        }
        #expect(throws: ScenarioStop.self) { _ = try context.resolveString("${canary.base_url}/${run}/jku") }
    }

    /// The attacker's token: the victim's `sub` and `email`, the attacker's issuer, a signature
    /// its own published JWKS (found through its discovery document, over HTTP) verifies and the
    /// mock's does not.
    @Test func theAttackerSignsForTheVictimWithKeysOnlyItPublishes() throws {
        let attacker = try AttackerIdP(seed: 7)
        defer { attacker.stop() }
        let mock = try MockIdP()
        let victim = try #require(mock.directory.user(ref: "alice"))
        let token = try attacker.mint(TokenRequest(user: victim.id), victim: victim).token

        let client = HTTPClient()
        let discovery = try client.send(ClientRequest(method: "GET", url: attacker.baseURL + "/.well-known/openid-configuration")).json()
        #expect(discovery["issuer"]?.stringValue == attacker.issuer)
        let jwksURI = try #require(discovery["jwks_uri"]?.stringValue)
        let jwks = try client.send(ClientRequest(method: "GET", url: jwksURI)).json()
        let claims = try JWSVerifier(jwks: jwks).verify(token).payload
        #expect(claims["sub"]?.stringValue == victim.id)
        #expect(claims["email"]?.stringValue == victim.email)
        #expect(claims["iss"]?.stringValue == attacker.issuer)
        #expect(attacker.issuer != mock.issuer)

        #expect(throws: JOSEError.self) { _ = try JWSVerifier(jwks: mock.keys.jwks).verify(token) }
        #expect(!mock.keys.publishedKeys.contains { $0.publicKey.spkiDER == attacker.idp.keys.activeKey.publicKey.spkiDER })
    }
}

/// The new families through the real `mockidp run` against the reference app: the correct app
/// passes, and the seeded bug each catches fails it for the stated reason.
@Suite(.enabled(if: BuiltTool.path != nil, "the mockidp executable must be built (swift build)"))
struct AttackerCanaryRunTests {
    @Test(arguments: [[], ["-t", "reference-web-app"]])
    func aJkuFetchFailsTheCanaryScenarioWithTheHeaderItCameFrom(_ shape: [String]) throws {
        let filter = ["--filter", "key-confusion.forgery.jku-canary"]
        #expect(try BuiltTool.run(["run"] + shape + filter).status == 0)
        let result = try BuiltTool.run(["run", "--app-arg=--bug=jku-followed"] + shape + filter)
        #expect(result.status == 1, "\(result.stdout)\n\(result.stderr)")
        #expect(result.stdout.contains("requests the app sent the runner's canary"), "\(result.stdout)")
        #expect(result.stdout.contains("the jku header led to GET /"), "\(result.stdout)")
    }

    @Test(arguments: [[], ["-t", "reference-web-app"]])
    func anotherIdPsTokenForTheVictimIsRefusedOnlyByTheCorrectApp(_ shape: [String]) throws {
        let filter = ["--filter", "attacker-idp.foreign-issuer"]
        #expect(try BuiltTool.run(["run"] + shape + filter).status == 0)
        let result = try BuiltTool.run(["run", "--app-arg=--bug=issuer-discovery-trusted"] + shape + filter)
        #expect(result.status == 1, "\(result.stdout)\n\(result.stderr)")
        #expect(result.stdout.contains("expected a refusal"), "\(result.stdout)")
    }

    /// RFC 9207: not applicable unless the profile declares it; declared, an app that ignores
    /// `iss` fails both mix-up scenarios and one that checks it (`--require-iss`) passes them.
    @Test func mixUpScenariosFollowTheDeclaredRFC9207Support() throws {
        let filter = ["--filter", "attacker-idp.mix-up"]
        let plain = try BuiltTool.run(["run", "-t", "reference-web-app", "--no-color"] + filter)
        #expect(plain.status == 0 && plain.stdout.contains("0 passed, 0 failed, 0 skipped, 2 not applicable"), "\(plain.stdout)")
        #expect(plain.stdout.contains("the profile offers no authorization_response_iss"), "\(plain.stdout)")

        let reference = Interop.root.appendingPathComponent("scenarios/targets/reference-web-app.json")
        let text = try String(contentsOf: reference, encoding: .utf8).replacingOccurrences(
            of: #""$schema": "../schema/target-profile.schema.json","#, with: "")
        let declared = text.replacingOccurrences(
            of: #""email_claim": "urn:mockidp:email""#, with: #""email_claim": "urn:mockidp:email", "authorization_response_iss": true"#)
        #expect(declared != text)
        for (checks, status) in [(false, Int32(1)), (true, Int32(0))] {
            let profile = try BuiltTool.temporaryFile(
                "rfc9207.json", checks ? declared.replacingOccurrences(of: #""--test-mode"]"#, with: #""--test-mode", "--require-iss"]"#) : declared)
            defer { try? FileManager.default.removeItem(at: profile) }
            let result = try BuiltTool.run(["run", "-t", profile.path, "--no-color"] + filter)
            #expect(result.status == status, "\(result.stdout)\n\(result.stderr)")
            #expect(result.stdout.contains(checks ? "2 passed, 0 failed" : "0 passed, 2 failed"), "\(result.stdout)")
        }
    }
}
