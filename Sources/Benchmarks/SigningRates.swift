import IdP
import JOSE

/// Signatures per second on the calling thread: raw OpenSSL as the ceiling, and the mock's own
/// mint path (`MockIdP.mintToken`: lookup, session, WorkOS claims, serialization, signature).
public enum SigningRates {
    /// EVP_PKEY_sign of a fixed SHA-256 digest with one prepared context: the best OpenSSL can
    /// do with no JOSE work at all.
    public static func rawSign(key: PrivateKey, iterations: Int) throws(JOSEError) -> Double {
        let prepared = try PreparedSigning(key: key)
        let digest = SHA256Digest.hash(Array("MockIdP benchmark".utf8))
        var signature = [UInt8](repeating: 0, count: prepared.signatureCapacity)
        let clock = ContinuousClock()
        let start = clock.now
        for _ in 0..<max(iterations, 1) {
            _ = try prepared.sign(digest: digest, into: &signature)
        }
        return rate(iterations: max(iterations, 1), elapsed: clock.now - start)
    }

    /// Tokens per second through the product's path.
    public static func mint(_ idp: MockIdP, _ request: TokenRequest, iterations: Int) throws(IdPError) -> Double {
        let clock = ContinuousClock()
        let start = clock.now
        var totalLength = 0
        for _ in 0..<max(iterations, 1) {
            totalLength &+= try idp.mintToken(request).token.utf8.count
        }
        let elapsed = clock.now - start
        precondition(totalLength > 0, "minted nothing")
        return rate(iterations: max(iterations, 1), elapsed: elapsed)
    }

    static func rate(iterations: Int, elapsed: Duration) -> Double {
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return seconds > 0 ? Double(iterations) / seconds : .infinity
    }
}
