import JSON
import Testing

@testable import JOSE

@Suite struct DeterministicKeyTests {
    @Test func seededP256IsReproducibleAndSeedSensitive() throws {
        let a = try PrivateKey.generateP256(seed: 42)
        let b = try PrivateKey.generateP256(seed: 42)
        let c = try PrivateKey.generateP256(seed: 43)
        #expect(a.keyType == .ecP256)
        #expect(a.pkcs8PEM == b.pkcs8PEM)
        #expect(a.publicKey.thumbprint() == b.publicKey.thumbprint())
        #expect(a.publicKey.thumbprint() != c.publicKey.thumbprint())
        // The derived key pair is consistent: it signs, and its reloaded public half verifies.
        let key = try SigningKey(privateKey: a)
        let token = try JWT.mint(claims: JWTClaims(sub: "s"), key: key)
        let verifier = JWSVerifier(keys: [key.kid: try PublicKey(pem: b.publicKey.spkiPEM)])
        #expect(try verifier.verify(token).payload["sub"] == "s")
    }

    @Test func seededRSAIsReproducibleAndValid() throws {
        let a = try PrivateKey.generateRSA(seed: 7)
        let b = try PrivateKey.generateRSA(seed: 7)
        #expect(a.keyType == .rsa(bits: 2048))
        #expect(a.pkcs8PEM == b.pkcs8PEM)
        let c = try PrivateKey.generateRSA(seed: 8)
        #expect(a.publicKey.spkiDER != c.publicKey.spkiDER)
        // Same seed, same serial, same start: the whole RS256 key material and token are stable.
        let serial: [UInt8] = [0x01, 0x02]
        let keyA = try SigningKey(privateKey: a, certificateSerial: serial, notBefore: 1_700_000_000)
        let keyB = try SigningKey(privateKey: b, certificateSerial: serial, notBefore: 1_700_000_000)
        #expect(keyA.certificateDER == keyB.certificateDER)
        let claims = JWTClaims(sub: "s", iat: 1, exp: 2)
        let token = try JWT.mint(claims: claims, key: keyA)
        #expect(token == (try JWT.mint(claims: claims, key: keyB)))
        #expect(try JWSVerifier(keys: [keyA.kid: b.publicKey]).verify(token).payload["sub"] == "s")

        // OpenSSL's own consistency check on the imported CRT components.
        let check = try OpenSSLCLI.run(["pkey", "-check", "-noout"], stdinText: a.pkcs8PEM)
        #expect(check.status == 0, "\(check.stdout) \(check.stderr)")
    }
}
