import Dispatch
import JOSE
import Synchronization

/// Fresh key pairs for `--keys generate`, rotations and forgeries.
///
/// Seeded, the nth key of an algorithm comes from (seed, algorithm, n) alone, whatever IDs were
/// drawn meanwhile, so concurrent scenarios cannot shift it; and the key pair is remembered for
/// the process, so many mocks with one seed (the self-test's runs) generate it once. With
/// `prefetch`, the next key of each algorithm in use is made on a background thread, so a
/// rotation in a timed scenario does not pay a 2048-bit prime search on its clock.
package final class KeyFactory: Sendable {
    /// A fresh private key, and the seed it came from when seeded (the certificate's serial).
    package struct Made: Sendable {
        package var privateKey: PrivateKey
        package var seed: UInt64?
    }

    private final class Pending: Sendable {
        private let done = DispatchGroup()
        private let result = Mutex<Result<Made, JOSEError>?>(nil)

        init(_ make: @escaping @Sendable () -> Result<Made, JOSEError>) {
            done.enter()
            DispatchQueue.global(qos: .userInitiated).async {
                let made = make()
                self.result.withLock { $0 = made }
                self.done.leave()
            }
        }

        func wait() -> Result<Made, JOSEError> {
            done.wait()
            return result.withLock { $0 } ?? .failure(.openSSL("background key generation ended without a key"))
        }
    }

    private struct Lane {
        var taken = 0
        var next: Pending?
    }

    private let seed: UInt64?
    private let prefetch: Bool
    private let lanes = Mutex<[JWSAlgorithm: Lane]>([:])

    /// Seeded key pairs by (algorithm, key seed), kept for the life of the process.
    private static let remembered = Mutex<[String: PrivateKey]>([:])
    private static let rememberedLimit = 64

    package init(seed: UInt64?, prefetch: Bool = false) {
        self.seed = seed
        self.prefetch = prefetch
    }

    package func make(_ algorithm: JWSAlgorithm) throws(IdPError) -> Made {
        let (index, pending): (Int, Pending?) = lanes.withLock { lanes in
            var lane = lanes[algorithm] ?? Lane()
            let index = lane.taken
            let pending = lane.next
            lane.taken += 1
            lane.next = prefetch ? Pending { [self] in self.generate(algorithm, index: index + 1) } : nil
            lanes[algorithm] = lane
            return (index, pending)
        }
        let result = pending?.wait() ?? generate(algorithm, index: index)
        switch result {
        case .success(let made): return made
        case .failure(let error): throw .invalidRequest(code: "key_generation_failed", message: error.description)
        }
    }

    /// Starts making the next key of `algorithm` in the background (with `prefetch`).
    package func warm(_ algorithm: JWSAlgorithm) {
        guard prefetch else { return }
        lanes.withLock { lanes in
            var lane = lanes[algorithm] ?? Lane()
            guard lane.next == nil else { return }
            let index = lane.taken
            lane.next = Pending { [self] in self.generate(algorithm, index: index) }
            lanes[algorithm] = lane
        }
    }

    /// Waits for keys still being made in the background: a process must not exit while a
    /// thread is inside OpenSSL (its exit handlers free the locks that thread holds).
    package func finishPending() {
        let pending = lanes.withLock { lanes in lanes.values.compactMap(\.next) }
        for key in pending { _ = key.wait() }
    }

    private func generate(_ algorithm: JWSAlgorithm, index: Int) -> Result<Made, JOSEError> {
        Result { () throws(JOSEError) -> Made in
            guard let seed else {
                return Made(privateKey: algorithm == .es256 ? try PrivateKey.generateP256() : try PrivateKey.generateRSA(bits: 2048))
            }
            let keySeed = Self.keySeed(seed: seed, algorithm: algorithm, index: index)
            let name = "\(algorithm.rawValue)/\(keySeed)"
            if let known = Self.remembered.withLock({ $0[name] }) { return Made(privateKey: known, seed: keySeed) }
            let key = algorithm == .es256 ? try PrivateKey.generateP256(seed: keySeed) : try PrivateKey.generateRSA(bits: 2048, seed: keySeed)
            Self.remembered.withLock { remembered in
                if remembered.count >= Self.rememberedLimit { remembered.removeAll() }
                remembered[name] = key
            }
            return Made(privateKey: key, seed: keySeed)
        }
    }

    static func keySeed(seed: UInt64, algorithm: JWSAlgorithm, index: Int) -> UInt64 {
        var input = Array("MockIdP key \(algorithm.rawValue) \(index) ".utf8)
        withUnsafeBytes(of: seed.bigEndian) { input.append(contentsOf: $0) }
        return SHA256Digest.hash(input).prefix(8).reduce(0) { $0 << 8 | UInt64($1) }
    }
}
