import Essentials

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
    /// Web shape: the callback requires `iss` equal to `issuer` (RFC 9207), as a client of an
    /// authorization server that sends it must (AuthKit's authorize does not send it).
    package var requireAuthorizationResponseIss = false

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
            throw .invalid(
                field: "bug",
                reason: "'\(bug.rawValue)' is a bug of the \(other) shape, not of --shape \(shape.rawValue); "
                    + "bugs of this shape: \(SeededBug.applying(to: shape).map(\.rawValue).joined(separator: ", "))")
        }
        if let publicBaseURL, !(publicBaseURL.hasPrefix("http://") || publicBaseURL.hasPrefix("https://")) || publicBaseURL.hasSuffix("/") {
            throw .invalid(field: "public-url", reason: "must be an http(s) origin without a trailing slash, got '\(publicBaseURL)'")
        }
        guard (1...31_536_000).contains(sessionLifetimeSeconds) else {
            throw .invalid(field: "session-lifetime", reason: "must be 1...31536000 s (a year)")
        }
    }
}
