import Dispatch
import Glibc
import IdP
import JOSE

#if canImport(Glibc)
    import Glibc
#endif

/// Signatures per second on the calling thread: raw OpenSSL as the ceiling, and the mock's own
/// mint path (`MockIdP.mintToken`: lookup, session, WorkOS claims, serialization, signature).
package enum SigningRates {
    /// One operation to time, run `weight` times per round.
    package struct Probe {
        package var weight: Int
        package var operation: () throws -> Void

        package init(weight: Int = 1, _ operation: @escaping () throws -> Void) {
            self.weight = weight
            self.operation = operation
        }
    }

    /// EVP_PKEY_sign of a fixed SHA-256 digest with one prepared context: the best OpenSSL can
    /// do with no JOSE work at all.
    package static func rawSign(key: PrivateKey, weight: Int = 1) throws(JOSEError) -> Probe {
        let prepared = try PreparedSigning(key: key)
        let digest = SHA256Digest.hash(Array("MockIdP benchmark".utf8))
        var signature = [UInt8](repeating: 0, count: prepared.signatureCapacity)
        return Probe(weight: weight) { _ = try prepared.sign(digest: digest, into: &signature) }
    }

    /// One token through the product's path.
    package static func mint(_ idp: MockIdP, _ request: TokenRequest, weight: Int = 1) -> Probe {
        Probe(weight: weight) {
            let minted = try idp.mintToken(request)
            precondition(!minted.token.isEmpty, "minted nothing")
        }
    }

    /// Operations per second of each probe, in this thread's CPU time: on a shared machine, wall
    /// time mostly measures how long the thread waited for a core. The probes also take turns,
    /// a few operations at a time, so what load does to caches and clocks falls on all alike.
    package static func interleaved(rounds: Int, _ probes: [Probe]) throws -> [Double] {
        var nanoseconds = [UInt64](repeating: 0, count: probes.count)
        for _ in 0..<max(rounds, 1) {
            for (index, probe) in probes.enumerated() {
                let start = threadCPUNanoseconds()
                for _ in 0..<probe.weight { try probe.operation() }
                nanoseconds[index] &+= threadCPUNanoseconds() &- start
            }
        }
        return probes.indices.map { index in
            nanoseconds[index] > 0 ? Double(probes[index].weight * max(rounds, 1)) / (Double(nanoseconds[index]) / 1e9) : .infinity
        }
    }

    static func threadCPUNanoseconds() -> UInt64 {
        var spec = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &spec)
        return UInt64(spec.tv_sec) &* 1_000_000_000 &+ UInt64(spec.tv_nsec)
    }
}
