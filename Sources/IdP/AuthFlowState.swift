/// Codes, refresh tokens and pending logins of the AuthKit flows. Lives inside `MockIdP.State`
/// so a flow step and the session it touches change under one lock.
struct AuthFlowState: Sendable {
    /// What `/user_management/authorize` remembered for the login page's POST, so the form only
    /// carries an opaque handle and the authorize parameters cannot be edited in the browser.
    struct LoginRequest: Sendable {
        var clientID: String
        var redirectURI: String
        var state: String?
        var codeChallenge: String?
        var organizationID: String?
        var loginHint: String?
        var authenticationMethod: String
        var impersonator: Impersonator?
        var expiresAt: Int64
        /// Set when the OpenID Connect or SSO authorize endpoint showed the page: the POST then
        /// issues that surface's code (OIDCAuthorize.swift).
        var surface: LoginSurface? = nil
    }

    struct AuthorizationCode: Sendable {
        var clientID: String
        var redirectURI: String
        var userID: String
        var organizationID: String?
        var codeChallenge: String?
        var authenticationMethod: String
        var impersonator: Impersonator?
        var expiresAt: Int64
        var used = false
        /// The session the first exchange created; a replay revokes it (RFC 6749 §4.1.2).
        var sessionID: String?
        /// The runner's scripted answer for this code, if any.
        var bound: BoundLogin?
    }

    struct RefreshToken: Sendable {
        var sessionID: String
        var authenticationMethod: String
        /// When it was first exchanged; it keeps working `refreshGraceSeconds` after that.
        var rotatedAt: Int64?
        /// Refreshes of a scripted login answer with the same token, minted again.
        var bound: BoundLogin?
    }

    /// A login that stopped at a 403 step (organization selection) and can be finished with its token.
    struct PendingAuthentication: Sendable {
        var userID: String
        var organizationIDs: [String]
        var authenticationMethod: String
        var impersonator: Impersonator?
        var expiresAt: Int64
    }

    var logins: [String: LoginRequest] = [:]
    var codes: [String: AuthorizationCode] = [:]
    var refreshTokens: [String: RefreshToken] = [:]
    var pending: [String: PendingAuthentication] = [:]
    /// Codes, refresh tokens and SSO profiles of the OpenID Connect and SSO surfaces.
    var oidc = OIDCFlowState()
    /// Tables are swept of dead entries when they reach this size, which then doubles, so a
    /// long-running mock stays bounded at amortized O(1) per insert.
    var sweepAt = 1024
}

/// A flow record that lives until `expiresAt` (set when it is stored).
protocol ExpiringFlowRecord: Sendable {
    var expiresAt: Int64 { get set }
}

extension AuthFlowState.LoginRequest: ExpiringFlowRecord {}
extension AuthFlowState.AuthorizationCode: ExpiringFlowRecord {}

/// Who is acting as the user in an impersonated session.
package struct Impersonator: Sendable, Equatable {
    package var email: String
    package var reason: String?

    package init(email: String, reason: String? = nil) {
        self.email = email
        self.reason = reason
    }
}
