import Foundation
import Testing
@testable import JOSE

@Suite struct BenchmarkHookTests {
    /// Smoke-tests the bench hooks; set JOSE_BENCH_ITERATIONS for a real measurement.
    @Test func ratesArePositiveAndReported() throws {
        let iterations = ProcessInfo.processInfo.environment["JOSE_BENCH_ITERATIONS"].flatMap(Int.init) ?? 20
        let raw = try JOSEBenchmark.rawRSASignRate(key: Fixtures.rsa, iterations: iterations)
        let mint = try JOSEBenchmark.rs256MintRate(key: Fixtures.rsaSigning, iterations: iterations)
        let rawEC = try JOSEBenchmark.rawECSignRate(key: Fixtures.ec, iterations: iterations)
        let mintEC = try JOSEBenchmark.es256MintRate(key: Fixtures.ecSigning, iterations: iterations)
        for rate in [raw, mint, rawEC, mintEC] { #expect(rate > 0 && rate.isFinite) }
        print("bench raw RSA sign \(Int(raw))/s, RS256 mint \(Int(mint))/s (\(Int(mint / raw * 100))%); raw EC sign \(Int(rawEC))/s, ES256 mint \(Int(mintEC))/s (\(Int(mintEC / rawEC * 100))%)")
        #expect(throws: JOSEError.self) { try JOSEBenchmark.rawRSASignRate(key: Fixtures.ec, iterations: 1) }
    }
}
