import Testing

@testable import SampleApp

/// The session table stays bounded under a flood of anonymous `/login` visits, and the flood
/// evicts anonymous sessions before signed-in ones.
@Suite struct WebSessionStoreTests {
    private func account(_ user: String) -> SignedInAccount {
        SignedInAccount(appUserID: user, idpUserID: "user_" + user, idpSessionID: nil, accessToken: "t", accessTokenExpiresAt: nil, refreshToken: "r")
    }

    @Test func aFloodOfAnonymousSessionsStaysBoundedAndSparesSignedInOnes() {
        let store = WebSessionStore(capacity: 20)
        store.put(WebSession(id: "signed-in", account: account("a"), createdAt: 0, expiresAt: 1_000_000), now: 0)
        for index in 1...500 {
            store.put(WebSession(id: "anonymous-\(index)", account: nil, createdAt: Int64(index), expiresAt: 1_000_000), now: Int64(index))
        }
        #expect(store.count <= 20)
        #expect(store.session("signed-in", now: 600)?.account == account("a"))
        #expect(store.session("anonymous-500", now: 600) != nil)
    }

    @Test func expiredSessionsAreGoneAndUpdatesNeedALiveSession() {
        let store = WebSessionStore(capacity: 10)
        store.put(WebSession(id: "s", account: account("a"), createdAt: 0, expiresAt: 100), now: 0)
        #expect(store.session("s", now: 99) != nil)
        #expect(store.session("s", now: 100) == nil)
        #expect(!store.update("s", account: account("b")))
    }
}
