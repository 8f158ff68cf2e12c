import JSON
import Testing
@testable import JOSE

/// One serializer, one splitter, and one type per algorithm that both signs and verifies.
@Suite struct JWSCompactTests {
    @Test func serializesExactBytesAndParsesThemBack() throws {
        let header = Fixtures.bytes(#"{"alg":"RS256","alg":"none" }"#)
        let payload = Fixtures.bytes(#"{"sub":"u","sub":"v"}"#)
        let signed = try JWSCompact(headerBytes: header, payloadBytes: payload, signer: RSASigner(key: Fixtures.rsa))
        let parsed = try JWSCompact(parsing: signed.serialized)
        #expect(parsed == signed)
        #expect(parsed.headerBytes == header)
        #expect(parsed.payloadBytes == payload)
        #expect(signed.serialized == (try JWS.sign(headerBytes: header, payloadBytes: payload, signer: RSASigner(key: Fixtures.rsa))))
        #expect(JWS.signingInput(headerBytes: header, payloadBytes: payload) == signed.signingInput)
        var stripped = signed
        stripped.signature = []
        #expect(stripped.serialized.hasSuffix("."))
        #expect(throws: JOSEError.self) { try JWSCompact(parsing: "a.b") }
        #expect(throws: JOSEError.self) { try JWSCompact(parsing: "a.b.c!") }
    }

    @Test func eachAlgorithmVerifiesWhatItSignedAndNothingElse() throws {
        let input = Fixtures.bytes("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1In0")
        let signers: [any JWSSigner] = [try RSASigner(key: Fixtures.rsa), try ECDSASigner(key: Fixtures.ec), HMACSigner(secret: Array("k".utf8))]
        #expect(signers.map(\.algorithm) == [.rs256, .es256, .hs256])
        for signer in signers {
            var signature = try signer.sign(input)
            #expect(try signer.verify(signature, signs: input))
            #expect(try !signer.verify(signature, signs: input + [0x41]))
            signature[signature.count / 2] ^= 1
            #expect(try !signer.verify(signature, signs: input))
        }
        // Made from a public key, the value verifies but cannot sign.
        let publicOnly = try RSASigner(publicKey: Fixtures.rsa.publicKey)
        #expect(try publicOnly.verify(try RSASigner(key: Fixtures.rsa).sign(input), signs: input))
        #expect(throws: JOSEError.self) { try publicOnly.sign(input) }
        #expect(try !RSASigner(publicKey: Fixtures.rsa2.publicKey).verify(try RSASigner(key: Fixtures.rsa).sign(input), signs: input))
        #expect(throws: JOSEError.self) { try ECDSASigner(publicKey: Fixtures.rsa.publicKey) }
    }
}
