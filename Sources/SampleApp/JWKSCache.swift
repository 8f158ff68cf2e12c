import Essentials
import JOSE
import JSON
import Synchronization

/// The IdP's signing keys, fetched from `{idp}/sso/jwks/{client_id}` and cached.
///
/// Policy (the one panva/jose's `createRemoteJWKSet` follows, with a finite max age):
/// - a set older than the TTL is fetched again before use; while one thread refetches, others
///   keep using the old set, and if the fetch fails the old set stays in use (an IdP outage
///   must not log everybody out) with the next attempt no sooner than the cooldown;
/// - a token with an unknown `kid` triggers a refetch, at most once per cooldown (counted
///   from the last fetch of any kind), so random kids cannot amplify into JWKS requests.
/// Network calls happen outside the lock.
final class JWKSCache: Sendable {
    typealias Fetch = @Sendable () throws(UpstreamError) -> JSONValue

    struct KeySet: Sendable {
        let verifier: JWSVerifier
        /// The JWKS entries the verifier was built from (kept for the cached-forever merge).
        let entries: [JSONValue]
        let fetchedAt: Int64

        func knows(kid: String) -> Bool { entries.contains { $0["kid"]?.stringValue == kid } }
    }

    private struct State {
        var keySet: KeySet?
        var refreshing = false
        /// Monotonic time of the last fetch attempt (success or failure).
        var lastAttempt: Int64?
        var lastAttemptFailed = false
        var fetchCount = 0
    }

    private let state = Mutex(State())
    private let fetch: Fetch
    /// nil: never expires (only with the jwks-cached-forever bug).
    private let ttl: Int64?
    private let cooldown: Int64
    /// Keys once seen stay trusted: a refetch only adds kids it has not seen (the bug).
    private let mergeForever: Bool
    /// Keep verifying with a stale set when its refetch fails; false (the jwks-outage-crashes
    /// bug) makes the failure surface, as jose's remote JWKS set does.
    private let servesStaleOnFailure: Bool

    init(ttlMilliseconds: Int64?, cooldownMilliseconds: Int64, mergeForever: Bool, servesStaleOnFailure: Bool = true, fetch: @escaping Fetch) {
        self.ttl = ttlMilliseconds
        self.cooldown = cooldownMilliseconds
        self.mergeForever = mergeForever
        self.servesStaleOnFailure = servesStaleOnFailure
        self.fetch = fetch
    }

    var fetchCount: Int { state.withLock { $0.fetchCount } }

    /// Forgets every key and the cooldown (test-mode reset); the fetch counter keeps counting.
    func clear() {
        state.withLock { state in
            state = State(fetchCount: state.fetchCount)
        }
    }

    private enum Plan {
        case use(KeySet)
        case fetch(stale: KeySet?)
        case unavailable
    }

    /// The key set to verify with, fetching when there is none or it is past its TTL.
    func current() throws(VerificationFailure) -> KeySet {
        let now = MonotonicClock.nowMilliseconds()
        let plan = state.withLock { state -> Plan in
            let coolingDown = state.lastAttemptFailed && state.lastAttempt.map { now - $0 < cooldown } == true
            if let keySet = state.keySet {
                let fresh = ttl.map { now - keySet.fetchedAt < $0 } ?? true
                if fresh || state.refreshing || coolingDown { return .use(keySet) }
                state.refreshing = true
                state.lastAttempt = now
                return .fetch(stale: keySet)
            }
            if coolingDown { return .unavailable }
            // No keys at all: every caller needs them, so concurrent first fetches are allowed.
            state.refreshing = true
            state.lastAttempt = now
            return .fetch(stale: nil)
        }
        switch plan {
        case .use(let keySet): return keySet
        case .unavailable: throw .jwksUnavailable("the JWKS could not be fetched recently; retrying after the cooldown")
        case .fetch(let stale):
            if let fetched = refresh() { return fetched }
            if let stale, servesStaleOnFailure { return stale }
            throw .jwksUnavailable("the JWKS could not be fetched from the IdP")
        }
    }

    /// After a token named a kid the cached set lacks: a set that may know it, or nil when
    /// another fetch happened within the cooldown (the token is then rejected).
    func refreshForUnknownKid(_ kid: String) -> KeySet? {
        let now = MonotonicClock.nowMilliseconds()
        let plan = state.withLock { state -> Plan in
            if let keySet = state.keySet, keySet.knows(kid: kid) { return .use(keySet) }  // someone else fetched it
            if let last = state.lastAttempt, now - last < cooldown { return .unavailable }
            state.refreshing = true
            state.lastAttempt = now
            return .fetch(stale: nil)
        }
        switch plan {
        case .use(let keySet): return keySet
        case .unavailable: return nil
        case .fetch: return refresh()
        }
    }

    /// Fetches and installs a new set; nil on failure. Call only after claiming the fetch.
    private func refresh() -> KeySet? {
        let document: JSONValue?
        do {
            document = try fetch()
        } catch {
            document = nil
        }
        let now = MonotonicClock.nowMilliseconds()
        return state.withLock { state -> KeySet? in
            state.refreshing = false
            state.fetchCount += 1
            guard let document, var entries = document["keys"]?.arrayValue else {
                state.lastAttemptFailed = true
                return nil
            }
            if mergeForever, let old = state.keySet {
                // BUG (jwks-cached-forever): what was trusted once stays trusted; a kid already
                // cached keeps its old key material, so a same-kid replacement is never seen.
                let oldKids = Set(old.entries.compactMap { $0["kid"]?.stringValue })
                entries = old.entries + entries.filter { entry in entry["kid"]?.stringValue.map { !oldKids.contains($0) } ?? false }
            }
            let hasEC = entries.contains { $0["kty"]?.stringValue == "EC" }
            let algorithms: Set<JWSAlgorithm> = hasEC ? [.rs256, .es256] : [.rs256]
            guard let verifier = try? JWSVerifier(jwks: ["keys": .array(entries)], allowedAlgorithms: algorithms) else {
                state.lastAttemptFailed = true
                return nil
            }
            let keySet = KeySet(verifier: verifier, entries: entries, fetchedAt: now)
            state.keySet = keySet
            state.lastAttemptFailed = false
            return keySet
        }
    }
}
