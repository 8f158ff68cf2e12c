import Essentials
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

    /// The app shapes the bug can be seeded into.
    package var shapes: Set<SampleAppShape> {
        switch self {
        case .idSpaceConfusion, .concurrentDuplicateProvisioning, .emptySidJtiAccepted, .jwksCachedForever,
             .issuerNotChecked, .expiryNotChecked:
            return [.api, .web]
        case .unusedIdempotencyKey, .halfProvisionedMember, .emailClaimSkipsMismatch, .memberWritesOrgCredentials, .algNoneAccepted,
             .kidAbsentSkipsSignature, .appIDSentToIdP, .responseFromSharedVariable, .secretResentToRacers:
            return [.api]
        case .stateNotChecked, .missingSidCrashes, .jwksOutageCrashes, .unknownKidCrashes, .sessionNotRotated,
             .openRedirectAfterLogin, .refreshIgnoresRevocation:
            return [.web]
        }
    }

    /// The bugs that can be seeded into `shape`, in declaration order.
    package static func applying(to shape: SampleAppShape) -> [SeededBug] {
        allCases.filter { $0.shapes.contains(shape) }
    }
}

/// How the reference app signs users in.
package enum SampleAppShape: String, Sendable, CaseIterable, Hashable {
    /// A JSON API: `POST /v1/auth/web/callback` with `Authorization: Bearer <access token>`.
    case api
    /// A server-rendered app: `/login` → AuthKit authorize → `/callback?code` → cookie session.
    case web
}

/// Why the app refuses a configuration.
package enum SampleAppConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    case invalid(field: String, reason: String)

    package var description: String {
        switch self {
        case .invalid(let field, let reason): return "\(field): \(reason)"
        }
    }
}

/// Everything the reference app needs to trust the IdP: where it is, who the app is, and how
/// strictly to check tokens.
package struct SampleAppConfiguration: Sendable {
    /// The IdP base URL, without a trailing slash (one is removed if given).
    package var idpBaseURL: String
    package var clientID: String
    /// API key for the IdP management API (`Authorization: Bearer sk_…`).
    package var apiKey: String
    /// Expected `iss`, compared byte for byte.
    package var issuer: String
    /// How long a fetched JWKS is trusted before it is fetched again. Finite on purpose: a key
    /// removed at the IdP must stop verifying within this time.
    package var jwksTTLMilliseconds: Int64 = 300_000
    /// Minimum interval between JWKS fetches caused by a token with an unknown `kid`, so forged
    /// kids cannot turn the app into a JWKS request amplifier.
    package var jwksCooldownMilliseconds: Int64 = 30_000
    /// Clock skew tolerated on `exp`, `nbf` and `iat` (at most 60 s).
    package var leewaySeconds: Int64 = 30
    /// A custom claim (JWT template) carrying the user's email; when present it saves the
    /// user fetch. The user is still keyed by `sub`.
    package var emailClaim: String = "urn:mockidp:email"
    /// Enables the `/_test` routes (introspection, faults, seeding, reset).
    package var testMode: Bool = false
    /// The seeded bug, or nil for the correct app.
    package var bug: SeededBug?
    package var shape: SampleAppShape = .api
    /// Web shape: the app's own origin (`http://host:port`), for the redirect URI and the
    /// logout `return_to`. nil: the address `start` binds.
    package var publicBaseURL: String?
    /// Web shape: a signed-in session ends this long after the login, refreshes or not.
    package var sessionLifetimeSeconds: Int64 = 86_400
    /// Wall clock in Unix milliseconds; tests may substitute their own.
    package var clock: @Sendable () -> Int64 = { WallClock.nowMilliseconds() }
    /// Per-request timeout for IdP calls.
    package var idpTimeoutMilliseconds: Int64 = 10_000

    package init(idpBaseURL: String, clientID: String, apiKey: String, issuer: String) {
        var base = idpBaseURL
        while base.hasSuffix("/") { base.removeLast() }
        self.idpBaseURL = base
        self.clientID = clientID
        self.apiKey = apiKey
        self.issuer = issuer
    }

    package var jwksURL: String { "\(idpBaseURL)/sso/jwks/\(percentEncodeSegment(clientID))" }

    package func validate() throws(SampleAppConfigurationError) {
        guard idpBaseURL.hasPrefix("http://") else {
            throw .invalid(field: "idp", reason: "must be an http:// URL (the mock IdP serves plain HTTP), got '\(idpBaseURL)'")
        }
        guard !clientID.isEmpty else { throw .invalid(field: "client-id", reason: "must not be empty") }
        guard !apiKey.isEmpty else { throw .invalid(field: "api-key", reason: "must not be empty") }
        guard !issuer.isEmpty else { throw .invalid(field: "issuer", reason: "must not be empty (the app always checks iss)") }
        guard jwksTTLMilliseconds > 0 else { throw .invalid(field: "jwks-ttl-ms", reason: "must be positive (a JWKS is never cached forever)") }
        guard jwksCooldownMilliseconds >= 0 else { throw .invalid(field: "jwks-cooldown-ms", reason: "must not be negative") }
        guard (0...60).contains(leewaySeconds) else { throw .invalid(field: "leeway-seconds", reason: "must be 0...60, got \(leewaySeconds)") }
        guard !emailClaim.isEmpty else { throw .invalid(field: "email-claim", reason: "must not be empty") }
        guard idpTimeoutMilliseconds > 0 else { throw .invalid(field: "idp-timeout", reason: "must be positive") }
        if let bug, !bug.shapes.contains(shape) {
            let other = bug.shapes.map(\.rawValue).sorted().joined(separator: ", ")
            throw .invalid(field: "bug", reason: "'\(bug.rawValue)' is a bug of the \(other) shape, not of --shape \(shape.rawValue); "
                + "bugs of this shape: \(SeededBug.applying(to: shape).map(\.rawValue).joined(separator: ", "))")
        }
        if let publicBaseURL, !(publicBaseURL.hasPrefix("http://") || publicBaseURL.hasPrefix("https://")) || publicBaseURL.hasSuffix("/") {
            throw .invalid(field: "public-url", reason: "must be an http(s) origin without a trailing slash, got '\(publicBaseURL)'")
        }
        guard (1...31_536_000).contains(sessionLifetimeSeconds) else { throw .invalid(field: "session-lifetime", reason: "must be 1...31536000 s (a year)") }
    }
}
