import Testing

@testable import JOSE

@Suite struct SecureRandomTests {
    @Test func drawsTheLengthAskedForAndNeverRepeats() {
        #expect(SecureRandom.bytes(0).isEmpty)
        for count in [1, 7, 8, 9, 16, 32, 4096] {
            #expect(SecureRandom.bytes(count).count == count)
        }
        // 128-bit draws: a repeat, or a draw of all zeros, means the buffer was never filled.
        let draws = (0..<1000).map { _ in SecureRandom.bytes(16) }
        #expect(Set(draws).count == draws.count)
        #expect(!draws.contains([UInt8](repeating: 0, count: 16)))
    }

    @Test func everyByteValueTurnsUp() {
        // 64 KiB of uniform bytes miss a given value with probability (255/256)^65536 ≈ e^-256.
        var seen = Set<UInt8>()
        for byte in SecureRandom.bytes(65_536) { seen.insert(byte) }
        #expect(seen.count == 256)
    }
}
