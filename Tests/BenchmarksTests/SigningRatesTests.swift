import Benchmarks
import Foundation
import IdP
import JOSE
import Testing

/// `mockidp bench` measures the mock's own mint path, against raw OpenSSL with the same key.
@Suite struct SigningRatesTests {
    /// Smoke-tests the bench hooks; set JOSE_BENCH_ITERATIONS for a real measurement.
    @Test func ratesArePositiveAndTheMintFigureIsTheProductPath() throws {
        let iterations = ProcessInfo.processInfo.environment["JOSE_BENCH_ITERATIONS"].flatMap(Int.init) ?? 20
        let idp = try MockIdP()
        let sessionsBefore = idp.directory.sessions.count
        let ec = try PrivateKey.generateP256()
        let rates = try SigningRates.interleaved(
            rounds: iterations,
            [
                try SigningRates.rawSign(key: idp.keys.activeKey.privateKey),
                SigningRates.mint(idp, TokenRequest(user: "alice")),
                try SigningRates.rawSign(key: ec, weight: 3),
            ])
        let (raw, mint, rawEC) = (rates[0], rates[1], rates[2])
        // Every timed mint went through MockIdP.mintToken: each one opened a session.
        #expect(idp.directory.sessions.count == sessionsBefore + iterations)
        for rate in [raw, mint, rawEC] { #expect(rate > 0 && rate.isFinite) }
        print("bench raw RSA sign \(Int(raw))/s, RS256 mintToken \(Int(mint))/s (\(Int(mint / raw * 100))%); raw EC sign \(Int(rawEC))/s")
        #expect(throws: IdPError.notFound(entity: "User", id: "nobody")) {
            try SigningRates.interleaved(rounds: 1, [SigningRates.mint(idp, TokenRequest(user: "nobody"))])
        }
    }
}
