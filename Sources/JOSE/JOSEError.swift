/// Every way the JOSE module can refuse a token, key or claim set.
///
/// One error type so callers (the mock's HTTP layer, the conformance runner) can switch on the
/// reason and still print something a person can act on.
package enum JOSEError: Error, Sendable, Equatable, CustomStringConvertible {
    // Token structure
    case malformedToken(String)
    case invalidBase64URL(offset: Int)
    case invalidJSON(segment: String, detail: String)
    case invalidHeader(String)
    case unsupportedCriticalHeader([String])

    // Algorithm and key selection
    case unsecuredAlgorithm(String)
    case algorithmNotAllowed(String)
    case algorithmKeyMismatch(alg: String, keyType: String)
    case unknownKeyID(String?)
    case ambiguousKey(candidates: Int)

    // Signatures
    case signatureLength(expected: Int, actual: Int)
    case signatureInvalid

    // Keys
    case unsupportedKey(String)
    case invalidKey(String)
    case openSSL(String)

    // Claims
    case invalidPayload(String)
    case missingClaim(String)
    case invalidClaimType(claim: String, expected: String, actual: String)
    case tokenExpired(exp: Int64, now: Int64)
    case tokenNotYetValid(nbf: Int64, now: Int64)
    case issuedInFuture(iat: Int64, now: Int64)
    case issuerMismatch(expected: String, actual: String)
    case audienceMismatch(expected: String, actual: [String])

    package var description: String {
        switch self {
        case .malformedToken(let why):
            return "malformed token: \(why)"
        case .invalidBase64URL(let offset):
            return "invalid base64url at character \(offset) (only A-Z a-z 0-9 - _ without padding are allowed)"
        case .invalidJSON(let segment, let detail):
            return "the \(segment) is not valid JSON: \(detail)"
        case .invalidHeader(let why):
            return "invalid JOSE header: \(why)"
        case .unsupportedCriticalHeader(let names):
            return "the token marks header parameters \(names) as critical (crit); none are understood, so it is rejected"
        case .unsecuredAlgorithm(let alg):
            return "alg \"\(alg)\" means an unsigned token; unsigned tokens are never accepted"
        case .algorithmNotAllowed(let alg):
            return "alg \"\(alg)\" is not in this verifier's allow-list"
        case .algorithmKeyMismatch(let alg, let keyType):
            return "alg \"\(alg)\" cannot be verified with a \(keyType) key"
        case .unknownKeyID(let kid?):
            return "no key with kid \"\(kid)\" in the key set (refresh the JWKS or check the issuer)"
        case .unknownKeyID(nil):
            return "the token has no kid and no key of the right type can verify it"
        case .ambiguousKey(let candidates):
            return "the token has no kid and \(candidates) keys could verify it; add a kid to the token header"
        case .signatureLength(let expected, let actual):
            return "signature is \(actual) bytes, expected \(expected)"
        case .signatureInvalid:
            return "signature does not verify against the selected key"
        case .unsupportedKey(let why):
            return "unsupported key: \(why)"
        case .invalidKey(let why):
            return "invalid key: \(why)"
        case .openSSL(let text):
            return "OpenSSL error: \(text)"
        case .invalidPayload(let why):
            return "invalid JWT payload: \(why)"
        case .missingClaim(let name):
            return "required claim \"\(name)\" is missing"
        case .invalidClaimType(let claim, let expected, let actual):
            return "claim \"\(claim)\" must be a \(expected), found \(actual)"
        case .tokenExpired(let exp, let now):
            return "token expired at \(exp) (now \(now), \(now - exp)s ago)"
        case .tokenNotYetValid(let nbf, let now):
            return "token not valid before \(nbf) (now \(now), \(nbf - now)s early)"
        case .issuedInFuture(let iat, let now):
            return "token issued in the future at \(iat) (now \(now)); check clocks"
        case .issuerMismatch(let expected, let actual):
            return "issuer \"\(actual)\" does not exactly equal the expected \"\(expected)\""
        case .audienceMismatch(let expected, let actual):
            return "audience \(actual) does not contain \"\(expected)\""
        }
    }
}
