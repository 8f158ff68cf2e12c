import JSON
import TestSupport
import Testing

@testable import IdP

/// The journal names the session each authenticate answer signed in or refreshed, so a scenario
/// can count its own login's requests while other logins run beside it; and "since a mark"
/// reads start at the mark, whatever the journal holds before it.
@Suite struct JournalSessionTests {
    @Test func authenticateAnswersCarryTheirSessionAndFilterByIt() throws {
        let mock = try RunningIdP()
        let alice = try mock.login("alice")
        let bob = try mock.login("bob")
        let aliceSession = try mock.sessionID(alice)
        let bobSession = try mock.sessionID(bob)
        #expect(aliceSession != bobSession)
        let refreshToken = try #require(alice["refresh_token"]?.stringValue)
        #expect(try mock.refresh(refreshToken).status == 200)
        _ = try mock.get("/user_management/users")

        let ofAlice = mock.idp.journal.entries(Journal.Filter(pathPrefix: "/user_management/authenticate", sessionID: aliceSession))
        #expect(ofAlice.count == 2, "\(ofAlice.map(\.path))")
        #expect(mock.idp.journal.entries(Journal.Filter(sessionID: bobSession)).count == 1)
        // A refused authenticate belongs to no session.
        #expect(try mock.refresh("not-a-refresh-token").status == 400)
        let last = try #require(mock.idp.journal.entries().last)
        #expect(last.sessionID == nil)
        #expect(try mock.json("/_mock/journal?limit=100")["data"]?.arrayValue?.contains { $0["session_id"]?.stringValue == aliceSession } == true)
    }

    @Test func sinceReadsMatchAFullScan() throws {
        let journal = Journal(capacity: 1000, shardCount: 4)
        for index in 0..<300 {
            journal.record(
                JournalEntry(
                    sequence: 0, timeMillis: 0, requestID: "r\(index)", method: index % 3 == 0 ? "POST" : "GET",
                    path: "/p/\(index % 5)", query: "", headers: [], status: 200, flags: []))
        }
        let all = journal.entries()
        for since in [0, 1, 57, 150, 299, 300, 400] {
            for filter in [
                Journal.Filter(sinceSequence: since), Journal.Filter(method: "POST", sinceSequence: since),
                Journal.Filter(pathPrefix: "/p/3", sinceSequence: since),
            ] {
                let expected = all.filter { $0.sequence > since && filter.matches($0) }.map(\.sequence)
                #expect(journal.entries(filter).map(\.sequence) == expected, "since \(since)")
                #expect(journal.entries(filter, limit: 7).map(\.sequence) == Array(expected.prefix(7)))
            }
        }
    }
}
