import IdP

/// The names a scenario's steps bound as it runs (`as`, marks), with typed lookups that say which
/// step kind binds a missing name.
struct Bindings {
    var users: [String: User] = [:]
    var tokens: [String: MintedToken] = [:]
    /// What each token was minted from, so a code-flow login can bind it (and refreshes re-mint it).
    var tokenRequests: [String: TokenRequest] = [:]
    /// The `user` object the authenticate answer carries for a token, when it is not the token's own user.
    var userObjects: [String: String] = [:]
    /// Code-flow logins by token name: a second callback with the same token replays its URL.
    var browserLogins: [String: LoginDriver.BrowserLogin] = [:]
    /// The `nonce` of each id_token-role login's authorize request, by token name (`${t.nonce}`).
    var loginNonces: [String: String] = [:]
    /// Tokens another issuer signed (`mint` with `issuer: attacker`): in the id_token role that
    /// issuer signs the login's id_token too.
    var foreignIssuers: [String: AttackerIdP] = [:]
    /// Cookies saved by `cookies` steps, replayed by a probe in a fresh browser.
    var cookieSnapshots: [String: [CookieJar.Cookie]] = [:]
    var responses: [String: Captured] = [:]
    var responseLists: [String: [Captured]] = [:]
    var kids: [String: String] = [:]
    var marks: [String: Int] = [:]
    /// When each mark was set (monotonic nanoseconds), for allowances that grow with time.
    var markTimes: [String: UInt64] = [:]
    /// How many fresh users this scenario created, for their unique email addresses.
    var freshCounter = 0

    /// The response a step bound as `name`.
    func response(_ name: String) throws -> Captured {
        guard let response = responses[name] else { throw ScenarioStop.harness("expect: no response named '\(name)'") }
        return response
    }

    /// A token a mint step bound.
    func token(_ name: String, for use: String) throws -> MintedToken {
        guard let token = tokens[name] else { throw ScenarioStop.harness("\(use): no token '\(name)'") }
        return token
    }

    /// The journal position a mark step remembered.
    func mark(_ name: String, for use: String) throws -> Int {
        guard let sequence = marks[name] else { throw ScenarioStop.harness("\(use): no mark '\(name)'") }
        return sequence
    }
}
