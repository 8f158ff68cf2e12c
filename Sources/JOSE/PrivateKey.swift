import COpenSSL
import JSON

/// An RSA (≥ 2048) or EC P-256 private key. `@unchecked`: it holds an `EVP_PKEY` pointer, which the
/// checker cannot see into; the key is never mutated after init, and signing contexts made from it
/// (`PreparedSigning`) are used by one thread at a time.
package final class PrivateKey: @unchecked Sendable {
    let pkey: OpaquePointer
    package let keyType: KeyType
    /// Derived once: JWKS and kid computations ask for it repeatedly.
    package let publicKey: PublicKey

    /// Takes ownership of `pkey`, freeing it if the key is refused.
    init(taking pkey: OpaquePointer) throws(JOSEError) {
        let type: KeyType
        let publicKey: PublicKey
        do {
            type = try OpenSSL.keyType(of: pkey)
            publicKey = try PublicKey(spkiDER: OpenSSL.spkiDER(pkey))
        } catch {
            EVP_PKEY_free(pkey)
            throw error
        }
        self.pkey = pkey
        self.keyType = type
        self.publicKey = publicKey
    }

    deinit { EVP_PKEY_free(pkey) }

    /// PKCS#8 "PRIVATE KEY", or the traditional "RSA PRIVATE KEY" / "EC PRIVATE KEY" forms.
    package convenience init(pem: String) throws(JOSEError) {
        let loaded = OpenSSL.readFromMemory(pem) { PEM_read_bio_PrivateKey($0, nil, nil, nil) }
        guard let pkey = loaded else {
            throw OpenSSL.error("no unencrypted private key found in PEM")
        }
        try self.init(taking: pkey)
    }

    package static func generateRSA(bits: Int = 2048) throws(JOSEError) -> PrivateKey {
        guard bits >= 2048 else { throw .unsupportedKey("RSA key size \(bits); at least 2048 bits are required") }
        return try generate(type: "RSA") { EVP_PKEY_CTX_set_rsa_keygen_bits($0, Int32(bits)) }
    }

    package static func generateP256() throws(JOSEError) -> PrivateKey {
        try generate(type: "EC") { EVP_PKEY_CTX_set_group_name($0, "P-256") }
    }

    private static func generate(type: String, configure: (OpaquePointer) -> Int32) throws(JOSEError) -> PrivateKey {
        guard let context = EVP_PKEY_CTX_new_from_name(nil, type, nil) else { throw OpenSSL.error("EVP_PKEY_CTX_new_from_name") }
        defer { EVP_PKEY_CTX_free(context) }
        var pkey: OpaquePointer? = nil
        guard EVP_PKEY_keygen_init(context) == 1, configure(context) > 0,
            EVP_PKEY_generate(context, &pkey) == 1, let pkey
        else { throw OpenSSL.error("generating \(type) key") }
        return try PrivateKey(taking: pkey)
    }

    /// An RSA private key from JWK members (`n e d p q dp dq qi`), as RFC 7515's examples give them.
    package convenience init(rsaJWK jwk: JSONValue) throws(JOSEError) {
        let names = ["n", "e", "d", "p", "q", "dp", "dq", "qi"]
        var parts: [[UInt8]] = []
        for name in names {
            guard let text = jwk[name]?.stringValue else { throw .invalidKey("RSA private JWK lacks string member \"\(name)\"") }
            parts.append(try Base64URL.decode(text))
        }
        let pkey = try Self.rsaKey(components: parts)
        try self.init(taking: pkey)
    }

    /// Imports `n e d p q dp dq qi` (big-endian bytes) as an RSA key pair.
    static func rsaKey(components parts: [[UInt8]]) throws(JOSEError) -> OpaquePointer {
        let osslNames: [StaticString] = ["n", "e", "d", "rsa-factor1", "rsa-factor2", "rsa-exponent1", "rsa-exponent2", "rsa-coefficient1"]
        return try OpenSSL.keyFromData(type: "RSA", selection: OpenSSL.selectKeyPair) { builder, numbers in
            for (name, bytes) in zip(osslNames, parts) {
                guard let bn = OpenSSL.bigNum(bytes) else { return false }
                numbers.append(bn)
                guard OSSL_PARAM_BLD_push_BN(builder, OpenSSL.cName(name), bn) == 1 else { return false }
            }
            return true
        }
    }

    package var algorithm: JWSAlgorithm { keyType.defaultAlgorithm }

    package var pkcs8PEM: String {
        OpenSSL.writeToMemory { PEM_write_bio_PrivateKey($0, pkey, nil, nil, 0, nil, nil) } ?? ""
    }
}
