import JOSE
import JSON
import Testing

/// The encodings the HS256 key-confusion forgeries key with, checked against OpenSSL's own.
@Suite struct PublicKeyEncodingsTests {
    @Test func pkcs1IsTheKeyInsideTheSPKIAndPEMArmourMatchesOpenSSL() throws {
        let key = try PrivateKey.generateRSA(bits: 2048, seed: 11).publicKey
        #expect(PEM.encode(key.spkiDER, label: "PUBLIC KEY") == key.spkiPEM)
        let pkcs1 = try #require(key.pkcs1DER)
        // SPKI = SEQUENCE { algorithm, BIT STRING { 0 unused bits, RSAPublicKey } }.
        #expect(Array(key.spkiDER.suffix(pkcs1.count)) == pkcs1)
        #expect(key.spkiDER[key.spkiDER.count - pkcs1.count - 1] == 0)
        let pem = try #require(key.pkcs1PEM)
        #expect(pem.hasPrefix("-----BEGIN RSA PUBLIC KEY-----\n") && pem.hasSuffix("-----END RSA PUBLIC KEY-----\n"))
        let modulus = try #require(key.modulus)
        #expect(modulus.count == 256 && modulus[0] != 0)
        #expect(Base64URL.encode(modulus) == key.jwk(kid: nil)["n"]?.stringValue)
    }

    @Test func anECKeyHasNoPKCS1FormOrModulus() throws {
        let key = try PrivateKey.generateP256(seed: 3).publicKey
        #expect(key.pkcs1DER == nil && key.pkcs1PEM == nil && key.modulus == nil)
    }
}
