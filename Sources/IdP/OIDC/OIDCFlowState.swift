import JSON

/// Which non-AuthKit authorize request a login page stands for.
enum LoginSurface: Sendable {
    case oidc(OIDCAuthorization)
    case sso(SSOAuthorization)
}

/// A checked `/oauth2/authorize` request: what the code it leads to is bound to.
struct OIDCAuthorization: Sendable {
    var clientID: String
    var redirectURI: String
    var state: String?
    var nonce: String?
    var scopes: [String]
    var codeChallenge: String?
    /// RFC 8707 `resource` values, absolute URIs.
    var resources: [String]
}

/// A checked `/sso/authorize` request.
struct SSOAuthorization: Sendable {
    var clientID: String
    var redirectURI: String
    var state: String?
    var connection: Connection
    var codeChallenge: String?
}

/// Codes, refresh tokens and SSO grants of the OpenID Connect and SSO surfaces. Part of
/// `AuthFlowState`, so a reset clears it and a step changes it under the same lock as the
/// sessions it touches.
struct OIDCFlowState: Sendable {
    struct Code: ExpiringFlowRecord {
        var request: OIDCAuthorization
        var userID: String
        var organizationID: String?
        var authTime: Int64
        var expiresAt: Int64
        var used = false
        /// The session the first exchange created; a replay ends it and with it every token it
        /// issued (RFC 6749 §4.1.2).
        var sessionID: String?
        /// The runner's scripted answer for this code (`bindAuthorizationCode`).
        var bound: BoundLogin?
    }

    /// One refresh token. A code exchange starts a family (its session); each use rotates to a
    /// new token of the family, and a used token presented again ends the family (RFC 9700 §4.14.2).
    struct RefreshToken: Sendable {
        var clientID: String
        var userID: String
        var sessionID: String
        var scopes: [String]
        var resources: [String]
        var authTime: Int64
        var used = false
        var expiresAt: Int64
    }

    struct SSOCode: ExpiringFlowRecord {
        var request: SSOAuthorization
        var userID: String
        var expiresAt: Int64
        var used = false
    }

    /// What `/sso/profile` answers for an SSO access token.
    struct SSOGrant: Sendable {
        var profile: JSONValue
        var expiresAt: Int64
    }

    var codes: [String: Code] = [:]
    var refreshTokens: [String: RefreshToken] = [:]
    var ssoCodes: [String: SSOCode] = [:]
    var ssoGrants: [String: SSOGrant] = [:]
    /// `jti`s of access tokens revoked one by one (RFC 7009), with their `exp`.
    var revokedTokenIDs: [String: Int64] = [:]
    var overrides: [TokenOverride] = []
    var sweepAt = 1024

    /// Drops dead records once a table reaches `sweepAt`, which then doubles: bounded memory at
    /// amortized O(1) per insert, as `AuthFlowState.sweepIfDue` does for the AuthKit tables.
    mutating func sweepIfDue(now: Int64) {
        let largest = max(codes.count, refreshTokens.count, ssoCodes.count, ssoGrants.count, revokedTokenIDs.count)
        guard largest >= sweepAt else { return }
        codes = codes.filter { now < $0.value.expiresAt + ($0.value.used ? 3600 : 0) }
        refreshTokens = refreshTokens.filter { now < $0.value.expiresAt }
        ssoCodes = ssoCodes.filter { now < $0.value.expiresAt }
        ssoGrants = ssoGrants.filter { now < $0.value.expiresAt }
        revokedTokenIDs = revokedTokenIDs.filter { now <= $0.value }
        sweepAt = max(1024, 2 * max(codes.count, refreshTokens.count, ssoCodes.count, ssoGrants.count, revokedTokenIDs.count))
    }
}
