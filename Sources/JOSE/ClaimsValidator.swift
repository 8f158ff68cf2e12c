import JSON

/// Checks the time, issuer and presence rules of a verified JWT payload.
///
/// Works on the raw JSON so it can say exactly what is wrong ("exp must be a number, found
/// string") instead of a typed decode failing somewhere.
package struct ClaimsValidator: Sendable {
    /// Compared byte for byte: `https://a/` and `https://a` are different issuers.
    package var issuer: String?
    package var audience: String?
    package var leeway: Int64
    package var now: Int64
    package var requiredClaims: [String]
    package var requireExpiration: Bool

    package init(
        issuer: String? = nil, audience: String? = nil, leeway: Int64 = 0, now: Int64,
        requiredClaims: [String] = ["sub"], requireExpiration: Bool = true
    ) {
        self.issuer = issuer
        self.audience = audience
        self.leeway = leeway
        self.now = now
        self.requiredClaims = requiredClaims
        self.requireExpiration = requireExpiration
    }

    package func validate(_ claims: JSONValue) throws(JOSEError) {
        guard case .object(let object) = claims else { throw .invalidPayload("must be a JSON object, found \(claims.typeName)") }

        for name in ["iss", "sub", "jti"] {
            if let value = object[name], value.stringValue == nil {
                throw .invalidClaimType(claim: name, expected: "string", actual: value.typeName)
            }
        }
        let exp = try numericDate("exp", in: object)
        let nbf = try numericDate("nbf", in: object)
        let iat = try numericDate("iat", in: object)

        if requireExpiration && exp == nil { throw .missingClaim("exp") }
        for name in requiredClaims where object[name] == nil { throw .missingClaim(name) }

        // RFC 7519 §4.1.4: the current time must be before exp.
        if let exp, now >= exp + leeway { throw .tokenExpired(exp: exp, now: now) }
        if let nbf, now + leeway < nbf { throw .tokenNotYetValid(nbf: nbf, now: now) }
        if let iat, iat > now + leeway { throw .issuedInFuture(iat: iat, now: now) }

        if let issuer {
            guard let actual = object["iss"]?.stringValue else { throw .missingClaim("iss") }
            guard actual == issuer else { throw .issuerMismatch(expected: issuer, actual: actual) }
        }
        if let audience {
            let values: [String]
            switch object["aud"] {
            case nil: throw .missingClaim("aud")
            case .string(let single)?: values = [single]
            case .array(let many)? where many.allSatisfy({ $0.stringValue != nil }): values = many.compactMap(\.stringValue)
            case let other?: throw .invalidClaimType(claim: "aud", expected: "string or array of strings", actual: other.typeName)
            }
            guard values.contains(audience) else { throw .audienceMismatch(expected: audience, actual: values) }
        }
    }

    /// NumericDate may be fractional (RFC 7519 §2); it is truncated toward the past.
    private func numericDate(_ name: String, in object: JSONObject) throws(JOSEError) -> Int64? {
        guard let value = object[name] else { return nil }
        switch value {
        case .int(let seconds): return seconds
        case .double(let seconds) where seconds.isFinite && abs(seconds) < 9e15: return Int64(seconds.rounded(.down))
        default: throw .invalidClaimType(claim: name, expected: "number", actual: value.typeName)
        }
    }
}
