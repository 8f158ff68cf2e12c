import JOSE
import Testing

@testable import IdP

/// Rotation keys: seeded, the nth key of an algorithm is the same in every run, made ahead in
/// the background or not; unseeded, every key is new.
@Suite struct KeyFactoryTests {
    func thumbprints(_ factory: KeyFactory, _ algorithms: [JWSAlgorithm]) throws -> [String] {
        try algorithms.map { try factory.make($0).privateKey.publicKey.thumbprint() }
    }

    @Test func seededKeysFollowTheSeedAndTheirPlaceNotTheOrderOfOtherDraws() throws {
        let order: [JWSAlgorithm] = [.rs256, .es256, .rs256, .es256]
        let plain = try thumbprints(KeyFactory(seed: 41), order)
        let ahead = KeyFactory(seed: 41, prefetch: true)
        ahead.warm(.rs256)
        #expect(try thumbprints(ahead, order) == plain)
        // Each lane counts on its own: the RSA keys do not move when no EC key is drawn between them.
        let rsaOnly = try thumbprints(KeyFactory(seed: 41), [.rs256, .rs256])
        #expect(rsaOnly == [plain[0], plain[2]])
        #expect(Set(plain).count == 4)
        #expect(try thumbprints(KeyFactory(seed: 42), order) != plain)
    }

    @Test func unseededKeysAreAllNew() throws {
        let factory = KeyFactory(seed: nil, prefetch: true)
        factory.warm(.es256)
        let made = try thumbprints(factory, [.es256, .es256, .es256])
        #expect(Set(made).count == 3)
    }

    @Test func aRotationPublishesAKeyThatSignsAndVerifies() throws {
        var configuration = IdPConfiguration()
        configuration.seed = 7
        configuration.prefetchKeys = true
        let idp = try MockIdP(configuration: configuration)
        let first = try #require(try idp.keys.apply(.add(algorithm: .rs256)))
        let second = try #require(try idp.keys.apply(.add(algorithm: .rs256)))
        #expect(first.kid != second.kid)
        #expect(first.privateKey.publicKey.thumbprint() != second.privateKey.publicKey.thumbprint())
        let minted = try idp.mintToken(TokenRequest(user: "alice"))
        #expect(minted.header["kid"]?.stringValue == second.kid)
        let verifier = try JWSVerifier(jwks: idp.keys.jwks)
        _ = try verifier.verify(minted.token)
    }
}
