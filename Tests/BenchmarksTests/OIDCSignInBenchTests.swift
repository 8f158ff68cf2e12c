import Benchmarks
import Testing

/// The OIDC sign-in bench runs end to end (a broken flow throws); no timing is asserted.
@Suite struct OIDCSignInBenchTests {
    @Test func theSignInBenchCompletesRealSignIns() throws {
        let figures = try Benchmarks.oidcSignIn(iterations: 10)
        #expect(figures.iterations == 10)
        #expect(figures.p50Micros > 0 && figures.p99Micros >= figures.p50Micros)
    }
}
