import HTTP

/// Finds a request's signed-in session from its cookie, refreshing the access token at the IdP
/// once it has expired: a refused refresh (revoked session, spent token) ends the session; an
/// IdP that does not answer leaves it for a later try but signs nobody in meanwhile.
struct WebSessionResolver: Sendable {
    let sessions: WebSessionStore
    let authKit: AuthKitClient
    let verifier: TokenVerifier
    let configuration: SampleAppConfiguration

    enum Resolution {
        case signedIn(WebSession, SignedInAccount)
        /// `clearCookie`: the cookie named a session that is over, so the browser should drop it.
        case signedOut(clearCookie: Bool)
    }

    func resolve(_ request: HTTPRequest) -> Resolution {
        guard let id = Cookies.value(Cookies.session, in: request) else { return .signedOut(clearCookie: false) }
        let now = configuration.clock()
        guard let session = sessions.session(id, now: now) else { return .signedOut(clearCookie: true) }
        // An anonymous session stays: it is the one `/login` gave this browser.
        guard let account = session.account else { return .signedOut(clearCookie: false) }
        guard let expiresAt = account.accessTokenExpiresAt, now / 1000 >= expiresAt else { return .signedIn(session, account) }
        return refresh(session, account)
    }

    private func refresh(_ session: WebSession, _ account: SignedInAccount) -> Resolution {
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
        guard sessions.update(session.id, account: refreshed) else { return .signedOut(clearCookie: true) }
        return .signedIn(session, refreshed)
    }
}
