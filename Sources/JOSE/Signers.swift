import COpenSSL

/// Produces the JWS signature over a signing input (`BASE64URL(header) || '.' || BASE64URL(payload)`).
public protocol JWSSigner: Sendable {
    var algorithm: String { get }
    func sign(bytes signingInput: UnsafeRawBufferPointer) throws(JOSEError) -> [UInt8]
}

extension JWSSigner {
    public func sign(_ signingInput: [UInt8]) throws(JOSEError) -> [UInt8] {
        let result: Result<[UInt8], JOSEError> = signingInput.withUnsafeBytes { raw in
            Result { () throws(JOSEError) -> [UInt8] in try sign(bytes: raw) }
        }
        return try result.get()
    }
}

/// RS256: RSASSA-PKCS1-v1_5 with SHA-256.
public struct RSASigner: JWSSigner {
    public let key: PrivateKey
    public var algorithm: String { "RS256" }

    public init(key: PrivateKey) throws(JOSEError) {
        guard case .rsa = key.keyType else { throw .algorithmKeyMismatch(alg: "RS256", keyType: key.keyType.description) }
        self.key = key
    }

    public func sign(bytes signingInput: UnsafeRawBufferPointer) throws(JOSEError) -> [UInt8] {
        let digest = OpenSSL.sha256(signingInput)
        return try RawSignature.sign(digest: digest, with: key.pkey, rsaPadding: true)
    }
}

/// ES256: ECDSA P-256 with SHA-256, emitted as the JWS fixed-width `r || s` (RFC 7518 §3.4).
public struct ECDSASigner: JWSSigner {
    public let key: PrivateKey
    public var algorithm: String { "ES256" }

    public init(key: PrivateKey) throws(JOSEError) {
        guard case .ecP256 = key.keyType else { throw .algorithmKeyMismatch(alg: "ES256", keyType: key.keyType.description) }
        self.key = key
    }

    public func sign(bytes signingInput: UnsafeRawBufferPointer) throws(JOSEError) -> [UInt8] {
        let digest = OpenSSL.sha256(signingInput)
        let der = try RawSignature.sign(digest: digest, with: key.pkey, rsaPadding: false)
        return try ECDSASignature.rawFromDER(der)
    }
}

/// HS256 with arbitrary key bytes. MockIdP never verifies HMAC; this exists to forge the
/// "HS256 keyed with the issuer's public key" attack against confused verifiers.
public struct HMACSigner: JWSSigner {
    public let secret: [UInt8]
    public var algorithm: String { "HS256" }

    public init(secret: [UInt8]) { self.secret = secret }

    public func sign(bytes signingInput: UnsafeRawBufferPointer) throws(JOSEError) -> [UInt8] {
        var mac = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        let ok = secret.withUnsafeBytes { key in
            mac.withUnsafeMutableBufferPointer { out in
                HMAC(EVP_sha256(), key.baseAddress, Int32(key.count),
                     signingInput.baseAddress?.assumingMemoryBound(to: UInt8.self), signingInput.count,
                     out.baseAddress, &length) != nil
            }
        }
        guard ok, length == 32 else { throw OpenSSL.error("HMAC-SHA256") }
        return mac
    }
}

/// Signs and verifies precomputed SHA-256 digests with EVP_PKEY_sign / EVP_PKEY_verify.
enum RawSignature {
    static func sign(digest: [UInt8], with pkey: OpaquePointer, rsaPadding: Bool) throws(JOSEError) -> [UInt8] {
        guard let context = EVP_PKEY_CTX_new(pkey, nil) else { throw OpenSSL.error("EVP_PKEY_CTX_new") }
        defer { EVP_PKEY_CTX_free(context) }
        guard EVP_PKEY_sign_init(context) == 1,
              !rsaPadding || EVP_PKEY_CTX_set_rsa_padding(context, RSA_PKCS1_PADDING) == 1,
              EVP_PKEY_CTX_set_signature_md(context, EVP_sha256()) == 1
        else { throw OpenSSL.error("preparing to sign") }
        var length = Int(EVP_PKEY_get_size(pkey))
        var signature = [UInt8](repeating: 0, count: length)
        let status = signature.withUnsafeMutableBufferPointer { out in
            digest.withUnsafeBufferPointer { EVP_PKEY_sign(context, out.baseAddress, &length, $0.baseAddress, $0.count) }
        }
        guard status == 1 else { throw OpenSSL.error("signing") }
        if length < signature.count { signature.removeLast(signature.count - length) }
        return signature
    }

