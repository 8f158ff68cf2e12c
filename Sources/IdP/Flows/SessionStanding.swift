/// Whether a session is over, as the mock's own state has it: what the runner asks after an
/// app's logout (the app must end the IdP session, not only its own cookie).
package struct SessionStanding: Sendable, Equatable {
    package var exists: Bool
    /// Revoked (logout, revocation, a replayed code) or past its expiry.
    package var ended: Bool
    /// The AuthKit refresh tokens issued for the session, rotated or not.
    package var refreshTokens: [String]
}

extension MockIdP {
    package func sessionStanding(_ id: String) -> SessionStanding {
        let now = clock.now()
        return state.withLock { state in
            guard let session = state.directory.sessions[id] else { return SessionStanding(exists: false, ended: true, refreshTokens: []) }
            let tokens = state.flows.refreshTokens.filter { $0.value.sessionID == id }.map(\.key).sorted()
            return SessionStanding(exists: true, ended: session.status != .active || now * 1000 >= session.expiresAt, refreshTokens: tokens)
        }
    }

    /// Whether the refresh grant honours `token` now. It is a real refresh: an honoured token is
    /// rotated, so ask only where honouring it is already the failure being reported.
    package func refreshIsHonoured(_ token: String) -> Bool {
        (try? refresh(token, organizationID: nil)) != nil
    }
}
