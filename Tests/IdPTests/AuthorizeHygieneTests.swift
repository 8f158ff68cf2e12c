import HTTP
import TestSupport
import Testing

@testable import IdP

/// The journal flags each authorize request that leaves a login open (RFC 6749 §10.12, RFC 9700
/// §2.1, OpenID Connect Core §3.1.2.1), judged on the requests the mock really received.
@Suite struct AuthorizeHygieneTests {
    static func authorize(_ mock: RunningIdP, _ parameters: [(name: String, value: String)], path: String = "/user_management/authorize") throws
        -> [JournalFlag.Kind]
    {
        let base: [(name: String, value: String)] = [
            ("client_id", mock.idp.configuration.clientID), ("redirect_uri", "http://127.0.0.1:9/callback"), ("response_type", "code"),
            ("provider", "authkit"),
        ]
        _ = try mock.get(path + "?" + QueryParameters.encode(base + parameters), authorized: false)
        let entry = try #require(mock.idp.journal.entries(Journal.Filter(pathPrefix: path)).last)
        return entry.flags.map(\.kind)
    }

    static let challenge = String(repeating: "A", count: 43)

    @Test func neitherStateNorPKCEIsFlagged() throws {
        let mock = try RunningIdP()
        #expect(try Self.authorize(mock, []) == [.authorizeUnprotected])
        #expect(try Self.authorize(mock, [("code_challenge", Self.challenge), ("code_challenge_method", "S256")]) == [])
        #expect(try Self.authorize(mock, [("state", "Xk3_9vQ2mLp0Rt7wZb4nYc")]) == [])
    }

    /// Without PKCE a short state is guessable and a repeated one is reused; with PKCE state may
    /// be application state and neither is flagged (no false alarm).
    @Test func weakAndRepeatedStatesAreFlaggedOnlyWithoutPKCE() throws {
        let mock = try RunningIdP()
        #expect(try Self.authorize(mock, [("state", "login")]) == [.stateGuessable])
        #expect(try Self.authorize(mock, [("state", "login")]) == [.stateGuessable, .stateReused])
        let pkce = [("code_challenge", Self.challenge), ("code_challenge_method", "S256")]
        #expect(try Self.authorize(mock, [("state", "/dashboard")] + pkce) == [])
        #expect(try Self.authorize(mock, [("state", "/dashboard")] + pkce) == [])
    }

    @Test func anOpenIDLoginWithoutNonceOrPKCEIsFlagged() throws {
        let mock = try RunningIdP()
        let state = ("state", "Xk3_9vQ2mLp0Rt7wZb4nYcQ")
        #expect(try Self.authorize(mock, [state, ("scope", "openid email")], path: "/oauth2/authorize").contains(.nonceMissing))
        let withNonce = try Self.authorize(
            mock, [("state", "a8Jq2LmX0vPz7Rt5YwKb3n"), ("scope", "openid"), ("nonce", "n-0S6_WzA2Mj")], path: "/oauth2/authorize")
        #expect(!withNonce.contains(.nonceMissing))
    }

    @Test func aRedirectURIOtherThanTheRegisteredOneIsFlagged() throws {
        let mock = try RunningIdP()
        let state = ("state", "Xk3_9vQ2mLp0Rt7wZb4nYcQ")
        #expect(try Self.authorize(mock, [state]) == [])  // nothing registered: nothing to compare
        mock.idp.authorizeHygiene.register(redirectURIs: ["http://127.0.0.1:9/callback"])
        #expect(try Self.authorize(mock, [("state", "p0Rt7wZb4nYcQXk3_9vQ2mL")]) == [])
        mock.idp.authorizeHygiene.register(redirectURIs: ["http://127.0.0.1:9/auth/callback"])
        #expect(try Self.authorize(mock, [("state", "Zb4nYcQXk3_9vQ2mLp0Rt7w")]) == [.redirectURIUnregistered])
    }

    /// Length × log2(alphabet): the estimate each flag rests on.
    @Test(arguments: [
        ("12345678", 26), ("deadbeefdeadbeef", 64), ("login", 25), ("Xk3_9vQ2mLp0Rt7wZb4nYcQ", 138), ("a b", 19),
    ])
    func stateStrengthIsLengthTimesAlphabetBits(_ state: String, _ bits: Int) {
        #expect(Int(AuthorizeHygiene.estimatedBits(state)) == bits)
    }
}
