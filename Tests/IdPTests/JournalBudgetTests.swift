import Foundation
import HTTP
import JSON
import TestSupport
import Testing

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
            directory.insertSession(
                Session(
                    id: "session_\(1000 + index)", userID: "user_x", organizationID: nil,
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

/// Memory stays bounded whatever is asked: journal pages by bytes, directory bodies and counts
/// by documented caps (`Limits`).
@Suite struct BoundedMemoryTests {
    @Test func aJournalPageIsCappedInBytesAndThePagesStillCoverEveryEntry() throws {
        let mock = try RunningIdP()
        let long = String(repeating: "p", count: 1000)
        let total = 4000
        for index in 0..<total {
            let entry = JournalEntry(
                sequence: 0, timeMillis: 0, requestID: "req_\(index)", method: "GET", path: "/organizations/\(index)/\(long)",
                query: "q=\(long)", headers: [(name: "user-agent", value: long)], status: 404, flags: [])
            _ = mock.idp.journal.record(entry)
        }
        var since: Int?
        var seen: [Int] = []
        var pages = 0
        while true {
            let response = try mock.get("/_mock/journal?limit=10000" + (since.map { "&since=\($0)" } ?? ""))
            #expect(response.status == 200)
            #expect(response.body.count <= Limits.journalPageBytes + 64 * 1024, "a page of \(response.body.count) bytes")
            let page = try response.json()
            seen += page["data"]?.arrayValue?.compactMap { $0["sequence"]?.intValue.map(Int.init) } ?? []
            pages += 1
            guard page["has_more"] == .bool(true), let next = page["next_since"]?.intValue else { break }
            since = Int(next)
        }
        #expect(pages > 1, "~12 MB of entries fit one page")
        #expect(seen.count == total && Set(seen).count == total, "\(seen.count) of \(total) entries over \(pages) pages")
        // Fifty at once all get their page (the gate queues them, it does not refuse them).
        let requests = (0..<50).map { _ in ClientRequest(method: "GET", url: mock.base + "/_mock/journal?limit=10000") }
        let answers = mock.client.sendConcurrently(requests)
        #expect(answers.allSatisfy { (try? $0.get().status) == 200 })
    }

    @Test func oversizedDirectoryFieldsAreRefusedWith422NamingTheField() throws {
        let mock = try RunningIdP()
        let hugeEmail = String(repeating: "a", count: 100 * 1024) + "@example.test"
        let email = try mock.send("POST", "/user_management/users", ["email": .string(hugeEmail)])
        #expect(email.status == 422 && email.bodyText.contains("email must be at most 320 bytes"), "\(email.bodyText.prefix(300))")
        #expect(email.bodyText.utf8.count < 1024, "the refusal does not echo the value")
        let longName = String(repeating: "n", count: 60 * 1024)
        let name = try mock.send("POST", "/user_management/users", ["email": "n@example.test", "first_name": .string(longName)])
        #expect(name.status == 422 && name.bodyText.contains("first_name must be at most 1024 bytes"), "\(name.bodyText.prefix(300))")
        let metadata = JSONValue.object(JSONObject((0..<101).map { (key: "k\($0)", value: JSONValue.string("v")) }))
        let organization = try mock.send("POST", "/organizations", ["name": "Wide", "metadata": metadata])
        #expect(organization.status == 422 && organization.bodyText.contains("metadata must have at most 100 members"), "\(organization.bodyText)")
        let user = mock.user("grace")
        let update = try mock.send("PUT", "/user_management/users/\(user.id)", ["last_name": .string(String(repeating: "l", count: 2000))])
        #expect(update.status == 422 && update.bodyText.contains("last_name"), "\(update.bodyText.prefix(300))")
        let control = try mock.send("POST", "/_mock/users", ["email": .string(hugeEmail)], authorized: false)
        #expect(control.status == 422 && control.bodyText.contains("email must be at most 320 bytes"), "\(control.bodyText.prefix(300))")
        // What WorkOS accepts still goes through: a 64-character external_id, 10 metadata pairs of 40 + 600 characters.
        let value = JSONValue.string(String(repeating: "v", count: 600))
        let pairs = JSONValue.object(JSONObject((0..<10).map { (key: String(repeating: "k", count: 38) + "\($0)", value: value) }))
        let externalID = JSONValue.string(String(repeating: "e", count: 64))
        let accepted = try mock.send("POST", "/organizations", ["name": "Fits", "external_id": externalID, "metadata": pairs])
        #expect(accepted.status == 201, "\(accepted.bodyText.prefix(300))")
        #expect(mock.idp.directory.users.values.allSatisfy { $0.email.utf8.count <= Limits.emailBytes })
    }

    @Test func theDirectoryRefusesAUserPastItsCap() throws {
        let mock = try RunningIdP()
        try mock.idp.update { directory in
            for index in directory.users.count..<Limits.maxUsers {
                let id = "user_FILL\(index)"
                directory.users[id] = User(id: id, email: "fill\(index)@example.test", createdAt: 0, updatedAt: 0)
            }
        }
        let refused = try mock.send("POST", "/user_management/users", ["email": "one-more@example.test"])
        #expect(refused.status == 422 && refused.bodyText.contains("at most \(Limits.maxUsers) users"), "\(refused.bodyText)")
        #expect(mock.idp.directory.users.count == Limits.maxUsers)
        #expect(try mock.send("POST", "/_mock/reset", [:], authorized: false).status == 200)
        #expect(try mock.send("POST", "/user_management/users", ["email": "one-more@example.test"]).status == 201)
    }
}
