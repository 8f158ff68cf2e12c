import JOSE
import JSON

/// A sign-in in progress: what `/login` must find again at `/callback`.
struct PendingLogin: Sendable, Equatable {
    /// Sent as `state` to authorize; the callback's `state` must equal it (CSRF).
    let state: String
    /// The PKCE code verifier; only its S256 challenge left the app.
    let verifier: String
    /// An app path to land on after the login.
    let returnTo: String
    /// Unix seconds.
    let expiresAt: Int64

    /// A fresh login: 256-bit random state and verifier.
    static func begin(returnTo: String, now: Int64, lifetime: Int64) -> PendingLogin {
        PendingLogin(
            state: Base64URL.encode(Identifiers.randomBytes(32)), verifier: Base64URL.encode(Identifiers.randomBytes(32)),
            returnTo: returnTo, expiresAt: now + lifetime)
    }

    /// `BASE64URL(SHA256(verifier))` (RFC 7636 S256).
    var challenge: String { Base64URL.encode(SHA256Digest.hash(Array(verifier.utf8))) }
}

/// Keeps a `PendingLogin` in the browser, in a cookie the browser cannot read (HttpOnly) or
/// alter (HMAC-SHA256 with a key that never leaves this process): `v1.<payload>.<mac>`.
struct LoginCookieSealer: Sendable {
    private let signer: HMACSigner

    init(key: [UInt8] = Identifiers.randomBytes(32)) { signer = HMACSigner(secret: key) }

    func seal(_ login: PendingLogin) -> String {
        let payload: JSONValue = [
            "s": .string(login.state), "v": .string(login.verifier), "r": .string(login.returnTo),
            "e": .int(login.expiresAt),
        ]
        let body = "v1." + Base64URL.encode(payload.serialized())
        return body + "." + Base64URL.encode(mac(body))
    }

    /// The login sealed in `value`, or nil when it is malformed, forged or expired.
    func open(_ value: String, now: Int64) -> PendingLogin? {
        guard let dot = value.lastIndex(of: "."), value.hasPrefix("v1.") else { return nil }
        let body = String(value[..<dot])
        guard let sent = try? Base64URL.decode(value[value.index(after: dot)...]), (try? signer.verify(sent, signs: Array(body.utf8))) == true,
            let bytes = try? Base64URL.decode(body.dropFirst(3)), let payload = try? JSONValue.parse(bytes),
            let state = payload["s"]?.stringValue, let verifier = payload["v"]?.stringValue,
            let returnTo = payload["r"]?.stringValue, let expiresAt = payload["e"]?.intValue, now < expiresAt
        else { return nil }
        return PendingLogin(state: state, verifier: verifier, returnTo: returnTo, expiresAt: expiresAt)
    }

    private func mac(_ text: String) -> [UInt8] {
        // A MAC that could not be computed must match nothing, not a zero-filled buffer.
        (try? signer.sign(Array(text.utf8))) ?? Identifiers.randomBytes(32)
    }

    static func constantTimeEquals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for (x, y) in zip(a, b) { difference |= x ^ y }
        return difference == 0
    }
}
