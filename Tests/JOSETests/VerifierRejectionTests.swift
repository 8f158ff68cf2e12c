import Foundation
import JSON
import Testing

@testable import JOSE

@Suite struct VerifierRejectionTests {
    let rsaKid = Fixtures.rsaSigning.kid
    let ecKid = Fixtures.ecSigning.kid
    var rsaSigner: RSASigner { Fixtures.make { try RSASigner(key: Fixtures.rsa) } }
    var ecSigner: ECDSASigner { Fixtures.make { try ECDSASigner(key: Fixtures.ec) } }

    @Test func acceptsWellFormedTokensOfBothFamilies() throws {
        let rs = Fixtures.forge(header: #"{"alg":"RS256","kid":"\#(rsaKid)"}"#, signer: rsaSigner)
        let es = Fixtures.forge(header: #"{"alg":"ES256","kid":"\#(ecKid)"}"#, signer: ecSigner)
        #expect(try Fixtures.verifier.verify(rs).keyID == rsaKid)
        #expect(try Fixtures.verifier.verify(es).algorithm == .es256)
    }

    @Test(arguments: ["none", "None", "NONE", "nOnE"])
    func unsecuredAlgorithmNeverAccepted(alg: String) {
        let empty = Fixtures.forge(header: #"{"alg":"\#(alg)","kid":"\#(rsaKid)"}"#)
        #expect(Fixtures.rejection(empty) == .unsecuredAlgorithm(alg))
        let signed = Fixtures.forge(header: #"{"alg":"\#(alg)","kid":"\#(rsaKid)"}"#, signer: rsaSigner)
        #expect(Fixtures.rejection(signed) == .unsecuredAlgorithm(alg))
        // Even a verifier allowing everything it knows refuses it.
        let permissive = JWSVerifier(keys: [rsaKid: Fixtures.rsa.publicKey], allowedAlgorithms: Set(JWSAlgorithm.allCases))
        #expect(Fixtures.rejection(signed, by: permissive) == .unsecuredAlgorithm(alg))
    }

    @Test func hmacKeyedWithPublicKeyIsRejected() {
        let pem = Fixtures.rsa.publicKey.spkiPEM
        for secret in [Array(pem.utf8), Fixtures.rsa.publicKey.spkiDER] {
            let token = Fixtures.forge(header: #"{"alg":"HS256","kid":"\#(rsaKid)"}"#, signer: HMACSigner(secret: secret))
            let rsOnly = JWSVerifier(keys: [rsaKid: Fixtures.rsa.publicKey], allowedAlgorithms: [.rs256])
            #expect(Fixtures.rejection(token, by: rsOnly) == .algorithmNotAllowed("HS256"))
            // Allowing HS256 still finds no HMAC key: the RSA key is never used as a MAC secret.
            let confused = JWSVerifier(keys: [rsaKid: Fixtures.rsa.publicKey], allowedAlgorithms: [.rs256, .hs256])
            #expect(Fixtures.rejection(token, by: confused) == .algorithmKeyMismatch(alg: "HS256", keyType: "RSA-2048"))
        }
    }

    @Test func algorithmMustMatchKeyType() {
        let esWithRSAKid = Fixtures.forge(header: #"{"alg":"ES256","kid":"\#(rsaKid)"}"#, signer: ecSigner)
        #expect(Fixtures.rejection(esWithRSAKid) == .algorithmKeyMismatch(alg: "ES256", keyType: "RSA-2048"))
        let rsWithECKid = Fixtures.forge(header: #"{"alg":"RS256","kid":"\#(ecKid)"}"#, signer: rsaSigner)
        #expect(Fixtures.rejection(rsWithECKid) == .algorithmKeyMismatch(alg: "RS256", keyType: "EC P-256"))
    }

    @Test func algorithmMustBeAllowed() {
        let token = Fixtures.forge(header: #"{"alg":"ES256","kid":"\#(ecKid)"}"#, signer: ecSigner)
        let rsOnly = JWSVerifier(keys: [ecKid: Fixtures.ec.publicKey], allowedAlgorithms: [.rs256])
        #expect(Fixtures.rejection(token, by: rsOnly) == .algorithmNotAllowed("ES256"))
        let unknown = Fixtures.forge(header: #"{"alg":"PS256","kid":"\#(rsaKid)"}"#, signer: rsaSigner)
        #expect(Fixtures.rejection(unknown) == .algorithmNotAllowed("PS256"))
        let lowercase = Fixtures.forge(header: #"{"alg":"rs256","kid":"\#(rsaKid)"}"#, signer: rsaSigner)
        #expect(Fixtures.rejection(lowercase) == .algorithmNotAllowed("rs256"))
    }

    @Test func signatureLengthIsExact() throws {
        let header = #"{"alg":"ES256","kid":"\#(ecKid)"}"#
        for length in [0, 63, 65] {
            let token = Fixtures.forge(header: header, signature: [UInt8](repeating: 1, count: length))
            #expect(Fixtures.rejection(token) == .signatureLength(expected: 64, actual: length))
        }
        // A valid ES256 signature in DER form (the classic interop mistake) is also refused.
        let input = JWS.signingInput(headerBytes: Fixtures.bytes(header), payloadBytes: Fixtures.bytes(#"{"sub":"u"}"#))
        let der = try ECDSASignature.derFromRaw(ecSigner.sign(input))
        let derToken = Fixtures.forge(header: header, signature: der)
        #expect(Fixtures.rejection(derToken) == .signatureLength(expected: 64, actual: der.count))

        let rsHeader = #"{"alg":"RS256","kid":"\#(rsaKid)"}"#
        let real = try rsaSigner.sign(JWS.signingInput(headerBytes: Fixtures.bytes(rsHeader), payloadBytes: Fixtures.bytes(#"{"sub":"u"}"#)))
        #expect(
            Fixtures.rejection(Fixtures.forge(header: rsHeader, signature: Array(real.dropFirst()))) == .signatureLength(expected: 256, actual: 255))
        #expect(Fixtures.rejection(Fixtures.forge(header: rsHeader, signature: [0] + real)) == .signatureLength(expected: 256, actual: 257))
        #expect(Fixtures.rejection(Fixtures.forge(header: rsHeader, signature: [])) == .signatureLength(expected: 256, actual: 0))
        var flipped = real
        flipped[100] ^= 0x80
        #expect(Fixtures.rejection(Fixtures.forge(header: rsHeader, signature: flipped)) == .signatureInvalid)
    }

    @Test func segmentStructure() {
        let good = Fixtures.forge(header: #"{"alg":"RS256","kid":"\#(rsaKid)"}"#, signer: rsaSigner)
        let parts = good.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        #expect(Fixtures.rejection(parts[0] + "." + parts[1]) == .malformedToken("compact JWS has 3 dot-separated segments, found 2"))
        #expect(Fixtures.rejection(good + "." + parts[2]) == .malformedToken("compact JWS has 3 dot-separated segments, found 4"))
        #expect(Fixtures.rejection("") == .malformedToken("compact JWS has 3 dot-separated segments, found 1"))
        #expect(Fixtures.rejection("..") == .malformedToken("empty header segment"))
        #expect(Fixtures.rejection("." + parts[1] + "." + parts[2]) == .malformedToken("empty header segment"))
        // Empty payload with a valid signature over it: the signature holds, the payload is not JSON.
        let emptyPayload = Fixtures.forge(header: #"{"alg":"RS256","kid":"\#(rsaKid)"}"#, payload: "", signer: rsaSigner)
        guard case .invalidJSON(segment: "payload", _)? = Fixtures.rejection(emptyPayload) else {
            Issue.record("empty payload should be invalid JSON")
            return
        }
    }

    @Test func segmentsMustBeCanonicalBase64URL() {
        let good = Fixtures.forge(header: #"{"alg":"RS256","kid":"\#(rsaKid)"}"#, signer: rsaSigner)
        let parts = good.split(separator: ".").map(String.init)
        let variants = [
            parts[0] + "=." + parts[1] + "." + parts[2],
            parts[0] + "." + parts[1] + "." + parts[2] + "==",
            parts[0] + "." + parts[1] + "." + parts[2].replacingFirst("-_", "+/"),
            parts[0] + "." + parts[1] + " ." + parts[2],
            " " + parts[0] + "." + parts[1] + "." + parts[2],
            parts[0] + "." + parts[1] + "." + parts[2] + "\n",
        ]
        for token in variants {
            guard case .invalidBase64URL? = Fixtures.rejection(token) else {
                Issue.record("accepted or misclassified non-canonical token: \(token.suffix(12)) \(String(describing: Fixtures.rejection(token)))")
                continue
            }
        }
    }

    @Test func headerMustBeAWellTypedObject() {
        let notJSON = Base64URL.encode(Array("{alg:RS256}".utf8)) + ".e30.AA"
        guard case .invalidJSON(segment: "header", _)? = Fixtures.rejection(notJSON) else {
            Issue.record("header that is not JSON")
            return
        }
        #expect(Fixtures.rejection(Fixtures.forge(header: #"["RS256"]"#, signer: rsaSigner)) == .invalidHeader("must be a JSON object, found array"))
        #expect(Fixtures.rejection(Fixtures.forge(header: #"{"kid":"\#(rsaKid)"}"#, signer: rsaSigner)) == .invalidHeader("\"alg\" is missing"))
        #expect(
            Fixtures.rejection(Fixtures.forge(header: #"{"alg":256,"kid":"\#(rsaKid)"}"#, signer: rsaSigner))
                == .invalidHeader("\"alg\" must be a string, found number"))
        #expect(
            Fixtures.rejection(Fixtures.forge(header: #"{"alg":null}"#, signer: rsaSigner)) == .invalidHeader("\"alg\" must be a string, found null"))
        #expect(
            Fixtures.rejection(Fixtures.forge(header: #"{"alg":"RS256","kid":7}"#, signer: rsaSigner))
                == .invalidHeader("\"kid\" must be a string, found number"))
        #expect(
            Fixtures.rejection(Fixtures.forge(header: #"{"alg":"RS256","alg":"none","kid":"\#(rsaKid)"}"#, signer: rsaSigner))
                == .invalidHeader("duplicate member \"alg\""))
    }

    @Test func keySelection() throws {
        #expect(Fixtures.rejection(Fixtures.forge(header: #"{"alg":"RS256","kid":"nope"}"#, signer: rsaSigner)) == .unknownKeyID("nope"))
        // No kid: exactly one RSA key in this set, so it is used.
        let noKid = Fixtures.forge(header: #"{"alg":"RS256"}"#, signer: rsaSigner)
        #expect(try Fixtures.verifier.verify(noKid).keyID == nil)
        // No kid and two RSA candidates: ambiguous.
        let two = JWSVerifier(keys: ["a": Fixtures.rsa.publicKey], keysWithoutID: [Fixtures.rsa2.publicKey], allowedAlgorithms: [.rs256])
        #expect(Fixtures.rejection(noKid, by: two) == .ambiguousKey(candidates: 2))
        // No kid and no key of the right type.
        let ecOnly = JWSVerifier(keys: ["e": Fixtures.ec.publicKey], allowedAlgorithms: [.rs256, .es256])
        #expect(Fixtures.rejection(noKid, by: ecOnly) == .unknownKeyID(nil))
    }

    @Test func criticalHeadersAreRejected() {
        let token = Fixtures.forge(header: #"{"alg":"RS256","kid":"\#(rsaKid)","crit":["exp"],"exp":1}"#, signer: rsaSigner)
        #expect(Fixtures.rejection(token) == .unsupportedCriticalHeader(["exp"]))
    }

    @Test func embeddedKeysInTheHeaderAreIgnored() throws {
        let attacker = Fixtures.rsa2
        let attackerJWK = JSONValue.object(attacker.publicKey.jwk(kid: nil)).serializedString()
        let signer = try RSASigner(key: attacker)
        let withKid = Fixtures.forge(header: #"{"alg":"RS256","kid":"\#(attacker.publicKey.thumbprint())","jwk":\#(attackerJWK)}"#, signer: signer)
        #expect(Fixtures.rejection(withKid) == .unknownKeyID(attacker.publicKey.thumbprint()))
        let jku = Fixtures.forge(
            header: #"{"alg":"RS256","kid":"\#(rsaKid)","jku":"https://evil.example/jwks","x5u":"https://evil.example/c","jwk":\#(attackerJWK)}"#,
            signer: signer)
        #expect(Fixtures.rejection(jku) == .signatureInvalid)
        // Without kid the configured key is still the one used.
        let noKid = Fixtures.forge(header: #"{"alg":"RS256","jwk":\#(attackerJWK)}"#, signer: signer)
        #expect(Fixtures.rejection(noKid) == .signatureInvalid)
    }

    /// Found by `Fuzz/run jwk` (Fuzz/corpus/jwk/regression-rsa-exponent-leading-zeros.json): "AAAB"
    /// is exponent 1 in a non-minimal spelling; it slipped past the e != 1 check and its own JWK
    /// then did not read back.
    @Test func anRSAExponentWithLeadingZeroBytesIsRefused() throws {
        var jwk = Fixtures.rsaSigning.privateKey.publicKey.jwk(kid: nil)
        for exponent in ["AAAB", "AAEAAQ", "AQ", "Ag"] {
            jwk["e"] = .string(exponent)
            #expect(throws: JOSEError.self, "e = \(exponent)") { try PublicKey(jwk: .object(jwk)) }
        }
        jwk["e"] = "AQAB"
        #expect(try PublicKey(jwk: .object(jwk)).spkiDER == Fixtures.rsaSigning.privateKey.publicKey.spkiDER)
        let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fuzz/corpus/jwk/regression-rsa-exponent-leading-zeros.json")
        #expect(throws: JOSEError.self) { try PublicKey(jwk: try JSONValue.parse(Array(try Data(contentsOf: file)))) }
    }

    @Test func verifierFromJWKSSkipsUnusableEntries() throws {
        let document = jwksDocument(
            [Fixtures.rsaSigning, Fixtures.ecSigning],
            extraKeys: [
                ["kty": "RSA", "kid": "short", "n": "AQAB", "e": "AQAB"],
                ["kty": "oct", "kid": "sym", "k": "c2VjcmV0"],
                ["kty": "EC", "kid": "p384", "crv": "P-384", "x": "AA", "y": "AA"],
                "not even an object",
            ])
        let verifier = try JWSVerifier(jwks: document)
        #expect(verifier.skippedKeys.count == 4)
        let token = try JWT.mint(claims: JWTClaims(sub: "u"), key: Fixtures.ecSigning)
        #expect(try verifier.verify(token).keyID == Fixtures.ecSigning.kid)
        #expect(throws: JOSEError.self) { try JWSVerifier(jwks: ["nokeys": []]) }
    }
}

extension String {
    fileprivate func replacingFirst(_ set: String, _ replacement: String) -> String {
        // Put a '+' or '/' somewhere deterministic even if the signature lacks '-' or '_'.
        var characters = Array(self)
        characters[characters.count / 2] = replacement.first ?? "+"
        return String(characters)
    }
}
