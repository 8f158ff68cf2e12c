import COpenSSL
import JSON

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A private key ready to mint tokens: its kid, signer, certificate and precomputed default header.
package struct SigningKey: Sendable {
    package let kid: String
    package let privateKey: PrivateKey
    package let algorithm: JWSAlgorithm
    package let certificateDER: [UInt8]
    package let signer: any JWSSigner

    /// - Parameters:
    ///   - kid: defaults to the RFC 7638 thumbprint of the public key.
    ///   - certificateSerial: defaults to 16 random bytes; pass seed-derived bytes for reproducible output.
    ///   - notBefore: certificate start (Unix seconds); defaults to now.
    package init(privateKey: PrivateKey, kid: String? = nil, certificateSerial: [UInt8]? = nil, notBefore: Int64? = nil) throws(JOSEError) {
        self.privateKey = privateKey
        self.kid = kid ?? privateKey.publicKey.thumbprint()
        self.algorithm = privateKey.algorithm
        switch privateKey.keyType {
        case .rsa: signer = try RSASigner(key: privateKey)
        case .ecP256: signer = try ECDSASigner(key: privateKey)
        }
        let serial: [UInt8]
        if let certificateSerial { serial = certificateSerial } else { serial = try SelfSignedCertificate.randomSerial() }
        let start = notBefore ?? Int64(time(nil))
        certificateDER = try SelfSignedCertificate.der(for: privateKey, serial: serial, notBefore: start)
    }

    package var publicKey: PublicKey { privateKey.publicKey }

    /// Another self-signed certificate for this key whose `caIssuers` names `issuerURL`: the
    /// forger's embedded `x5c` that invites a fetch.
    package func certificate(issuerURL: String) throws(JOSEError) -> [UInt8] {
        try SelfSignedCertificate.der(
            for: privateKey, serial: try SelfSignedCertificate.randomSerial(), notBefore: Int64(time(nil)), issuerURL: issuerURL)
    }

    /// The public JWK plus `x5c` (standard base64 DER, RFC 7517 §4.7) and `x5t#S256`.
    package func publicJWK() -> JSONObject {
        var jwk = publicKey.jwk(kid: kid)
        jwk.members.append((key: "x5c", value: [.string(Base64Standard.encode(certificateDER))]))
        jwk.members.append((key: "x5t#S256", value: .string(Base64URL.encode(OpenSSL.sha256(certificateDER)))))
        return jwk
    }
}

/// `{"keys":[...]}` for the given keys, followed by `extraKeys` verbatim (which lets the mock
/// publish deliberately unusable entries to test that clients skip them).
package func jwksDocument(_ keys: [SigningKey], extraKeys: [JSONValue] = []) -> JSONValue {
    .object(["keys": .array(keys.map { .object($0.publicJWK()) } + extraKeys)])
}
