import COpenSSL
import JSON

/// Throughput probes for `mockidp bench`. Each returns operations per second on the calling thread.
public enum JOSEBenchmark {
    /// Baseline: EVP_PKEY_sign of a fixed SHA-256 digest with one prepared context, i.e. the
    /// best OpenSSL can do with no JOSE work at all.
    public static func rawRSASignRate(key: PrivateKey, iterations: Int) throws(JOSEError) -> Double {
        guard case .rsa = key.keyType else { throw .algorithmKeyMismatch(alg: "RS256", keyType: key.keyType.description) }
        return try rawSignRate(key: key, rsaPadding: true, iterations: iterations)
    }

    public static func rawECSignRate(key: PrivateKey, iterations: Int) throws(JOSEError) -> Double {
        guard case .ecP256 = key.keyType else { throw .algorithmKeyMismatch(alg: "ES256", keyType: key.keyType.description) }
        return try rawSignRate(key: key, rsaPadding: false, iterations: iterations)
    }

    public static func rs256MintRate(key: SigningKey, iterations: Int) throws(JOSEError) -> Double {
        guard key.algorithm == .rs256 else { throw .algorithmKeyMismatch(alg: "RS256", keyType: key.privateKey.keyType.description) }
        return try mintRate(key: key, iterations: iterations)
    }

    public static func es256MintRate(key: SigningKey, iterations: Int) throws(JOSEError) -> Double {
        guard key.algorithm == .es256 else { throw .algorithmKeyMismatch(alg: "ES256", keyType: key.privateKey.keyType.description) }
        return try mintRate(key: key, iterations: iterations)
    }

    /// Claims shaped like a WorkOS AuthKit access token.
    public static func workOSClaims(now: Int64, counter: Int) -> JWTClaims {
        JWTClaims(
            iss: "https://api.workos.com/user_management/client_01HBENCHMARKCLIENT00000000",
            sub: "user_01HBENCHMARKUSER0000000000",
            sid: "session_01HBENCHMARKSESSION00000000",
            jti: "01HBENCHMARKJTI\(counter)",
            iat: now, exp: now + 300,
            extra: [
                "org_id": "org_01HBENCHMARKORG000000000000",
                "role": "admin",
                "roles": ["admin", "member"],
                "permissions": ["widgets:read", "widgets:write", "billing:manage"],
            ])
    }

    private static func mintRate(key: SigningKey, iterations: Int) throws(JOSEError) -> Double {
        let clock = ContinuousClock()
        let start = clock.now
        var totalLength = 0
        for counter in 0..<max(iterations, 1) {
            totalLength &+= try JWT.mint(claims: workOSClaims(now: 1_700_000_000, counter: counter), key: key).utf8.count
        }
        return rate(iterations: max(iterations, 1), elapsed: clock.now - start, sink: totalLength)
    }

    private static func rawSignRate(key: PrivateKey, rsaPadding: Bool, iterations: Int) throws(JOSEError) -> Double {
        guard let context = EVP_PKEY_CTX_new(key.pkey, nil) else { throw OpenSSL.error("EVP_PKEY_CTX_new") }
        defer { EVP_PKEY_CTX_free(context) }
        guard EVP_PKEY_sign_init(context) == 1,
              !rsaPadding || EVP_PKEY_CTX_set_rsa_padding(context, RSA_PKCS1_PADDING) == 1,
              EVP_PKEY_CTX_set_signature_md(context, EVP_sha256()) == 1
        else { throw OpenSSL.error("preparing to sign") }
        let digest = OpenSSL.sha256(Array("MockIdP benchmark".utf8))
        var signature = [UInt8](repeating: 0, count: Int(EVP_PKEY_get_size(key.pkey)))
        let clock = ContinuousClock()
        let start = clock.now
        var failures = 0
        for _ in 0..<max(iterations, 1) {
            var length = signature.count
            let status = signature.withUnsafeMutableBufferPointer { out in
                digest.withUnsafeBufferPointer { EVP_PKEY_sign(context, out.baseAddress, &length, $0.baseAddress, $0.count) }
            }
            if status != 1 { failures += 1 }
        }
        let elapsed = clock.now - start
        guard failures == 0 else { throw OpenSSL.error("signing in benchmark") }
        return rate(iterations: max(iterations, 1), elapsed: elapsed, sink: 0)
    }

    private static func rate(iterations: Int, elapsed: Duration, sink: Int) -> Double {
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return seconds > 0 ? Double(iterations) / seconds : .infinity
    }
}
