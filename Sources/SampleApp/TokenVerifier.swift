import Essentials
import JOSE
import JSON

/// Why a bearer token was refused. Every case is a 401 except `jwksUnavailable` (the IdP, not
/// the token, is at fault: 503).
enum VerificationFailure: Error, Sendable, Equatable {
    case invalid(String)
    case jwksUnavailable(String)

    var reason: String {
        switch self {
        case .invalid(let reason), .jwksUnavailable(let reason): return reason
        }
    }
}

/// The claims of a token that passed every check.
struct VerifiedClaims: Sendable {
    let claims: JSONObject
    let subject: String
    var issuer: String? { claims["iss"]?.stringValue }
}

/// Verifies access tokens the way a production WorkOS app should: signature against the IdP's
/// JWKS (RS256, plus ES256 when the JWKS has EC keys, never `none`), exact issuer, time claims
/// with a bounded leeway, and a non-empty `sub`.
struct TokenVerifier: Sendable {
    let keys: JWKSCache
    let issuer: String
    let leeway: Int64
    let bug: SeededBug?
    let clock: @Sendable () -> Int64
    /// A GET of any JSON document: only the seeded bugs that fetch what a token names use it.
    var fetchDocument: @Sendable (String) -> JSONValue? = { _ in nil }

    func verify(_ token: String) throws(VerificationFailure) -> VerifiedClaims {
        let payload: JSONValue
        var trustedIssuer = issuer
        if bug == .algNoneAccepted, let unsigned = Self.unsignedPayload(token) {
            // BUG (alg-none-accepted): an unsigned token's payload is trusted as is.
            payload = unsigned
        } else if bug == .kidAbsentSkipsSignature, let kidless = Self.payloadWithoutKid(token) {
            // BUG (kid-absent-skips-signature): no kid in the header, so no key to look up, so
            // the signature is never checked.
            payload = kidless
        } else if bug == .jkuFollowed, let jku = Self.segment(token, 0)?["jku"]?.stringValue {
            // BUG (jku-followed): the header says where its key is, and the app fetches it.
            payload = try verify(token, withJWKSAt: jku)
        } else if bug == .issuerDiscoveryTrusted, let other = Self.segment(token, 1)?["iss"]?.stringValue, other != issuer {
            // BUG (issuer-discovery-trusted): "multi-tenant support" — an issuer the app was not
            // configured with is trusted with the keys its own discovery document names.
            let discovery = try fetchLoopback(Self.trimmingSlash(other) + "/.well-known/openid-configuration")
            guard let jwksURI = discovery?["jwks_uri"]?.stringValue else { throw .invalid("no discovery document for \(other)") }
            payload = try verify(token, withJWKSAt: jwksURI)
            trustedIssuer = other
        } else {
            payload = try verifySignature(token)
        }
        guard case .object(var claims) = payload else { throw .invalid("the payload is not a JSON object") }
        let original = claims

        // jti is optional and only used when it is a non-empty string; a non-string jti counts
        // as missing (the callback decides what that means) rather than as a malformed token.
        if let jti = claims["jti"], jti.stringValue == nil { claims["jti"] = nil }
        var validator = ClaimsValidator(issuer: trustedIssuer, leeway: leeway, now: clock() / 1000, requiredClaims: ["sub"])
        if bug == .issuerNotChecked {
            validator.issuer = nil  // BUG (issuer-not-checked): any issuer is accepted.
        }
        if bug == .expiryNotChecked {
            // BUG (expiry-not-checked): exp and nbf are never looked at.
            claims["exp"] = nil
            claims["nbf"] = nil
            validator.requireExpiration = false
        }
        do {
            try validator.validate(.object(claims))
        } catch {
            throw .invalid(error.description)
        }
        guard let subject = original["sub"]?.stringValue, !subject.trimmingWhitespace().isEmpty else {
            throw .invalid("sub must be a non-empty string")
        }
        return VerifiedClaims(claims: original, subject: subject)
    }

    private func verifySignature(_ token: String) throws(VerificationFailure) -> JSONValue {
        let keySet = try keys.current()
        do {
            return try keySet.verifier.verify(token).payload
        } catch JOSEError.unknownKeyID(let kid?) {
            // A new signing key may have been published since the last fetch.
            guard let refreshed = keys.refreshForUnknownKid(kid) else {
                throw .invalid(JOSEError.unknownKeyID(kid).description + " (not in a refetched JWKS either, or the refetch is cooling down)")
            }
            do {
                return try refreshed.verifier.verify(token).payload
            } catch {
                throw .invalid(error.description)
            }
        } catch {
            throw .invalid(error.description)
        }
    }

    /// For the fetching bugs: only loopback URLs, so a seeded reference app cannot be pointed off
    /// the machine.
    private func fetchLoopback(_ url: String) throws(VerificationFailure) -> JSONValue? {
        guard url.hasPrefix("http://127.0.0.1:") || url.hasPrefix("http://localhost:") else { throw .invalid("\(url) is not a loopback URL") }
        return fetchDocument(url)
    }

    /// For the fetching bugs: verifies with the keys of the JWKS at `url`.
    private func verify(_ token: String, withJWKSAt url: String) throws(VerificationFailure) -> JSONValue {
        guard let jwks = try fetchLoopback(url) else { throw .invalid("no JWKS at \(url)") }
        do {
            return try JWSVerifier(jwks: jwks, allowedAlgorithms: [.rs256, .es256]).verify(token).payload
        } catch {
            throw .invalid(error.description)
        }
    }

    /// The decoded JSON of a compact token's header (0) or payload (1), unverified.
    static func segment(_ token: String, _ index: Int) -> JSONValue? {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let bytes = try? Base64URL.decode(parts[index]) else { return nil }
        return try? JSONValue.parse(bytes)
    }

    static func trimmingSlash(_ url: String) -> String { url.hasSuffix("/") ? String(url.dropLast()) : url }

    /// For the kid-absent bug: the payload of a token whose header has no `kid`, or nil.
    static func payloadWithoutKid(_ token: String) -> JSONValue? {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3,
            let headerBytes = try? Base64URL.decode(parts[0]),
            let header = try? JSONValue.parse(headerBytes), header.objectValue != nil, header["kid"] == nil,
            let payloadBytes = try? Base64URL.decode(parts[1])
        else { return nil }
        return try? JSONValue.parse(payloadBytes)
    }

    /// For the alg-none bug: the payload of `header.payload.` whose header says `alg: none` in
    /// any case, or nil for any other token.
    static func unsignedPayload(_ token: String) -> JSONValue? {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[2].isEmpty,
            let headerBytes = try? Base64URL.decode(parts[0]),
            let header = try? JSONValue.parse(headerBytes),
            header["alg"]?.stringValue?.lowercased() == "none",
            let payloadBytes = try? Base64URL.decode(parts[1])
        else { return nil }
        return try? JSONValue.parse(payloadBytes)
    }
}
