import Foundation
import JSON
import Testing

@testable import JOSE

@Suite struct KeyAndInteropTests {
    @Test(arguments: [false, true])
    func pemSaveLoadKeepsTheKey(ec: Bool) throws {
        let original = ec ? Fixtures.ec : Fixtures.rsa
        let pem = original.pkcs8PEM
        #expect(pem.hasPrefix("-----BEGIN PRIVATE KEY-----"))
        let reloaded = try PrivateKey(pem: pem)
        #expect(reloaded.keyType == original.keyType)
        #expect(reloaded.publicKey.spkiDER == original.publicKey.spkiDER)
        let publicPEM = original.publicKey.spkiPEM
        #expect(publicPEM.hasPrefix("-----BEGIN PUBLIC KEY-----"))
        #expect(try PublicKey(pem: publicPEM).spkiDER == original.publicKey.spkiDER)

        // A token signed by the reloaded key verifies with the original's public key.
        let key = try SigningKey(privateKey: reloaded)
        let token = try JWT.mint(claims: JWTClaims(sub: "u"), key: key)
        let verifier = JWSVerifier(keys: [key.kid: original.publicKey])
        #expect(try verifier.verify(token).payload["sub"] == "u")
    }

    @Test(arguments: [false, true])
    func jwkExportImportVerifies(ec: Bool) throws {
        let key = ec ? Fixtures.ecSigning : Fixtures.rsaSigning
        let jwk = key.publicJWK()
        let expectedOrder =
            ec
            ? ["kty", "use", "alg", "kid", "crv", "x", "y", "x5c", "x5t#S256"]
            : ["kty", "use", "alg", "kid", "n", "e", "x5c", "x5t#S256"]
        #expect(jwk.keys == expectedOrder)
        #expect(jwk["use"] == "sig")
        #expect(jwk["alg"] == .string(ec ? "ES256" : "RS256"))
        if ec {
            #expect(try Base64URL.decode(jwk["x"]?.stringValue ?? "").count == 32)
            #expect(try Base64URL.decode(jwk["y"]?.stringValue ?? "").count == 32)
        } else {
            let n = try Base64URL.decode(jwk["n"]?.stringValue ?? "")
            #expect(n.count == 256 && n[0] != 0)
            #expect(jwk["e"] == "AQAB")
        }
        let imported = try PublicKey(jwk: .object(jwk))
        #expect(imported.spkiDER == key.publicKey.spkiDER)
        #expect(imported.thumbprint() == key.kid)
        let token = try JWT.mint(claims: JWTClaims(sub: "x"), key: key)
        #expect(try JWSVerifier(keys: [key.kid: imported]).verify(token).payload["sub"] == "x")
    }

    @Test func jwkImportRejectsBadKeys() throws {
        let ecJWK = Fixtures.ec.publicKey.jwk(kid: nil)
        var shortX = ecJWK
        shortX["x"] = .string(Base64URL.encode([UInt8](repeating: 7, count: 31)))
        #expect(throws: JOSEError.invalidKey("P-256 coordinates must be 32 bytes each, found x 31 and y 32")) { try PublicKey(jwk: .object(shortX)) }
        var offCurve = ecJWK
        offCurve["y"] = .string(Base64URL.encode([UInt8](repeating: 7, count: 32)))
        #expect(throws: JOSEError.self) { try PublicKey(jwk: .object(offCurve)) }
        var otherCurve = ecJWK
        otherCurve["crv"] = "P-384"
        #expect(throws: JOSEError.unsupportedKey("EC curve \"P-384\"; only P-256 is supported")) { try PublicKey(jwk: .object(otherCurve)) }
        var smallRSA = Fixtures.rsa.publicKey.jwk(kid: nil)
        smallRSA["n"] = .string(Base64URL.encode([UInt8](repeating: 0xC1, count: 128)))
        #expect(throws: JOSEError.unsupportedKey("RSA modulus is 1024 bits; at least 2048 are required")) { try PublicKey(jwk: .object(smallRSA)) }
        #expect(throws: JOSEError.unsupportedKey("JWK kty \"oct\"; only RSA and EC are supported")) { try PublicKey(jwk: ["kty": "oct", "k": "AA"]) }
        #expect(throws: JOSEError.self) { try PrivateKey.generateRSA(bits: 1024) }
    }

