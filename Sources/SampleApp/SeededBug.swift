/// One known auth bug the reference app can re-introduce (`--bug NAME`), each as it appeared in
/// a real code base (README.md, "Seeded bugs", lists the scenarios that catch each). The
/// conformance runner must catch every one.
package enum SeededBug: String, Sendable, CaseIterable {
    /// (a) Membership sync compares IdP organization IDs with app organization IDs.
    case idSpaceConfusion = "id-space-confusion"
    /// (b) The idempotency key is computed and never used: a replay re-runs the login.
    case unusedIdempotencyKey = "unused-idempotency-key"
    /// (c) Check-then-insert with the lock released in between: concurrent first logins duplicate.
    case concurrentDuplicateProvisioning = "concurrent-duplicate-provisioning"
    /// (d) `typeof`-style jti/sid presence; empty jti falls back to a key shared by every user.
    case emptySidJtiAccepted = "empty-sid-jti-accepted"
    /// (e) JWKS cached forever: keys once seen stay trusted, same-kid replacements are ignored.
    case jwksCachedForever = "jwks-cached-forever"
    /// (f) Workspace and member saved before the API key; a key failure leaves them behind.
    case halfProvisionedMember = "half-provisioned-member"
    /// (g) With the email claim present, the app user is resolved by email (account takeover).
    case emailClaimSkipsMismatch = "email-claim-skips-mismatch"
    /// (h) Organization credential writes check membership, not role.
    case memberWritesOrgCredentials = "member-writes-org-credentials"
    /// `alg: none` with an empty signature is accepted.
    case algNoneAccepted = "alg-none-accepted"
    /// `iss` is not compared.
    case issuerNotChecked = "issuer-not-checked"
    /// `exp` and `nbf` are not checked.
    case expiryNotChecked = "expiry-not-checked"
    /// A token whose header has no `kid` is trusted without checking its signature ("no kid,
    /// so it cannot be one of the IdP's rotated keys" — the branch that was never finished).
    case kidAbsentSkipsSignature = "kid-absent-skips-signature"
    /// Organization names are "refreshed" with `GET /organizations/{app org id}`: the app's own ID
    /// goes to the IdP, which answers 404, and the error is swallowed. Nothing else changes, so
    /// only the IdP's journal shows it (the id_space_violation flag).
    case appIDSentToIdP = "app-id-sent-to-idp"
    /// The answer is read back from a module-level "last login" variable after the lock is
    /// released, so concurrent logins of different users may each get another user's answer.
    case responseFromSharedVariable = "response-from-shared-variable"
    /// "Is this a first login?" is decided before the lock, so every one of several concurrent
    /// first logins of one user is handed the one-time API key secret (one key, many copies).
    case secretResentToRacers = "secret-resent-to-racers"

    // Web shape only (markers in WebRoutes.swift and WebSessionResolver.swift).

    /// The callback ignores `state`: login CSRF.
    case stateNotChecked = "state-not-checked"
    /// Every page builds the IdP logout URL from `sid`; a token without one answers 500.
    case missingSidCrashes = "missing-sid-crashes"
    /// A JWKS fetch failure escapes as a 500 instead of a refused sign-in.
    case jwksOutageCrashes = "jwks-outage-crashes"
    /// A `kid` missing from the cached JWKS is a 500 (no refetch, no refusal).
    case unknownKidCrashes = "unknown-kid-crashes"
    /// The session cookie value from before the login keeps working after it: fixation.
    case sessionNotRotated = "session-not-rotated"
    /// `return_to` may be any URL, so the login ends on another origin.
    case openRedirectAfterLogin = "open-redirect-after-login"
    /// A refused refresh (revoked session) is treated as transient: the session lives on.
    case refreshIgnoresRevocation = "refresh-ignores-revocation"
    /// The signed-in session cookie is set without HttpOnly: scripts can read it.
    case sessionCookieNotHTTPOnly = "session-cookie-not-httponly"
    /// Logout ends the app's own session only: the IdP session and its refresh token live on.
    case logoutKeepsIdPSession = "logout-keeps-idp-session"
    /// No PKCE, and the same short `state` on every login.
    case constantState = "constant-state"
    /// Refreshes of one session are not serialized: two tabs refresh with the same refresh
    /// token at once, and the one that stores second hits a "session changed" conflict: 500.
    case concurrentRefreshCrashes = "concurrent-refresh-crashes"

    // Both shapes, after the web ones (markers in TokenVerifier.swift).

    /// A token header's `jku` is fetched and its keys trusted: SSRF and key injection.
    case jkuFollowed = "jku-followed"
    /// A token from an issuer the app was not configured with is verified with the keys that
    /// issuer's own discovery document names ("multi-tenant support"): any IdP signs anyone in.
    case issuerDiscoveryTrusted = "issuer-discovery-trusted"

    /// The app shapes the bug can be seeded into.
    package var shapes: Set<SampleAppShape> {
        switch self {
        case .idSpaceConfusion, .concurrentDuplicateProvisioning, .emptySidJtiAccepted, .jwksCachedForever,
            .issuerNotChecked, .expiryNotChecked, .jkuFollowed, .issuerDiscoveryTrusted:
            return [.api, .web]
        case .unusedIdempotencyKey, .halfProvisionedMember, .emailClaimSkipsMismatch, .memberWritesOrgCredentials, .algNoneAccepted,
            .kidAbsentSkipsSignature, .appIDSentToIdP, .responseFromSharedVariable, .secretResentToRacers:
            return [.api]
        case .stateNotChecked, .missingSidCrashes, .jwksOutageCrashes, .unknownKidCrashes, .sessionNotRotated,
            .openRedirectAfterLogin, .refreshIgnoresRevocation, .sessionCookieNotHTTPOnly, .logoutKeepsIdPSession, .constantState,
            .concurrentRefreshCrashes:
            return [.web]
        }
    }

    /// The bugs that can be seeded into `shape`, in declaration order.
    package static func applying(to shape: SampleAppShape) -> [SeededBug] {
        allCases.filter { $0.shapes.contains(shape) }
    }
}