    /// `true` only for a valid signature; OpenSSL's "bad signature" errors are cleared, not thrown.
    static func verify(signature: [UInt8], digest: [UInt8], with pkey: OpaquePointer, rsaPadding: Bool) throws(JOSEError) -> Bool {
        guard let context = EVP_PKEY_CTX_new(pkey, nil) else { throw OpenSSL.error("EVP_PKEY_CTX_new") }
        defer { EVP_PKEY_CTX_free(context) }
        guard EVP_PKEY_verify_init(context) == 1,
              !rsaPadding || EVP_PKEY_CTX_set_rsa_padding(context, RSA_PKCS1_PADDING) == 1,
              EVP_PKEY_CTX_set_signature_md(context, EVP_sha256()) == 1
        else { throw OpenSSL.error("preparing to verify") }
        let status = signature.withUnsafeBufferPointer { sig in
            digest.withUnsafeBufferPointer { EVP_PKEY_verify(context, sig.baseAddress, sig.count, $0.baseAddress, $0.count) }
        }
        ERR_clear_error()
        return status == 1
    }
}

/// Converts between the DER ECDSA-Sig-Value OpenSSL speaks and the JWS `r || s` form.
public enum ECDSASignature {
    public static func rawFromDER(_ der: [UInt8]) throws(JOSEError) -> [UInt8] {
        let parsed: OpaquePointer? = der.withUnsafeBufferPointer { buffer in
            var cursor = buffer.baseAddress
            return d2i_ECDSA_SIG(nil, &cursor, buffer.count)
        }
        guard let sig = parsed else { throw OpenSSL.error("parsing DER ECDSA signature") }
        defer { ECDSA_SIG_free(sig) }
        guard let r = ECDSA_SIG_get0_r(sig), let s = ECDSA_SIG_get0_s(sig),
              BN_num_bits(r) <= 256, BN_num_bits(s) <= 256
        else { throw .openSSL("ECDSA signature components exceed 32 bytes") }
        return OpenSSL.bigNumBytes(r, paddedTo: 32) + OpenSSL.bigNumBytes(s, paddedTo: 32)
    }

    public static func derFromRaw(_ raw: [UInt8]) throws(JOSEError) -> [UInt8] {
        guard raw.count == 64 else { throw .signatureLength(expected: 64, actual: raw.count) }
        guard let sig = ECDSA_SIG_new() else { throw OpenSSL.error("ECDSA_SIG_new") }
        defer { ECDSA_SIG_free(sig) }
        guard let r = OpenSSL.bigNum(Array(raw[0..<32])) else { throw OpenSSL.error("BN_bin2bn") }
        guard let s = OpenSSL.bigNum(Array(raw[32..<64])) else { BN_free(r); throw OpenSSL.error("BN_bin2bn") }
        guard ECDSA_SIG_set0(sig, r, s) == 1 else { BN_free(r); BN_free(s); throw OpenSSL.error("ECDSA_SIG_set0") }
        var der = [UInt8](repeating: 0, count: 80)
        let length = der.withUnsafeMutableBufferPointer { buffer in
            var cursor = buffer.baseAddress
            return i2d_ECDSA_SIG(sig, &cursor)
        }
        guard length > 0 else { throw OpenSSL.error("encoding DER ECDSA signature") }
        return Array(der[0..<Int(length)])
    }
}
