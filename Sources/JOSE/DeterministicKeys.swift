import COpenSSL

/// Reproducible key generation for `--seed N`: the same seed always yields the same key, so
/// JWKS, kids and RS256 signatures are stable across runs. These keys are for tests only —
/// anyone who knows the seed knows the private key.
extension PrivateKey {
    /// A P-256 key whose private scalar comes from SHA-256 over the seed (retrying on the
    /// negligible chance it falls outside [1, n-1]).
    package static func generateP256(seed: UInt64) throws(JOSEError) -> PrivateKey {
        var stream = SeededStream(seed: seed, domain: "MockIdP P-256")
        guard let group = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1) else { throw OpenSSL.error("EC_GROUP_new_by_curve_name") }
        defer { EC_GROUP_free(group) }
        guard let context = BN_CTX_new() else { throw OpenSSL.error("BN_CTX_new") }
        defer { BN_CTX_free(context) }
        guard let order = EC_GROUP_get0_order(group) else { throw OpenSSL.error("EC_GROUP_get0_order") }
        while true {
            let scalarBytes = stream.next(32)
            guard let scalar = OpenSSL.bigNum(scalarBytes) else { throw OpenSSL.error("BN_bin2bn") }
            defer { BN_free(scalar) }
            if BN_is_zero(scalar) == 1 || BN_cmp(scalar, order) >= 0 { continue }
            guard let point = EC_POINT_new(group) else { throw OpenSSL.error("EC_POINT_new") }
            defer { EC_POINT_free(point) }
            var encoded = [UInt8](repeating: 0, count: 65)
            guard EC_POINT_mul(group, point, scalar, nil, nil, context) == 1,
                encoded.withUnsafeMutableBufferPointer({
                    EC_POINT_point2oct(group, point, POINT_CONVERSION_UNCOMPRESSED, $0.baseAddress, 65, context)
                }) == 65
            else { throw OpenSSL.error("computing the public point") }
            let pub = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: 65)
            defer { pub.deallocate() }
            _ = pub.initialize(from: encoded)
            let pkey = try OpenSSL.keyFromData(type: "EC", selection: OpenSSL.selectKeyPair) { builder, numbers in
                guard let privateScalar = OpenSSL.bigNum(scalarBytes) else { return false }
                numbers.append(privateScalar)
                return OSSL_PARAM_BLD_push_utf8_string(builder, OpenSSL.cName("group"), OpenSSL.cName("prime256v1"), 0) == 1
                    && OSSL_PARAM_BLD_push_octet_string(builder, OpenSSL.cName("pub"), pub.baseAddress, 65) == 1
                    && OSSL_PARAM_BLD_push_BN(builder, OpenSSL.cName("priv"), privateScalar) == 1
            }
            return try PrivateKey(taking: pkey)
        }
    }

    /// An RSA key from a deterministic prime search: candidates come from the seeded stream
    /// (top two bits set so n has exactly `bits` bits), then step by 2 until OpenSSL's
    /// primality test passes and gcd(p-1, 65537) = 1.
    package static func generateRSA(bits: Int = 2048, seed: UInt64) throws(JOSEError) -> PrivateKey {
        guard bits >= 2048, bits % 16 == 0 else { throw .unsupportedKey("RSA key size \(bits); use a multiple of 16 of at least 2048") }
        var stream = SeededStream(seed: seed, domain: "MockIdP RSA-\(bits)")
        guard let context = BN_CTX_new() else { throw OpenSSL.error("BN_CTX_new") }
        defer { BN_CTX_free(context) }
        var owned: [OpaquePointer] = []
        defer { for bn in owned { BN_clear_free(bn) } }
        func fresh() throws(JOSEError) -> OpaquePointer {
            guard let bn = BN_new() else { throw OpenSSL.error("BN_new") }
            owned.append(bn)
            return bn
        }
        func prime() throws(JOSEError) -> OpaquePointer {
            var bytes = stream.next(bits / 16)
            bytes[0] |= 0xC0
            bytes[bytes.count - 1] |= 0x01
            guard let candidate = OpenSSL.bigNum(bytes) else { throw OpenSSL.error("BN_bin2bn") }
            owned.append(candidate)
            while true {
                if BN_mod_word(candidate, 65537) != 1, BN_check_prime(candidate, context, nil) == 1 { return candidate }
                guard BN_add_word(candidate, 2) == 1 else { throw OpenSSL.error("BN_add_word") }
            }
        }
        var p = try prime()
        var q = try prime()
        if BN_cmp(p, q) == 0 { throw .openSSL("seeded prime search produced p = q") }
        if BN_cmp(p, q) < 0 { swap(&p, &q) }  // conventional p > q
        let e = try fresh()
        let n = try fresh()
        let p1 = try fresh()
        let q1 = try fresh()
        let phi = try fresh()
        let gcd = try fresh()
        let lcm = try fresh()
        let d = try fresh()
        let dp = try fresh()
        let dq = try fresh()
        let qi = try fresh()
        guard BN_set_word(e, 65537) == 1,
            BN_mul(n, p, q, context) == 1,
            BN_copy(p1, p) != nil, BN_sub_word(p1, 1) == 1,
            BN_copy(q1, q) != nil, BN_sub_word(q1, 1) == 1,
            BN_mul(phi, p1, q1, context) == 1,
            BN_gcd(gcd, p1, q1, context) == 1,
            BN_div(lcm, nil, phi, gcd, context) == 1,
            BN_mod_inverse(d, e, lcm, context) != nil,
            BN_div(nil, dp, d, p1, context) == 1,
            BN_div(nil, dq, d, q1, context) == 1,
            BN_mod_inverse(qi, q, p, context) != nil
        else { throw OpenSSL.error("deriving RSA components") }
        let components = [n, e, d, p, q, dp, dq, qi].map { OpenSSL.bigNumBytes($0) }
        return try PrivateKey(taking: rsaKey(components: components))
    }
}

/// SHA-256 in counter mode over (domain, seed): a reproducible byte stream.
struct SeededStream {
    let prefix: [UInt8]
    var counter: UInt64 = 0
    var buffer: [UInt8] = []

    init(seed: UInt64, domain: String) {
        prefix = Array(domain.utf8) + [0] + withUnsafeBytes(of: seed.bigEndian, Array.init)
    }

    mutating func next(_ count: Int) -> [UInt8] {
        while buffer.count < count {
            buffer += OpenSSL.sha256(prefix + withUnsafeBytes(of: counter.bigEndian, Array.init))
            counter += 1
        }
        defer { buffer.removeFirst(count) }
        return Array(buffer.prefix(count))
    }
}
