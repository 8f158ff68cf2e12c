import Synchronization

/// Who a signed-in cookie session belongs to and the IdP session behind it.
struct SignedInAccount: Sendable, Equatable {
    let appUserID: String
    let idpUserID: String
    /// The access token's `sid`, when it had one (the IdP logout needs it).
    var idpSessionID: String?
    var accessToken: String
    /// The access token's `exp` (Unix seconds); nil when it had none.
    var accessTokenExpiresAt: Int64?
    var refreshToken: String
}

/// One cookie session: anonymous until a login signs it in.
struct WebSession: Sendable, Equatable {
    let id: String
    var account: SignedInAccount?
    let createdAt: Int64
    /// Unix milliseconds.
    var expiresAt: Int64
}

/// The web shape's server-side sessions, keyed by the random value of the session cookie.
/// Bounded: anonymous sessions are made for anyone who opens `/login`, so a flood must not
/// grow memory without limit; past `capacity` expired sessions go first, then the oldest
/// anonymous ones, then the oldest signed-in ones.
final class WebSessionStore: Sendable {
    private let sessions = Mutex<[String: WebSession]>([:])
    let capacity: Int

    init(capacity: Int) { self.capacity = max(1, capacity) }

    /// A random session ID: 256 bits, base64url.
    static func newID() -> String { Identifiers.secret(prefix: "") }

    /// The live session with this ID; an expired one is dropped and reported as absent.
    func session(_ id: String, now: Int64) -> WebSession? {
        sessions.withLock { sessions in
            guard let session = sessions[id] else { return nil }
            guard now < session.expiresAt else {
                sessions[id] = nil
                return nil
            }
            return session
        }
    }

    /// Stores (or replaces) a session under its ID.
    func put(_ session: WebSession, now: Int64) {
        sessions.withLock { sessions in
            if sessions[session.id] == nil, sessions.count >= capacity { Self.makeRoom(&sessions, now: now, capacity: capacity) }
            sessions[session.id] = session
        }
    }

    /// Replaces the account of a session that still exists (a refresh); false when it is gone.
    @discardableResult
    func update(_ id: String, account: SignedInAccount) -> Bool {
        sessions.withLock { sessions in
            guard sessions[id] != nil else { return false }
            sessions[id]?.account = account
            return true
        }
    }

    enum ConditionalUpdate { case updated, changed, gone }

    /// `update`, but only while the session still holds `refreshToken` (optimistic locking).
    func update(_ id: String, account: SignedInAccount, ifRefreshTokenIs refreshToken: String) -> ConditionalUpdate {
        sessions.withLock { sessions in
            guard let current = sessions[id] else { return .gone }
            guard current.account?.refreshToken == refreshToken else { return .changed }
            sessions[id]?.account = account
            return .updated
        }
    }

    func remove(_ id: String) { _ = sessions.withLock { $0.removeValue(forKey: id) } }

    func clear() { sessions.withLock { $0.removeAll() } }

    var count: Int { sessions.withLock { $0.count } }

    /// Frees a tenth of the capacity at once, so a flood of `/login` visits costs one sort per
    /// `capacity / 10` new sessions rather than a scan per request.
    private static func makeRoom(_ sessions: inout [String: WebSession], now: Int64, capacity: Int) {
        sessions = sessions.filter { now < $0.value.expiresAt }
        guard sessions.count >= capacity else { return }
        let victims = sessions.values.sorted { ($0.account == nil ? 0 : 1, $0.createdAt) < ($1.account == nil ? 0 : 1, $1.createdAt) }
        for victim in victims.prefix(max(1, capacity / 10)) { sessions[victim.id] = nil }
    }
}
