import COpenSSL
import Synchronization

/// One JWS algorithm bound to a key (jwt-kit's `JWTAlgorithm`): signs a signing input
/// (`BASE64URL(header) || '.' || BASE64URL(payload)`) with the private half and verifies a
/// signature with the public half. A value made from a public key only verifies.
package protocol JWSSigner: Sendable {
    var algorithm: JWSAlgorithm { get }
    func sign(bytes signingInput: UnsafeRawBufferPointer) throws(JOSEError) -> [UInt8]
    /// `true` only for a valid signature over `signingInput`.
    func verify(_ signature: [UInt8], signs signingInput: UnsafeRawBufferPointer) throws(JOSEError) -> Bool
}

extension JWSSigner {
    package func sign(_ signingInput: [UInt8]) throws(JOSEError) -> [UInt8] {
        let result: Result<[UInt8], JOSEError> = signingInput.withUnsafeBytes { raw in
            Result { () throws(JOSEError) -> [UInt8] in try sign(bytes: raw) }
        }
        return try result.get()
    }

    package func verify(_ signature: [UInt8], signs signingInput: [UInt8]) throws(JOSEError) -> Bool {
        let result: Result<Bool, JOSEError> = signingInput.withUnsafeBytes { raw in
            Result { () throws(JOSEError) -> Bool in try verify(signature, signs: raw) }
        }
        return try result.get()
    }
}

/// RS256: RSASSA-PKCS1-v1_5 with SHA-256.
package struct RSASigner: JWSSigner {
    package let publicKey: PublicKey
    let contexts: SigningContexts?
    package var algorithm: JWSAlgorithm { .rs256 }

    package init(key: PrivateKey) throws(JOSEError) {
        guard case .rsa = key.keyType else { throw .algorithmKeyMismatch(alg: "RS256", keyType: key.keyType.description) }
        contexts = SigningContexts(key: key)
        publicKey = key.publicKey
    }

    /// Verifies only.
    package init(publicKey: PublicKey) throws(JOSEError) {
        guard case .rsa = publicKey.keyType else { throw .algorithmKeyMismatch(alg: "RS256", keyType: publicKey.keyType.description) }
        contexts = nil
        self.publicKey = publicKey
    }

    package func sign(bytes signingInput: UnsafeRawBufferPointer) throws(JOSEError) -> [UInt8] {
        guard let contexts else { throw .invalidKey("RS256 signing needs the private key") }
        return try contexts.sign(digest: OpenSSL.sha256(signingInput))
    }

    package func verify(_ signature: [UInt8], signs signingInput: UnsafeRawBufferPointer) throws(JOSEError) -> Bool {
        try RawSignature.verify(signature: signature, digest: OpenSSL.sha256(signingInput), with: publicKey.pkey, rsaPadding: true)
    }
}

/// ES256: ECDSA P-256 with SHA-256, as the JWS fixed-width `r || s` (RFC 7518 §3.4).
package struct ECDSASigner: JWSSigner {
    package let publicKey: PublicKey
    let contexts: SigningContexts?
    package var algorithm: JWSAlgorithm { .es256 }

    package init(key: PrivateKey) throws(JOSEError) {
        guard case .ecP256 = key.keyType else { throw .algorithmKeyMismatch(alg: "ES256", keyType: key.keyType.description) }
        contexts = SigningContexts(key: key)
        publicKey = key.publicKey
    }

    /// Verifies only.
    package init(publicKey: PublicKey) throws(JOSEError) {
        guard case .ecP256 = publicKey.keyType else { throw .algorithmKeyMismatch(alg: "ES256", keyType: publicKey.keyType.description) }
        contexts = nil
        self.publicKey = publicKey
    }

    package func sign(bytes signingInput: UnsafeRawBufferPointer) throws(JOSEError) -> [UInt8] {
        guard let contexts else { throw .invalidKey("ES256 signing needs the private key") }
        return try ECDSASignature.rawFromDER(try contexts.sign(digest: OpenSSL.sha256(signingInput)))
    }

    package func verify(_ signature: [UInt8], signs signingInput: UnsafeRawBufferPointer) throws(JOSEError) -> Bool {
        try RawSignature.verify(
            signature: ECDSASignature.derFromRaw(signature), digest: OpenSSL.sha256(signingInput),
            with: publicKey.pkey, rsaPadding: false)
    }
}

