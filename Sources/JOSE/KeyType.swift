/// The key shapes MockIdP signs and verifies with.
package enum KeyType: Sendable, Hashable, CustomStringConvertible {
    case rsa(bits: Int)
    case ecP256

    /// The JWK `kty` value.
    package var jwkKeyType: String {
        switch self {
        case .rsa: return "RSA"
        case .ecP256: return "EC"
        }
    }

    /// The algorithm this key signs with when nobody says otherwise.
    package var defaultAlgorithm: JWSAlgorithm {
        switch self {
        case .rsa: return .rs256
        case .ecP256: return .es256
        }
    }

    package var description: String {
        switch self {
        case .rsa(let bits): return "RSA-\(bits)"
        case .ecP256: return "EC P-256"
        }
    }
}

/// JWS `alg` values MockIdP knows. HS256 exists only so the forger can label tokens it keys with
/// arbitrary bytes (the "HMAC keyed with the public key" attack); no verifier key is ever HMAC.
package enum JWSAlgorithm: String, Sendable, Hashable, CaseIterable {
    case rs256 = "RS256"
    case es256 = "ES256"
    case hs256 = "HS256"

    /// Whether `keyType` can verify this algorithm.
    package func isCompatible(with keyType: KeyType) -> Bool {
        switch (self, keyType) {
        case (.rs256, .rsa), (.es256, .ecP256): return true
        default: return false
        }
    }
}
