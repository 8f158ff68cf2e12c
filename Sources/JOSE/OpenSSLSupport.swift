import COpenSSL

/// Small helpers around OpenSSL's C API, kept in one place so ownership rules are visible.
enum OpenSSL {
    /// The thread's OpenSSL error queue as one line, drained so the next call starts clean.
    static func error(_ context: String) -> JOSEError {
        var parts: [String] = []
        while true {
            let code = ERR_get_error()
            if code == 0 { break }
            var buffer = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &buffer, buffer.count)
            parts.append(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        return .openSSL(parts.isEmpty ? context : "\(context): \(parts.joined(separator: "; "))")
    }

    /// SHA-256 fetched once: OpenSSL 3's one-shot `SHA256()` looks the algorithm up by name on
    /// every call, about a tenth of an ES256 mint's own work.
    private nonisolated(unsafe) static let sha256Method: OpaquePointer? = EVP_MD_fetch(nil, "SHA256", nil)

    static func sha256(_ bytes: UnsafeRawBufferPointer) -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: 32)
        digest.withUnsafeMutableBufferPointer { out in
            var length: UInt32 = 0
            if let method = sha256Method, EVP_Digest(bytes.baseAddress, bytes.count, out.baseAddress, &length, method, nil) == 1, length == 32 {
                return
            }
            _ = SHA256(bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), bytes.count, out.baseAddress)
        }
        return digest
    }

    static func sha256(_ bytes: [UInt8]) -> [UInt8] {
        bytes.withUnsafeBytes { sha256($0) }
    }

    /// Runs `body` with a fresh memory BIO and returns what it wrote.
    static func writeToMemory(_ body: (OpaquePointer) -> Int32) -> String? {
        guard let bio = BIO_new(BIO_s_mem()) else { return nil }
        defer { BIO_free(bio) }
        guard body(bio) > 0 else { return nil }
        var pointer: UnsafeMutablePointer<CChar>? = nil
        let length = mockidp_BIO_get_mem_data(bio, &pointer)
        guard let pointer, length > 0 else { return nil }
        return pointer.withMemoryRebound(to: UInt8.self, capacity: length) {
            String(decoding: UnsafeBufferPointer(start: $0, count: length), as: UTF8.self)
        }
    }

    /// Runs `body` with a read-only memory BIO over `text`.
    static func readFromMemory<T>(_ text: String, _ body: (OpaquePointer) -> T?) -> T? {
        let bytes = Array(text.utf8)
        return bytes.withUnsafeBytes { raw -> T? in
            guard let bio = BIO_new_mem_buf(raw.baseAddress, Int32(raw.count)) else { return nil }
            defer { BIO_free(bio) }
            return body(bio)
        }
    }

    static func bigNumBytes(_ bn: OpaquePointer, paddedTo width: Int? = nil) -> [UInt8] {
        let natural = (Int(BN_num_bits(bn)) + 7) / 8
        let length = max(width ?? natural, natural)
        var out = [UInt8](repeating: 0, count: length)
        out.withUnsafeMutableBufferPointer { _ = BN_bn2binpad(bn, $0.baseAddress, Int32(length)) }
        return out
    }

    static func bigNumParam(_ pkey: OpaquePointer, _ name: String) -> [UInt8]? {
        var bn: OpaquePointer? = nil
        guard EVP_PKEY_get_bn_param(pkey, name, &bn) == 1, let bn else { return nil }
        defer { BN_free(bn) }
        return bigNumBytes(bn)
    }

    static func bigNum(_ bytes: [UInt8]) -> OpaquePointer? {
        bytes.withUnsafeBufferPointer { BN_bin2bn($0.baseAddress, Int32($0.count), nil) }
    }

    /// DER SubjectPublicKeyInfo of any key (a private key yields its public half).
    static func spkiDER(_ pkey: OpaquePointer) -> [UInt8] {
        let length = i2d_PUBKEY(pkey, nil)
        guard length > 0 else { return [] }
        var out = [UInt8](repeating: 0, count: Int(length))
        out.withUnsafeMutableBufferPointer { buffer in
            var cursor = buffer.baseAddress
            _ = i2d_PUBKEY(pkey, &cursor)
        }
        return out
    }

    /// Classifies a key, refusing anything but RSA ≥ 2048 bits and EC P-256.
    static func keyType(of pkey: OpaquePointer) throws(JOSEError) -> KeyType {
        switch EVP_PKEY_get_base_id(pkey) {
        case EVP_PKEY_RSA:
            let bits = Int(EVP_PKEY_get_bits(pkey))
            guard bits >= 2048 else { throw .unsupportedKey("RSA key is \(bits) bits; at least 2048 are required") }
            return .rsa(bits: bits)
        case EVP_PKEY_EC:
            var name = [CChar](repeating: 0, count: 64)
            var length = 0
            guard EVP_PKEY_get_utf8_string_param(pkey, "group", &name, name.count, &length) == 1 else {
                ERR_clear_error()
                throw .unsupportedKey("EC key without a named curve; only P-256 is supported")
            }
            let curve = String(decoding: name.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self)
            guard curve == "prime256v1" || curve == "P-256" else {
                throw .unsupportedKey("EC curve \(curve); only P-256 is supported")
            }
            return .ecP256
        default:
            throw .unsupportedKey("key type \(EVP_PKEY_get_base_id(pkey)); only RSA and EC P-256 are supported")
        }
    }

    /// Builds a key from OSSL_PARAMs, the OpenSSL 3 way to import raw components.
    /// `build` pushes parameters and hands back the BIGNUMs it pushed: the builder reads them only
    /// when converting to params, so they are freed after that.
    static func keyFromData(type: String, selection: Int32, build: (OpaquePointer, inout [OpaquePointer]) -> Bool) throws(JOSEError) -> OpaquePointer
    {
        guard let builder = OSSL_PARAM_BLD_new() else { throw error("OSSL_PARAM_BLD_new") }
        defer { OSSL_PARAM_BLD_free(builder) }
        var numbers: [OpaquePointer] = []
        defer { for number in numbers { BN_free(number) } }
        guard build(builder, &numbers), let params = OSSL_PARAM_BLD_to_param(builder) else { throw error("building \(type) key parameters") }
        defer { OSSL_PARAM_free(params) }
        guard let context = EVP_PKEY_CTX_new_from_name(nil, type, nil) else { throw error("EVP_PKEY_CTX_new_from_name") }
        defer { EVP_PKEY_CTX_free(context) }
        var pkey: OpaquePointer? = nil
        guard EVP_PKEY_fromdata_init(context) == 1,
            EVP_PKEY_fromdata(context, &pkey, selection, params) == 1,
            let pkey
        else { throw error("importing \(type) key components") }
        return pkey
    }

    /// OSSL_PARAM_BLD keeps the name pointers it is given until conversion, so names must be
    /// static C strings, never temporaries bridged from Swift Strings.
    static func cName(_ name: StaticString) -> UnsafePointer<CChar> {
        UnsafeRawPointer(name.utf8Start).assumingMemoryBound(to: CChar.self)
    }

    // evp.h defines these as OR-ed macros Swift cannot import; values from OpenSSL 3.0's evp.h.
    static let selectPublicKey: Int32 = 0x86  // EVP_PKEY_PUBLIC_KEY
    static let selectKeyPair: Int32 = 0x87  // EVP_PKEY_KEYPAIR
}