/// HS256 with arbitrary key bytes. MockIdP never verifies HMAC tokens from apps; this exists to
/// forge the "HS256 keyed with the issuer's public key" attack against confused verifiers.
package struct HMACSigner: JWSSigner {
    package let secret: [UInt8]
    package var algorithm: JWSAlgorithm { .hs256 }

    package init(secret: [UInt8]) { self.secret = secret }

    package func sign(bytes signingInput: UnsafeRawBufferPointer) throws(JOSEError) -> [UInt8] {
        var mac = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        let ok = secret.withUnsafeBytes { key in
            mac.withUnsafeMutableBufferPointer { out in
                HMAC(
                    EVP_sha256(), key.baseAddress, Int32(key.count),
                    signingInput.baseAddress?.assumingMemoryBound(to: UInt8.self), signingInput.count,
                    out.baseAddress, &length) != nil
            }
        }
        guard ok, length == 32 else { throw OpenSSL.error("HMAC-SHA256") }
        return mac
    }

    package func verify(_ signature: [UInt8], signs signingInput: UnsafeRawBufferPointer) throws(JOSEError) -> Bool {
        let expected = try sign(bytes: signingInput)
        guard signature.count == expected.count else { return false }
        // Constant time: look at every byte whatever the first difference.
        return zip(signature, expected).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }
}

extension PublicKey {
    /// The verify-only algorithm value for this key's one algorithm.
    var verifier: any JWSSigner {
        get throws(JOSEError) {
            switch keyType {
            case .rsa: return try RSASigner(publicKey: self)
            case .ecP256: return try ECDSASigner(publicKey: self)
            }
        }
    }
}

/// Prepared signing contexts for one private key, reused across signatures: setting one up (an
/// algorithm fetch in OpenSSL 3) costs a few percent of an RSA signature, on the mock's hottest
/// path. A context serves one signature at a time; concurrent signers each take their own.
final class SigningContexts: Sendable {
    private let key: PrivateKey
    private let idle = Mutex<[PreparedSigning]>([])
    /// Enough for the connection threads that sign at once; more are made and dropped.
    private static let kept = 8

    init(key: PrivateKey) { self.key = key }

    func sign(digest: [UInt8]) throws(JOSEError) -> [UInt8] {
        let context: PreparedSigning
        if let reused = idle.withLock({ $0.popLast() }) {
            context = reused
        } else {
            context = try PreparedSigning(key: key)
        }
        var signature = [UInt8](repeating: 0, count: context.signatureCapacity)
        let length = try context.sign(digest: digest, into: &signature)
        // Only a context that just signed cleanly goes back for reuse.
        idle.withLock { if $0.count < Self.kept { $0.append(context) } }
        if length < signature.count { signature.removeLast(signature.count - length) }
        return signature
    }
}

/// An EVP signing context set up once for a key: SHA-256, with PKCS#1 v1.5 padding for RSA.
/// Unchecked `Sendable` because an `EVP_PKEY_CTX` must not be used by two threads at once:
/// `SigningContexts` hands each instance to one signer at a time, and the benchmark keeps its
/// own on one thread.
package final class PreparedSigning: @unchecked Sendable {
    private let context: OpaquePointer
    /// Keeps the key (and so the `EVP_PKEY` the context points into) alive.
    private let key: PrivateKey?
    package let signatureCapacity: Int

    package convenience init(key: PrivateKey) throws(JOSEError) {
        try self.init(pkey: key.pkey, rsaPadding: key.keyType != .ecP256, key: key)
    }

    /// The caller keeps `pkey` alive while this exists.
    init(pkey: OpaquePointer, rsaPadding: Bool, key: PrivateKey? = nil) throws(JOSEError) {
        guard let context = EVP_PKEY_CTX_new(pkey, nil) else { throw OpenSSL.error("EVP_PKEY_CTX_new") }
        guard EVP_PKEY_sign_init(context) == 1,
            !rsaPadding || EVP_PKEY_CTX_set_rsa_padding(context, RSA_PKCS1_PADDING) == 1,
            EVP_PKEY_CTX_set_signature_md(context, EVP_sha256()) == 1
        else {
            EVP_PKEY_CTX_free(context)
            throw OpenSSL.error("preparing to sign")
        }
        self.context = context
        self.key = key
        signatureCapacity = Int(EVP_PKEY_get_size(pkey))
    }

    deinit { EVP_PKEY_CTX_free(context) }

    /// Signs a SHA-256 digest into `signature` (at least `signatureCapacity` bytes); returns the length.
    package func sign(digest: [UInt8], into signature: inout [UInt8]) throws(JOSEError) -> Int {
        var length = signature.count
        let status = signature.withUnsafeMutableBufferPointer { out in
            digest.withUnsafeBufferPointer { EVP_PKEY_sign(context, out.baseAddress, &length, $0.baseAddress, $0.count) }
        }
        guard status == 1 else { throw OpenSSL.error("signing") }
        return length
    }
}

