import COpenSSL

/// Fernet tokens (the `cryptography` package's spec): what the WorkOS Python SDKs use to seal a
/// session cookie with the app's `cookie_password`, and what they expect in `sealed_session`.
///
/// Token: base64url(with padding) of `0x80 ‖ timestamp (u64 BE) ‖ IV (16) ‖ AES-128-CBC/PKCS7
/// ciphertext ‖ HMAC-SHA256(signing key, everything before)`. The key is base64url of 32 bytes:
/// the first 16 sign, the last 16 encrypt.
package enum Fernet {
    package struct Key: Sendable {
        let signing: [UInt8]
        let encryption: [UInt8]

        /// `text` as `Fernet.generate_key()` prints it (44 characters, `=`-padded); unpadded works too.
        package init(_ text: String) throws(JOSEError) {
            var trimmed = Substring(text)
            while trimmed.hasSuffix("=") { trimmed = trimmed.dropLast() }
            let bytes: [UInt8]
            do {
                bytes = try Base64URL.decode(trimmed)
            } catch {
                throw .invalidKey("a Fernet key is 32 bytes in url-safe base64 (as Fernet.generate_key() makes); this one is not base64url")
            }
            guard bytes.count == 32 else {
                throw .invalidKey(
                    "a Fernet key is 32 bytes in url-safe base64 (as Fernet.generate_key() makes); this one decodes to \(bytes.count) bytes")
            }
            signing = Array(bytes[0..<16])
            encryption = Array(bytes[16..<32])
        }
    }

    /// Encrypts `plaintext` at `timestamp` (Unix seconds). A fresh random IV unless one is given.
    package static func seal(_ plaintext: [UInt8], key: Key, timestamp: Int64, iv fixedIV: [UInt8]? = nil) throws(JOSEError) -> String {
        var iv = fixedIV ?? [UInt8](repeating: 0, count: 16)
        if fixedIV == nil {
            guard iv.withUnsafeMutableBufferPointer({ RAND_bytes($0.baseAddress, 16) }) == 1 else { throw OpenSSL.error("RAND_bytes") }
        }
        guard iv.count == 16 else { throw .invalidKey("a Fernet IV is 16 bytes") }
        var token: [UInt8] = [0x80]
        let stamp = UInt64(bitPattern: timestamp)
        for shift in stride(from: 56, through: 0, by: -8) { token.append(UInt8(truncatingIfNeeded: stamp >> UInt64(shift))) }
        token += iv
        token += try aes128CBC(encrypt: true, plaintext, key: key.encryption, iv: iv)
        token += try HMACSigner(secret: key.signing).sign(token)
        var out: [UInt8] = []
        token.withUnsafeBytes { Base64URL.append($0, to: &out, alphabet: Base64URL.urlAlphabet, pad: true) }
        return String(decoding: out, as: UTF8.self)
    }

    /// Checks the HMAC and decrypts; the timestamp is not checked (as `Fernet.decrypt` without `ttl`).
    package static func open(_ token: String, key: Key) throws(JOSEError) -> [UInt8] {
        var trimmed = Substring(token)
        while trimmed.hasSuffix("=") { trimmed = trimmed.dropLast() }
        let bytes = try Base64URL.decode(trimmed)
        guard bytes.count >= 1 + 8 + 16 + 16 + 32, bytes[0] == 0x80, (bytes.count - 57) % 16 == 0 else {
            throw .malformedToken("not a Fernet token (version byte 0x80, timestamp, IV, whole AES blocks, HMAC)")
        }
        let body = Array(bytes[..<(bytes.count - 32)])
        let expected = try HMACSigner(secret: key.signing).sign(body)
        guard constantTimeEquals(expected, Array(bytes[(bytes.count - 32)...])) else { throw .signatureInvalid }
        return try aes128CBC(encrypt: false, Array(body[25...]), key: key.encryption, iv: Array(body[9..<25]))
    }

    private static func constantTimeEquals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in a.indices { difference |= a[index] ^ b[index] }
        return difference == 0
    }

    private static func aes128CBC(encrypt: Bool, _ input: [UInt8], key: [UInt8], iv: [UInt8]) throws(JOSEError) -> [UInt8] {
        guard let context = EVP_CIPHER_CTX_new() else { throw OpenSSL.error("EVP_CIPHER_CTX_new") }
        defer { EVP_CIPHER_CTX_free(context) }
        var output = [UInt8](repeating: 0, count: input.count + 16)
        var written: Int32 = 0
        var final: Int32 = 0
        let ok = key.withUnsafeBufferPointer { keyBytes in
            iv.withUnsafeBufferPointer { ivBytes in
                input.withUnsafeBufferPointer { inBytes in
                    output.withUnsafeMutableBufferPointer { outBytes -> Bool in
                        guard EVP_CipherInit_ex(context, EVP_aes_128_cbc(), nil, keyBytes.baseAddress, ivBytes.baseAddress, encrypt ? 1 : 0) == 1,
                            EVP_CipherUpdate(context, outBytes.baseAddress, &written, inBytes.baseAddress, Int32(inBytes.count)) == 1
                        else { return false }
                        return EVP_CipherFinal_ex(context, outBytes.baseAddress.map { $0 + Int(written) }, &final) == 1
                    }
                }
            }
        }
        guard ok else { throw OpenSSL.error(encrypt ? "AES-128-CBC encrypt" : "AES-128-CBC decrypt (wrong key or damaged token)") }
        return Array(output.prefix(Int(written + final)))
    }
}
