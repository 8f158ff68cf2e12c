import JOSE
import Testing

@testable import SampleApp

/// The sealed `app_login` cookie: its MAC is HMAC-SHA256 as an independent implementation
/// computes it, and a cookie altered, expired or sealed under another key opens to nothing.
@Suite struct LoginCookieTests {
    let login = PendingLogin(state: "st", verifier: "ver", returnTo: "/account", expiresAt: 1_700_000_600)

    @Test func theMACIsHMACSHA256() {
        // Python's hmac.new(b"Jefe", body, hashlib.sha256) over the same body (the RFC 4231 key).
        let expected = "v1.eyJzIjoic3QiLCJ2IjoidmVyIiwiciI6Ii9hY2NvdW50IiwiZSI6MTcwMDAwMDYwMH0.Vn2Es5OutBFwTcu8PSLreDy2MzpYcAoCxf_WnvyXi8M"
        let sealer = LoginCookieSealer(key: Array("Jefe".utf8))
        #expect(sealer.seal(login) == expected)
        #expect(sealer.open(expected, now: 1_700_000_000) == login)
    }

    @Test func alteredExpiredOrForeignCookiesOpenToNothing() {
        let sealer = LoginCookieSealer()
        let cookie = sealer.seal(login)
        #expect(sealer.open(cookie, now: 1_700_000_599) == login)
        #expect(sealer.open(cookie, now: 1_700_000_600) == nil, "expired")
        #expect(LoginCookieSealer().open(cookie, now: 1_700_000_000) == nil, "another key")
        var flipped = Array(cookie.utf8)
        flipped[5] = flipped[5] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        #expect(sealer.open(String(decoding: flipped, as: UTF8.self), now: 1_700_000_000) == nil, "payload altered")
        #expect(sealer.open(String(cookie.dropLast(2)), now: 1_700_000_000) == nil, "MAC cut")
        #expect(sealer.open("v2" + cookie.dropFirst(2), now: 1_700_000_000) == nil, "unknown version")
    }
}