/// Signs and verifies precomputed SHA-256 digests with EVP_PKEY_sign / EVP_PKEY_verify.
enum RawSignature {
    static func sign(digest: [UInt8], with pkey: OpaquePointer, rsaPadding: Bool) throws(JOSEError) -> [UInt8] {
        let prepared = try PreparedSigning(pkey: pkey, rsaPadding: rsaPadding)
        var signature = [UInt8](repeating: 0, count: prepared.signatureCapacity)
        let length = try prepared.sign(digest: digest, into: &signature)
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
package enum ECDSASignature {
    /// Read by hand: OpenSSL's `d2i_ECDSA_SIG` and two BIGNUMs cost about 5 % of an ES256 mint.
    /// The input is the signature OpenSSL just made, so only the P-256 shape is accepted:
    /// `SEQUENCE { INTEGER r, INTEGER s }` with short-form lengths and each value within 32 bytes.
    package static func rawFromDER(_ der: [UInt8]) throws(JOSEError) -> [UInt8] {
        var raw = [UInt8](repeating: 0, count: 64)
        guard der.count >= 8, der[0] == 0x30, der[1] < 0x80, Int(der[1]) == der.count - 2 else {
            throw .openSSL("parsing DER ECDSA signature: not a short SEQUENCE")
        }
        var offset = 2
        for half in 0..<2 {
            guard offset + 2 <= der.count, der[offset] == 0x02, der[offset + 1] < 0x80 else {
                throw .openSSL("parsing DER ECDSA signature: INTEGER expected at byte \(offset)")
            }
            let length = Int(der[offset + 1])
            offset += 2
            guard length >= 1, offset + length <= der.count else { throw .openSSL("parsing DER ECDSA signature: truncated INTEGER") }
            var start = offset
            // The sign byte DER puts before a value whose top bit is set.
            while start < offset + length - 1, der[start] == 0 { start += 1 }
            let significant = offset + length - start
            guard significant <= 32 else { throw .openSSL("ECDSA signature components exceed 32 bytes") }
            for index in 0..<significant { raw[half * 32 + 32 - significant + index] = der[start + index] }
            offset += length
        }
        guard offset == der.count else { throw .openSSL("parsing DER ECDSA signature: trailing bytes") }
        return raw
    }

    package static func derFromRaw(_ raw: [UInt8]) throws(JOSEError) -> [UInt8] {
        guard raw.count == 64 else { throw .signatureLength(expected: 64, actual: raw.count) }
        guard let sig = ECDSA_SIG_new() else { throw OpenSSL.error("ECDSA_SIG_new") }
        defer { ECDSA_SIG_free(sig) }
        guard let r = OpenSSL.bigNum(Array(raw[0..<32])) else { throw OpenSSL.error("BN_bin2bn") }
        guard let s = OpenSSL.bigNum(Array(raw[32..<64])) else {
            BN_free(r)
            throw OpenSSL.error("BN_bin2bn")
        }
        guard ECDSA_SIG_set0(sig, r, s) == 1 else {
            BN_free(r)
            BN_free(s)
            throw OpenSSL.error("ECDSA_SIG_set0")
        }
        var der = [UInt8](repeating: 0, count: 80)
        let length = der.withUnsafeMutableBufferPointer { buffer in
            var cursor = buffer.baseAddress
            return i2d_ECDSA_SIG(sig, &cursor)
        }
        guard length > 0 else { throw OpenSSL.error("encoding DER ECDSA signature") }
        return Array(der[0..<Int(length)])
    }
}
