import JSON
import Testing

@testable import JOSE

/// One serializer, one splitter, and one type per algorithm that both signs and verifies.
@Suite struct JWSCompactTests {
    /// The hand-written DER reader against DER built independently (TestDER): values with a
    /// sign byte, with leading zeros dropped, and the smallest ones; anything else is refused.
    @Test func ecdsaDERConvertsToFixedWidthRawAndBack() throws {
        var high = [UInt8](repeating: 0xFF, count: 32)
        high[31] = 0x80
        var short = [UInt8](repeating: 0, count: 32)
        short[31] = 0x01
        var middle = [UInt8](repeating: 0, count: 32)
        middle[5] = 0x7F
        middle[31] = 0x42
        for (r, s) in [(high, short), (short, high), (middle, high), (short, short), (middle, middle)] {
            let raw = r + s
            let der = TestDER.ecdsaSignature(raw: raw)
            #expect(try ECDSASignature.rawFromDER(der) == raw, "\(der)")
            #expect(try ECDSASignature.derFromRaw(raw) == der)
        }
        let der = TestDER.ecdsaSignature(raw: middle + high)
        let wrongSequenceTag: [UInt8] = [0x31] + Array(der.dropFirst())
        let wrongIntegerTag: [UInt8] = Array(der.prefix(2)) + [0x03] + Array(der.dropFirst(3))
        let thirtyThreeBytes: [UInt8] = [0x30, 0x26, 0x02, 0x21, 0x01] + [UInt8](repeating: 0xAA, count: 32) + [0x02, 0x01, 0x01]
        let truncated: [UInt8] = Array(der.dropLast())
        let trailing: [UInt8] = der + [0]
        for broken in [truncated, trailing, wrongSequenceTag, wrongIntegerTag, thirtyThreeBytes] {
            #expect(throws: JOSEError.self, "\(broken)") { try ECDSASignature.rawFromDER(broken) }
        }
    }

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