    @Test func pemRejectsSmallRSAAndOtherCurves() throws {
        let directory = try OpenSSLCLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let small = directory.appendingPathComponent("rsa1024.pem").path
        let p384 = directory.appendingPathComponent("p384.pem").path
        #expect(try OpenSSLCLI.run(["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:1024", "-out", small]).status == 0)
        #expect(try OpenSSLCLI.run(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384", "-out", p384]).status == 0)
        #expect(throws: JOSEError.unsupportedKey("RSA key is 1024 bits; at least 2048 are required")) {
            try PrivateKey(pem: String(contentsOfFile: small, encoding: .utf8))
        }
        #expect(throws: JOSEError.unsupportedKey("EC curve secp384r1; only P-256 is supported")) {
            try PrivateKey(pem: String(contentsOfFile: p384, encoding: .utf8))
        }
        // Traditional "EC PRIVATE KEY" from the CLI loads too.
        let traditional = directory.appendingPathComponent("p256-trad.pem").path
        #expect(try OpenSSLCLI.run(["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", traditional]).status == 0)
        let loaded = try PrivateKey(pem: String(contentsOfFile: traditional, encoding: .utf8))
        #expect(loaded.keyType == .ecP256)
        #expect(throws: JOSEError.self) { try PrivateKey(pem: "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n") }
    }

    /// The system `openssl` binary checks our signatures: an independent implementation.
    @Test(arguments: [false, true])
    func opensslCLIVerifiesOurSignatures(ec: Bool) throws {
        let key = ec ? Fixtures.ecSigning : Fixtures.rsaSigning
        let token = try JWT.mint(claims: JWTClaims(iss: "https://idp.test", sub: "user_1", exp: 2_000_000_000), key: key)
        let dot = try #require(token.lastIndex(of: "."))
        let signingInput = Data(token[..<dot].utf8)
        let raw = try Base64URL.decode(token[token.index(after: dot)...])
        let signature = ec ? TestDER.ecdsaSignature(raw: raw) : raw

        let directory = try OpenSSLCLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let pub = directory.appendingPathComponent("pub.pem")
        let sig = directory.appendingPathComponent("sig.bin")
        let input = directory.appendingPathComponent("input.bin")
        try key.publicKey.spkiPEM.write(to: pub, atomically: true, encoding: .utf8)
        try Data(signature).write(to: sig)
        try signingInput.write(to: input)
        let ok = try OpenSSLCLI.run(["dgst", "-sha256", "-verify", pub.path, "-signature", sig.path, input.path])
        #expect(ok.status == 0, "\(ok.stdout) \(ok.stderr)")
        #expect(ok.stdout.contains("Verified OK"))

        // And it notices a changed input, so the check above can fail.
        try Data(signingInput + [0x41]).write(to: input)
        let bad = try OpenSSLCLI.run(["dgst", "-sha256", "-verify", pub.path, "-signature", sig.path, input.path])
        #expect(bad.status != 0)
    }

    @Test(arguments: [false, true])
    func certificateCarriesTheSameKey(ec: Bool) throws {
        let key = ec ? Fixtures.ecSigning : Fixtures.rsaSigning
        let jwk = key.publicJWK()
        let x5c = try #require(jwk["x5c"]?[0]?.stringValue)
        #expect(Data(base64Encoded: x5c).map(Array.init) == key.certificateDER)
        #expect(jwk["x5t#S256"] == .string(Base64URL.encode(OpenSSL.sha256(key.certificateDER))))

        let directory = try OpenSSLCLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let certificate = directory.appendingPathComponent("cert.der")
        try Data(key.certificateDER).write(to: certificate)
        let pubkey = try OpenSSLCLI.run(["x509", "-inform", "DER", "-in", certificate.path, "-noout", "-pubkey"])
        #expect(pubkey.status == 0, "\(pubkey.stderr)")
        #expect(pubkey.stdout == key.publicKey.spkiPEM)
        let text = try OpenSSLCLI.run(["x509", "-inform", "DER", "-in", certificate.path, "-noout", "-subject", "-issuer", "-text"])
        #expect(text.stdout.contains("subject=CN = MockIdP test key"))
        #expect(text.stdout.contains("issuer=CN = MockIdP test key"))
        #expect(text.stdout.contains("Version: 3 (0x2)"))
        // Self-signed: it verifies against itself.
        let pem = directory.appendingPathComponent("cert.pem")
        _ = try OpenSSLCLI.run(["x509", "-inform", "DER", "-in", certificate.path, "-out", pem.path])
        let verify = try OpenSSLCLI.run(["verify", "-CAfile", pem.path, "-partial_chain", pem.path])
        #expect(verify.stdout.contains("OK"), "\(verify.stdout) \(verify.stderr)")
    }

    @Test func jwksDocumentShape() throws {
        let document = jwksDocument([Fixtures.rsaSigning], extraKeys: [["kty": "bogus"]])
        let keys = try #require(document["keys"]?.arrayValue)
        #expect(keys.count == 2)
        #expect(keys[0]["kid"] == .string(Fixtures.rsaSigning.kid))
        #expect(keys[1] == ["kty": "bogus"])
        #expect(Fixtures.rsaSigning.kid == Fixtures.rsa.publicKey.thumbprint())
    }
}
