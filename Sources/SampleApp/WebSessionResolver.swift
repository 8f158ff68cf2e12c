import Glibc
import HTTP
import Synchronization

/// Finds a request's signed-in session from its cookie, refreshing the access token at the IdP
/// once it has expired: a refused refresh (revoked session, spent token) ends the session; an
/// IdP that does not answer leaves it for a later try but signs nobody in meanwhile. Refreshes
/// of one session take turns (two tabs at once make one refresh, not two with one token).
struct WebSessionResolver: Sendable {
    let sessions: WebSessionStore
    let authKit: AuthKitClient
    let verifier: TokenVerifier
    let configuration: SampleAppConfiguration
    let turns = RefreshTurns()

    enum Resolution {
        case signedIn(WebSession, SignedInAccount)
        /// `clearCookie`: the cookie named a session that is over, so the browser should drop it.
        case signedOut(clearCookie: Bool)
        /// Only the concurrent-refresh-crashes bug: the page is a 500 with this reason.
        case crashed(String)
    }

    func resolve(_ request: HTTPRequest) -> Resolution {
        guard let id = Cookies.value(Cookies.session, in: request) else { return .signedOut(clearCookie: false) }
        let now = configuration.clock()
        guard let session = sessions.session(id, now: now) else { return .signedOut(clearCookie: true) }
        // An anonymous session stays: it is the one `/login` gave this browser.
        guard let account = session.account else { return .signedOut(clearCookie: false) }
        guard let expiresAt = account.accessTokenExpiresAt, now / 1000 >= expiresAt else { return .signedIn(session, account) }
        if configuration.bug == .concurrentRefreshCrashes { return refreshWithoutTurns(session, account) }
        return turns.taking(session.id) {
            // Another request of this session may have refreshed (or ended it) while this one waited.
            let now = configuration.clock()
            guard let current = sessions.session(session.id, now: now) else { return .signedOut(clearCookie: true) }
            guard let latest = current.account else { return .signedOut(clearCookie: false) }
            guard let expiresAt = latest.accessTokenExpiresAt, now / 1000 >= expiresAt else { return .signedIn(current, latest) }
            return refresh(current, latest)
        }
    }

    /// BUG (concurrent-refresh-crashes): no turns. Both tabs read the session, both refresh with
    /// its one refresh token (the IdP's reuse grace lets both through), and the second to store
    /// finds the session changed under it: an optimistic-locking conflict escapes as a 500. The
    /// pause stands for the database read that widens the window in the real app.
    private func refreshWithoutTurns(_ session: WebSession, _ account: SignedInAccount) -> Resolution {
        usleep(50_000)
        return refresh(session, account, storeOnlyIfUnchanged: true)
    }

    private func refresh(_ session: WebSession, _ account: SignedInAccount, storeOnlyIfUnchanged: Bool = false) -> Resolution {
        let tokens: AuthKitTokens
        do {
            tokens = try authKit.refresh(account.refreshToken)
        } catch .refused {
            if configuration.bug == .refreshIgnoresRevocation {
                // BUG (refresh-ignores-revocation): every refresh failure is taken for a network
                // blip; the page is served from the old session, so a revoked one lives on.
                return .signedIn(session, account)
            }
            sessions.remove(session.id)
            return .signedOut(clearCookie: true)
        } catch {
            return .signedOut(clearCookie: false)
        }
        let verified: VerifiedClaims
        do {
            verified = try verifier.verify(tokens.accessToken)
        } catch {
            sessions.remove(session.id)
            return .signedOut(clearCookie: true)
        }
        // A refresh answers for the same user or for nobody (OIDC: refresh-token-invalid-sub).
        guard verified.subject == account.idpUserID else {
            sessions.remove(session.id)
            return .signedOut(clearCookie: true)
        }
        var refreshed = account
        refreshed.accessToken = tokens.accessToken
        refreshed.refreshToken = tokens.refreshToken
        refreshed.accessTokenExpiresAt = verified.claims["exp"]?.intValue
        refreshed.idpSessionID = verified.sessionID
        if storeOnlyIfUnchanged {
            switch sessions.update(session.id, account: refreshed, ifRefreshTokenIs: account.refreshToken) {
            case .gone: return .signedOut(clearCookie: true)
            case .changed: return .crashed("StaleObjectError: session \(session.id) was refreshed by another request")
            case .updated: return .signedIn(session, refreshed)
            }
        }
        guard sessions.update(session.id, account: refreshed) else { return .signedOut(clearCookie: true) }
        return .signedIn(session, refreshed)
    }
}

/// One refresh at a time per session: a request that finds another of its session refreshing
/// waits for it, then reads the session again. Waiting blocks the connection's thread (this app
/// serves each connection on a thread of its own, never on a Swift task).
final class RefreshTurns: Sendable {
    private final class Turn: Sendable {
        let lock = Mutex(())
    }

    /// The turn of each session some request is refreshing or waiting to, with how many are.
    private let turns = Mutex<[String: (turn: Turn, holders: Int)]>([:])

    func taking<Result: Sendable>(_ sessionID: String, _ body: () -> Result) -> Result {
        let turn = turns.withLock { turns in
            let entry = turns[sessionID] ?? (Turn(), 0)
            turns[sessionID] = (entry.turn, entry.holders + 1)
            return entry.turn
        }
        defer {
            turns.withLock { turns in
                guard let entry = turns[sessionID] else { return }
                turns[sessionID] = entry.holders <= 1 ? nil : (entry.turn, entry.holders - 1)
            }
        }
        return turn.lock.withLock { _ in body() }
    }
}
