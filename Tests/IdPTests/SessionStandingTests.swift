import HTTP
import JSON
import TestSupport
import Testing

@testable import IdP

/// What the runner asks after an app's logout, in-process and over the control API: is the
/// login's session over, and does the refresh grant still honour its refresh token.
@Suite struct SessionStandingTests {
    @Test func aLoggedOutSessionIsEndedAndItsRefreshTokenRefused() throws {
        let mock = try RunningIdP()
        let login = try mock.login("alice")
        let sid = try mock.sessionID(login)
        let refreshToken = try #require(login["refresh_token"]?.stringValue)
        #expect(try mock.json("/_mock/sessions/\(sid)") == ["id": .string(sid), "ended": false, "refresh_tokens": 1])
        #expect(mock.idp.sessionStanding(sid).ended == false)

        let logout = try mock.get("/user_management/sessions/logout?session_id=\(sid)&return_to=http://127.0.0.1:9/", authorized: false)
        #expect(logout.status == 302)
        let standing = mock.idp.sessionStanding(sid)
        #expect(standing.exists && standing.ended && standing.refreshTokens == [refreshToken])
        #expect(!mock.idp.refreshIsHonoured(refreshToken))
        #expect(try mock.refresh(refreshToken).status == 400)
        #expect(try mock.json("/_mock/sessions/\(sid)")["ended"] == true)
        #expect(try mock.get("/_mock/sessions/session_unknown").status == 404)
        #expect(!mock.idp.sessionStanding("session_unknown").exists)
    }

    /// Asked of a live session, the refresh grant honours the token (and rotates it).
    @Test func aLiveSessionsRefreshTokenIsHonoured() throws {
        let mock = try RunningIdP()
        let login = try mock.login("bob")
        #expect(mock.idp.refreshIsHonoured(try #require(login["refresh_token"]?.stringValue)))
    }
}
