import JOSE
import JSON
import Synchronization

/// The IdP's signing keys: which one signs, which ones JWKS publishes, and the rotations a
/// scenario asks for. The JWKS body is rendered once per change, not once per request.
package final class KeyRing: Sendable {
    package enum Change: Sendable {
        /// A new key signs from now on; the old ones stay published.
        case add(algorithm: JWSAlgorithm)
        /// Stop publishing `kid` (and stop signing with it, if it was active).
        case remove(kid: String)
        /// New key material under the same `kid`: a cache keyed by `kid` alone goes stale.
        case replace(kid: String)
        /// Sign with `kid` from now on, without changing what is published.
        case activate(kid: String)
        /// Publish a key no client can parse next to the real ones (RFC 7517 §5: ignore it).
        case publishUnparseable
        case clearUnparseable

        /// The action names of the `/_mock/keys` body and the scenario `keys` step.
        package static let actions = ["add", "remove", "replace", "activate", "publish-unparseable", "clear-unparseable"]

        /// Decodes an action; `algorithm` (RS256 or ES256) only matters to `add`, which otherwise
        /// uses `defaultAlgorithm`.
        package init(action: String, kid: String?, algorithm: String? = nil, default defaultAlgorithm: JWSAlgorithm) throws(IdPError) {
            func requireKid() throws(IdPError) -> String {
                guard let kid else { throw .invalidParameters("action '\(action)' needs a kid") }
                return kid
            }
            switch action {
            case "add":
                var chosen = defaultAlgorithm
                if let algorithm {
                    guard let parsed = JWSAlgorithm(rawValue: algorithm), parsed != .hs256 else {
                        throw .invalidParameters("algorithm must be RS256 or ES256")
                    }
                    chosen = parsed
                }
                self = .add(algorithm: chosen)
            case "remove": self = .remove(kid: try requireKid())
            case "replace": self = .replace(kid: try requireKid())
            case "activate": self = .activate(kid: try requireKid())
            case "publish-unparseable": self = .publishUnparseable
            case "clear-unparseable": self = .clearUnparseable
            default:
                throw .invalidParameters("action must be add, remove, replace, activate, publish-unparseable or clear-unparseable")
            }
        }
    }

    struct State {
        var published: [SigningKey]
        var activeKID: String
        var unparseable: [JSONValue] = []
        var jwksBody: [UInt8] = []
    }

    private let state: ReadMostly<State>
    private let initial: State
    private let ids: IDGenerator
    private let factory: KeyFactory

    package init(keys: [SigningKey], ids: IDGenerator, factory: KeyFactory? = nil) throws(IdPError) {
        guard let first = keys.first else {
            throw .invalidRequest(code: "no_signing_key", message: "the key ring needs at least one signing key")
        }
        self.ids = ids
        self.factory = factory ?? KeyFactory(seed: ids.seed)
        var initial = State(published: keys, activeKID: first.kid)
        initial.jwksBody = Self.render(initial)
        self.initial = initial
        state = ReadMostly(initial)
    }

    package var activeKey: SigningKey {
        state.read { state in state.published.first { $0.kid == state.activeKID } ?? state.published[0] }
    }

    package var publishedKeys: [SigningKey] { state.read { $0.published } }

    package func key(kid: String) -> SigningKey? { state.read { $0.published.first { $0.kid == kid } } }

    /// The serialized JWKS document, ready to send.
    package var jwksBody: [UInt8] { state.read { $0.jwksBody } }

    package var jwks: JSONValue { (try? JSONValue.parse(jwksBody)) ?? ["keys": []] }

    /// A fresh key with a WorkOS-style `kid` (`sso_oidc_key_pair_<ULID>`).
    package func makeKey(algorithm: JWSAlgorithm, kid: String? = nil) throws(IdPError) -> SigningKey {
        try Self.signingKey(factory.make(algorithm), kid: kid ?? ids.id(.keyPair))
    }

    private let attackerKeys = Mutex<[JWSAlgorithm: PrivateKey]>([:])

    /// A key the JWKS never publishes, under a fresh `kid` each call. The key pair is made once:
    /// forging many unknown-kid tokens (a JWKS-fetch flood) must not cost a key generation each.
    package func attackerKey(algorithm: JWSAlgorithm) throws(IdPError) -> SigningKey {
        let existing = attackerKeys.withLock { $0[algorithm] }
        let privateKey: PrivateKey
        if let existing {
            privateKey = existing
        } else {
            privateKey = try factory.make(algorithm).privateKey
            attackerKeys.withLock { $0[algorithm] = privateKey }
        }
        do {
            return try SigningKey(privateKey: privateKey, kid: ids.id(.keyPair))
        } catch {
            throw .invalidRequest(code: "key_generation_failed", message: error.description)
        }
    }

    /// Seeded, the certificate's serial and start come from the key's seed too, so a `--seed`
    /// run publishes the same JWKS every time.
    static func signingKey(_ made: KeyFactory.Made, kid: String) throws(IdPError) -> SigningKey {
        do {
            guard let seed = made.seed else { return try SigningKey(privateKey: made.privateKey, kid: kid) }
            return try SigningKey(
                privateKey: made.privateKey, kid: kid, certificateSerial: withUnsafeBytes(of: seed.bigEndian) { Array($0) },
                notBefore: Int64(IDGenerator.seededEpochMillis / 1000))
        } catch {
            throw .invalidRequest(code: "key_generation_failed", message: error.description)
        }
    }

    /// Applies a rotation and returns the key it made (if any).
    @discardableResult
    package func apply(_ change: Change) throws(IdPError) -> SigningKey? {
        var made: SigningKey?
        switch change {
        case .add(let algorithm):
            made = try makeKey(algorithm: algorithm)
        case .replace(let kid):
            guard let old = key(kid: kid) else { throw .notFound(entity: "Signing key", id: kid) }
            made = try makeKey(algorithm: old.algorithm, kid: kid)
        case .remove, .activate, .publishUnparseable, .clearUnparseable:
            break
        }
        let key = made
        try state.write { (state) throws(IdPError) in
            switch change {
            case .add:
                if let key {
                    state.published.append(key)
                    state.activeKID = key.kid
                }
            case .replace(let kid):
                if let key, let index = state.published.firstIndex(where: { $0.kid == kid }) { state.published[index] = key }
            case .remove(let kid):
                guard let index = state.published.firstIndex(where: { $0.kid == kid }) else {
                    throw .notFound(entity: "Signing key", id: kid)
                }
                guard state.published.count > 1 else {
                    throw .invalidRequest(code: "last_signing_key", message: "cannot remove the only signing key; add one first")
                }
                state.published.remove(at: index)
                if state.activeKID == kid, let last = state.published.last { state.activeKID = last.kid }
            case .activate(let kid):
                guard state.published.contains(where: { $0.kid == kid }) else { throw .notFound(entity: "Signing key", id: kid) }
                state.activeKID = kid
            case .publishUnparseable:
                state.unparseable.append([
                    "kty": "AKP", "use": "sig", "alg": "ML-DSA-44", "kid": .string("unparseable_\(state.unparseable.count + 1)"),
                    "pub": "bm90LWEtcmVhbC1rZXk",
                ])
            case .clearUnparseable:
                state.unparseable.removeAll()
            }
            state.jwksBody = Self.render(state)
        }
        return made
    }

    /// Lets keys being made in the background finish (before the process exits).
    package func finishPending() { factory.finishPending() }

    /// Back to the keys the mock started with (scenario isolation).
    package func restoreInitialKeys() {
        state.write { $0 = initial }
    }

    /// Makes `kid` the signing key without changing what is published.
    package func activate(kid: String) throws(IdPError) {
        try apply(.activate(kid: kid))
    }

    /// The active `kid` and the published keys, as `/_mock/keys` shows them.
    package var summary: JSONValue {
        let (active, published) = state.read { state in (state.activeKID, state.published) }
        return [
            "active_kid": .string(published.first { $0.kid == active }?.kid ?? published[0].kid),
            "published": .array(published.map { ["kid": .string($0.kid), "alg": .string($0.algorithm.rawValue)] }),
        ]
    }

    private static func render(_ state: State) -> [UInt8] {
        jwksDocument(state.published, extraKeys: state.unparseable).serialized()
    }
}
