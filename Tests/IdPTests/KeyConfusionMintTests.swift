import Foundation
import IdP
import JOSE
import JSON
import Testing

/// Each HS256 key-confusion forgery is keyed with the encoding its name says, of the active
/// key's public half; the embedded-key forgeries carry the URL they are asked to.
@Suite struct KeyConfusionMintTests {
    @Test func everyHS256ForgeryIsKeyedWithItsOwnEncoding() throws {
        let idp = try MockIdP()
        let user = try #require(idp.directory.user(ref: "alice"))
        let key = idp.keys.activeKey
        let spkiPEM = key.publicKey.spkiPEM
        let pkcs1PEM = try #require(key.publicKey.pkcs1PEM)
        let expected: [(SignMode, [UInt8])] = [
            (.hs256PublicKey, Array(spkiPEM.utf8)),
            (.hs256PublicKeyNoNewline, Array(spkiPEM.dropLast().utf8)),
            (.hs256PKCS1PEM, Array(pkcs1PEM.utf8)),
            (.hs256PKCS1PEMNoNewline, Array(pkcs1PEM.dropLast().utf8)),
            (.hs256SPKIDER, key.publicKey.spkiDER),
            (.hs256PKCS1DER, try #require(key.publicKey.pkcs1DER)),
            (.hs256JWKJSON, JSONValue.object(key.publicJWK()).serialized()),
            (.hs256Modulus, try #require(key.publicKey.modulus)),
        ]
        #expect(spkiPEM.hasSuffix("\n") && pkcs1PEM.hasSuffix("\n"))
        #expect(Set(expected.map(\.1)).count == expected.count, "eight different secrets")
        for (mode, secret) in expected {
            var request = TokenRequest(user: user.id)
            request.sign = mode
            let token = try idp.mintToken(request).token
            let jws = try JWSCompact(parsing: token)
            #expect(try JSONValue.parse(jws.headerBytes)["alg"] == "HS256")
            #expect(try HMACSigner(secret: secret).sign(jws.signingInput) == jws.signature, "\(mode.rawValue)")
        }
    }

    @Test func embeddedKeysNameTheKeyURL() throws {
        let idp = try MockIdP()
        let user = try #require(idp.directory.user(ref: "alice"))
        var request = TokenRequest(user: user.id)
        request.keyURL = "http://127.0.0.1:9/run/jwk.x5u"
        request.sign = .embeddedJWK
        let jwk = try #require(try idp.mintToken(request).header["jwk"])
        #expect(jwk["x5u"]?.stringValue == "http://127.0.0.1:9/run/jwk.x5u")
        request.sign = .embeddedX5C
        let minted = try idp.mintToken(request)
        let certificate = try #require(minted.header["x5c"]?[0]?.stringValue)
        let der = Array(try #require(Data(base64Encoded: certificate)))
        // The caIssuers URI is in the certificate as an IA5String.
        #expect(der.count > 300 && String(decoding: der, as: UTF8.self).contains("http://127.0.0.1:9/run/jwk.x5u"))
        // Signed by the key whose certificate it is, and no published key verifies it.
        #expect(throws: JOSEError.self) { _ = try JWSVerifier(jwks: idp.keys.jwks).verify(minted.token) }
    }
}
