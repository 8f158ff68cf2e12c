#if canImport(Glibc)
    import Glibc
#endif

/// Secret-grade random bytes with one kernel draw per call. Swift's `SystemRandomNumberGenerator`
/// makes a getrandom(2) call for every 8 bytes, and a byte-by-byte draw made one per byte:
/// millions of calls in one self-test round. OpenSSL's `RAND_bytes` is no better here: each new
/// connection thread seeds a DRBG of its own.
package enum SecureRandom {
    package static func bytes(_ count: Int) -> [UInt8] {
        guard count > 0 else { return [] }
        var out = [UInt8](repeating: 0, count: count)
        #if canImport(Glibc)
            // glibc's arc4random_buf reads getrandom(2) (the kernel's CSPRNG) for the whole buffer.
            out.withUnsafeMutableBytes { buffer in
                if let base = buffer.baseAddress { arc4random_buf(base, buffer.count) }
            }
        #else
            var system = SystemRandomNumberGenerator()
            var index = 0
            while index < count {
                var word = system.next()
                for _ in 0..<min(8, count - index) {
                    out[index] = UInt8(truncatingIfNeeded: word)
                    word >>= 8
                    index += 1
                }
            }
        #endif
        return out
    }
}
