import COpenSSL
import JSON

/// An RSA (≥ 2048) or EC P-256 public key. `@unchecked`: it holds an `EVP_PKEY` pointer, which the
/// checker cannot see into; the key is never mutated after init and OpenSSL allows concurrent
/// use of one `EVP_PKEY` for verification.
package final class PublicKey: @unchecked Sendable {
    let pkey: OpaquePointer
    package let keyType: KeyType
    package let spkiDER: [UInt8]
    /// Base64url key material in JWK member order: `n, e` or `crv, x, y`.
    let material: [(key: String, value: String)]

    /// `spkiDER`, when the caller has the key's encoding already: encoding is an OpenSSL 3
    /// encoder lookup, millions of instructions at startup.
    init(taking pkey: OpaquePointer, spkiDER known: [UInt8]? = nil) throws(JOSEError) {
        let type: KeyType
        do {
            type = try OpenSSL.keyType(of: pkey)
        } catch {
            EVP_PKEY_free(pkey)
            throw error
        }
        self.pkey = pkey
        self.keyType = type
        self.spkiDER = known ?? OpenSSL.spkiDER(pkey)
        switch type {
        case .rsa:
            // bn2bin is minimal, so n never carries a leading zero byte (RFC 7518 §6.3.1.1).
            material = [
                ("n", Base64URL.encode(OpenSSL.bigNumParam(pkey, "n") ?? [])),
                ("e", Base64URL.encode(OpenSSL.bigNumParam(pkey, "e") ?? [])),
            ]
        case .ecP256:
            let x = OpenSSL.bigNumParam(pkey, "qx") ?? []
            let y = OpenSSL.bigNumParam(pkey, "qy") ?? []
            // RFC 7518 §6.2.1.2: coordinates are always the full field size.
            material = [("crv", "P-256"), ("x", Base64URL.encode(Self.leftPad(x, 32))), ("y", Base64URL.encode(Self.leftPad(y, 32)))]
        }
    }

    deinit { EVP_PKEY_free(pkey) }

    private static func leftPad(_ bytes: [UInt8], _ width: Int) -> [UInt8] {
        bytes.count >= width ? bytes : [UInt8](repeating: 0, count: width - bytes.count) + bytes
    }

    convenience init(spkiDER der: [UInt8]) throws(JOSEError) {
        let loaded: OpaquePointer? = der.withUnsafeBufferPointer { buffer in
            var cursor = buffer.baseAddress
            return d2i_PUBKEY(nil, &cursor, buffer.count)
        }
        guard let pkey = loaded else { throw OpenSSL.error("not a DER SubjectPublicKeyInfo") }
        // The one caller, PrivateKey, passes OpenSSL's own encoding of this key: encoding it again gives the same bytes.
        try self.init(taking: pkey, spkiDER: der)
    }

    /// SubjectPublicKeyInfo PEM ("PUBLIC KEY").
    package convenience init(pem: String) throws(JOSEError) {
        let loaded = OpenSSL.readFromMemory(pem) { PEM_read_bio_PUBKEY($0, nil, nil, nil) }
        guard let pkey = loaded else { throw OpenSSL.error("no PUBLIC KEY found in PEM") }
        try self.init(taking: pkey)
    }

    /// An RSA (`n`, `e`) or EC (`crv: P-256`, `x`, `y`) public JWK. Private members are ignored.
    package convenience init(jwk: JSONValue) throws(JOSEError) {
        guard case .object(let object) = jwk else { throw .invalidKey("a JWK must be a JSON object, found \(jwk.typeName)") }
        guard let kty = object["kty"]?.stringValue else { throw .invalidKey("JWK has no string \"kty\"") }
        func member(_ name: String) throws(JOSEError) -> [UInt8] {
            guard let text = object[name]?.stringValue else { throw .invalidKey("\(kty) JWK lacks string member \"\(name)\"") }
            return try Base64URL.decode(text)
        }
        let pkey: OpaquePointer
        switch kty {
        case "RSA":
            let n = try member("n")
            let e = try member("e")
            guard let first = n.first, first != 0 else { throw .invalidKey("RSA modulus \"n\" is empty or has a leading zero byte") }
            guard n.count >= 256 else { throw .unsupportedKey("RSA modulus is \(n.count * 8) bits; at least 2048 are required") }
            // Base64urlUInt is minimal (RFC 7518 §2): "AAAB" is not another spelling of 1 to let through.
            guard (1...8).contains(e.count), e.first != 0, e.last.map({ $0 & 1 == 1 }) == true, e != [1] else {
                throw .invalidKey("RSA exponent \"e\" must be an odd integer above 1 of at most 8 bytes, without leading zero bytes")
            }
            pkey = try OpenSSL.keyFromData(type: "RSA", selection: OpenSSL.selectPublicKey) { builder, numbers in
                guard let bnN = OpenSSL.bigNum(n), let bnE = OpenSSL.bigNum(e) else { return false }
                numbers += [bnN, bnE]
                return OSSL_PARAM_BLD_push_BN(builder, OpenSSL.cName("n"), bnN) == 1
                    && OSSL_PARAM_BLD_push_BN(builder, OpenSSL.cName("e"), bnE) == 1
            }
        case "EC":
            guard let crv = object["crv"]?.stringValue else { throw .invalidKey("EC JWK has no string \"crv\"") }
            guard crv == "P-256" else { throw .unsupportedKey("EC curve \"\(crv)\"; only P-256 is supported") }
            let x = try member("x")
            let y = try member("y")
            guard x.count == 32, y.count == 32 else {
                throw .invalidKey("P-256 coordinates must be 32 bytes each, found x \(x.count) and y \(y.count)")
            }
            // The builder reads the point only at conversion, so it lives in a buffer we own until then.
            let point = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: 65)
            defer { point.deallocate() }
            _ = point.initialize(from: [0x04] + x + y)
            pkey = try OpenSSL.keyFromData(type: "EC", selection: OpenSSL.selectPublicKey) { builder, _ in
                OSSL_PARAM_BLD_push_utf8_string(builder, OpenSSL.cName("group"), OpenSSL.cName("prime256v1"), 0) == 1
                    && OSSL_PARAM_BLD_push_octet_string(builder, OpenSSL.cName("pub"), point.baseAddress, 65) == 1
            }
        default:
            throw .unsupportedKey("JWK kty \"\(kty)\"; only RSA and EC are supported")
        }
        try self.init(taking: pkey)
        if case .ecP256 = keyType, !Self.isOnCurve(self.pkey) {
            throw .invalidKey("EC point (x, y) is not on P-256")
        }
    }

    private static func isOnCurve(_ pkey: OpaquePointer) -> Bool {
        guard let context = EVP_PKEY_CTX_new(pkey, nil) else { return false }
        defer { EVP_PKEY_CTX_free(context) }
        let ok = EVP_PKEY_public_check(context) == 1
        if !ok { ERR_clear_error() }
        return ok
    }

    package var spkiPEM: String {
        OpenSSL.writeToMemory { PEM_write_bio_PUBKEY($0, pkey) } ?? ""
    }

    package var algorithm: JWSAlgorithm { keyType.defaultAlgorithm }

    /// Members in the order `kty, use, alg, kid, n, e` or `kty, use, alg, kid, crv, x, y`.
    package func jwk(kid: String?) -> JSONObject {
        var object = JSONObject()
        object.members.reserveCapacity(7)
        object.members.append((key: "kty", value: .string(keyType.jwkKeyType)))
        object.members.append((key: "use", value: "sig"))
        object.members.append((key: "alg", value: .string(algorithm.rawValue)))
        if let kid { object.members.append((key: "kid", value: .string(kid))) }
        for (name, value) in material { object.members.append((key: name, value: .string(value))) }
        return object
    }

    /// RFC 7638 JWK thumbprint: SHA-256 over the required members in lexicographic order.
    package func thumbprint() -> String {
        var canonical = JSONObject()
        switch keyType {
        case .rsa:
            canonical.members = [("e", .string(material[1].value)), ("kty", "RSA"), ("n", .string(material[0].value))]
        case .ecP256:
            canonical.members = [("crv", "P-256"), ("kty", "EC"), ("x", .string(material[1].value)), ("y", .string(material[2].value))]
        }
        return Base64URL.encode(OpenSSL.sha256(JSONValue.object(canonical).serialized()))
    }
}
