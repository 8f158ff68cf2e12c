import Foundation
import HTTP
import JSON
import Testing
import TestSupport
@testable import IdP

/// The journal is bounded by bytes: long URLs are clipped with a marker, the total stays under
/// the budget, and `GET /_mock/journal` pages.
@Suite struct JournalBudgetTests {
    @Test func longQueryStringsAreClippedAndTheTotalStaysUnderTheBudget() throws {
        let budget = 256 * 1024
        let mock = try RunningIdP { $0.journalBytes = budget }
        // Just under the server's 8 KB request-target limit.
        let longValue = String(repeating: "q", count: 8 * 1024 - 100)
        for index in 0..<400 {
            let response = try mock.get("/user_management/users?limit=1&pad=\(index)x\(longValue)")
            #expect(response.status == 200 || response.status == 422)
        }
        #expect(mock.idp.journal.bytes <= budget, "journal holds \(mock.idp.journal.bytes) bytes, budget \(budget)")
        let entries = mock.idp.journal.entries()
        #expect(!entries.isEmpty && entries.count < 400, "\(entries.count) entries kept")
        let newest = try #require(entries.last)
        #expect(newest.query.utf8.count < Limits.journalFieldBytes + 40)
        #expect(newest.query.hasSuffix("…[cut: \(("limit=1&pad=399x" + longValue).utf8.count) bytes]"), "\(newest.query.suffix(40))")
        // The newest entries are the ones kept.
        #expect(newest.sequence == mock.idp.journal.lastSequence)
    }

    @Test func manyUnknownParametersAreCapped() throws {
        let mock = try RunningIdP()
        let query = (0..<200).map { "p\($0)_\(String(repeating: "n", count: 30))=1" }.joined(separator: "&")
        _ = try mock.get("/user_management/users?\(query)")
        let entry = try #require(mock.idp.journal.entries().last)
        #expect(entry.unknownParameters.count <= 33, "\(entry.unknownParameters.count)")
        #expect(entry.unknownParameters.last?.contains("[cut:") == true, "\(entry.unknownParameters.suffix(2))")
    }

    @Test func theJournalListsItsHeadersInItsOwnOrderWhateverTheRequestsOrderAndCase() throws {
        let mock = try RunningIdP()
        let headers: HTTPHeaders = [
            "ORIGIN": "http://app.test", "authorization": "Bearer \(mock.idp.configuration.apiKey)", "X-Other": "not journaled",
            "Idempotency-Key": "k-1", "user-agent": "workos-node/8.0", "User-Agent": "second value is not the one kept",
        ]
        _ = try mock.client.send(ClientRequest(method: "GET", url: mock.base + "/user_management/users", headers: headers))
        let entry = try #require(mock.idp.journal.entries().last)
        #expect(entry.headers.map(\.name) == ["user-agent", "idempotency-key", "origin", "authorization"])
        #expect(entry.headers.map(\.value) == ["workos-node/8.0", "k-1", "http://app.test", "Bearer sk_test…"])
    }

    @Test func clippingKeepsWholeScalarsAndShortTextUntouched() {
        #expect(JournalBudget.clip("short") == "short")
        let text = String(repeating: "é", count: 600)  // 2 bytes each: 1200 bytes
        let clipped = JournalBudget.clip(text)
        #expect(clipped == String(repeating: "é", count: 512) + "…[cut: 1200 bytes]")
    }

    @Test func journalPagesWithLimitAndSince() throws {
        let mock = try RunningIdP()
        for _ in 0..<25 { _ = try mock.get("/user_management/users") }
        let first = try mock.json("/_mock/journal?limit=10")
        let firstPage = try #require(first["data"]?.arrayValue)
        #expect(firstPage.count == 10)
        #expect(first["has_more"] == true)
        let next = try #require(first["next_since"]?.intValue)
        #expect(firstPage.last?["sequence"]?.intValue == next)
        let second = try mock.json("/_mock/journal?limit=10&since=\(next)")
        #expect(second["data"]?[0]?["sequence"]?.intValue == next + 1)
        let last = try mock.json("/_mock/journal?limit=10&since=\(next + 10)")
        #expect(last["data"]?.arrayValue?.count == 5)
        #expect(last["has_more"] == false)
        for bad in ["limit=0", "limit=10001", "limit=abc", "since=-1", "since=99999999999999999999"] {
            let response = try mock.get("/_mock/journal?\(bad)")
            #expect(response.status == 422, "\(bad): \(response.status)")
            #expect(response.bodyText.contains(String(bad.prefix { $0 != "=" })), "\(response.bodyText)")
        }
    }

    @Test func sessionsAreCappedAndResetReleasesThem() throws {
        var directory = Directory()
        for index in 0..<130 {
            directory.insertSession(Session(id: "session_\(1000 + index)", userID: "user_x", organizationID: nil,
                                            createdAt: Int64(index), updatedAt: Int64(index), expiresAt: 0), capacity: 100)
        }
        #expect(directory.sessions.count <= 125)
        #expect(directory.sessions["session_1129"] != nil)
        #expect(directory.sessions["session_1000"] == nil)

        let mock = try RunningIdP()
        let before = mock.idp.directory.sessions.count
        for _ in 0..<20 { _ = try mock.mint(["user": "alice"]) }
        #expect(mock.idp.directory.sessions.count == before + 20)
        #expect(try mock.send("POST", "/_mock/reset", [:], authorized: false).status == 200)
        #expect(mock.idp.directory.sessions.count == before)
    }
}
