import Foundation
import HTTP
import JSON
import TestSupport
import Testing

@testable import IdP

/// The exact bytes of the organization and membership answers, successes and refusals, pinned
/// in `Tests/golden/directory-answers.txt` (timestamps masked): which problem wins when a body
/// has several, and whether it wins over a 404, is part of the wire contract. Regenerate the
/// file only for an intended change: `MOCKIDP_WRITE_GOLDEN=1 swift test --filter DirectoryAnswerPin`.
@Suite struct DirectoryAnswerPinTests {
    static let golden = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("golden/directory-answers.txt")

    /// One request per line of the transcript; `{name}` in a path or body is a fixture ref or an
    /// ID captured earlier (`capture`).
    struct Call {
        var method: String
        var path: String
        var body: String
        var capture: String?

        init(_ method: String, _ path: String, _ body: String = "{}", capture: String? = nil) {
            self.method = method
            self.path = path
            self.body = body
            self.capture = capture
        }
    }

    static let uuid = "9b2f3c4d-1e5a-4b6c-8d7e-0f1a2b3c4d5e"
    static let memberships = "/user_management/organization_memberships"
    static let calls: [Call] = [
        // Organizations, WorkOS API: create.
        Call(
            "POST", "/organizations",
            #"{"name":"Pin Co","external_id":"\#(uuid)","metadata":{"k":"v"},"#
                + #""domain_data":[{"domain":"Pin.TEST","state":"pending"},{"domain":"two.test"}]}"#, capture: "pin"),
        Call("POST", "/organizations", #"{"name":"Plain","domains":["Plain.test"],"external_id":null,"metadata":null}"#, capture: "plain"),
        Call("POST", "/organizations", "{}"),
        Call("POST", "/organizations", "[1]"),
        Call("POST", "/organizations", #"{"name":""}"#),
        Call("POST", "/organizations", #"{"name":5,"external_id":7}"#),
        Call("POST", "/organizations", #"{"name":"X","external_id":7,"metadata":3}"#),
        Call("POST", "/organizations", #"{"name":"X","metadata":3,"domain_data":4}"#),
        Call("POST", "/organizations", #"{"name":"X","domain_data":4,"domains":5}"#),
        Call("POST", "/organizations", #"{"name":"X","domain_data":null,"domains":5}"#),
        Call("POST", "/organizations", #"{"name":"X","domain_data":[{"domain":"ok.test"},{"state":"x"}]}"#),
        Call("POST", "/organizations", #"{"name":"X","domain_data":["a.test"]}"#),
        Call("POST", "/organizations", #"{"name":"X","domains":["a.test",1]}"#),
        Call("POST", "/organizations", #"{"name":"X","domain_data":[{"state":"x"}],"external_id":"{acme}"}"#),
        Call("POST", "/organizations", #"{"name":"X","external_id":"{acme}"}"#),
        Call("POST", "/organizations", #"{"name":"X","external_id":"\#(uuid)","domains":["acme.test"]}"#),
        Call("POST", "/organizations", #"{"name":"X","domains":["ACME.test"]}"#),
        Call("POST", "/organizations", #"{"name":"X","id":"org_x","ref":5}"#),
        Call("POST", "/organizations", #"{"name":"\#(String(repeating: "n", count: 5000))","metadata":3}"#),
        // Organizations, WorkOS API: read.
        Call("GET", "/organizations/{pin}"),
        Call("GET", "/organizations/org_nope"),
        Call("GET", "/organizations/external_id/\(uuid)"),
        Call("GET", "/organizations/external_id/nope"),
        // Organizations, WorkOS API: update (domain and external_id problems before the 404, name and metadata after it).
        Call("PUT", "/organizations/{pin}", #"{"name":"Pin Ltd","domains":["pin2.test"],"external_id":null,"metadata":{"a":1}}"#),
        Call("PUT", "/organizations/{plain}", #"{"domain_data":null}"#),
        Call("PUT", "/organizations/{plain}", "{}"),
        Call("PUT", "/organizations/org_nope", #"{"name":"Fine"}"#),
        Call("PUT", "/organizations/org_nope", #"{"name":5,"metadata":3}"#),
        Call("PUT", "/organizations/org_nope", #"{"name":5,"external_id":7}"#),
        Call("PUT", "/organizations/org_nope", #"{"name":5,"domain_data":[{}]}"#),
        Call("PUT", "/organizations/org_nope", #"{"external_id":"{acme}"}"#),
        Call("PUT", "/organizations/org_nope", "[]"),
        Call("PUT", "/organizations/{pin}", #"{"name":"","metadata":3}"#),
        Call("PUT", "/organizations/{pin}", #"{"name":null}"#),
        Call("PUT", "/organizations/{pin}", #"{"metadata":3,"external_id":7}"#),
        Call("PUT", "/organizations/{pin}", #"{"metadata":3,"domains":[2]}"#),
        Call("PUT", "/organizations/{pin}", #"{"metadata":null,"external_id":"{globex}"}"#),
        Call("PUT", "/organizations/{pin}", #"{"domains":["acme.test"]}"#),
        // Organizations, control API.
        Call("POST", "/_mock/organizations", #"{"id":"org_01J000000000000000000000AB","ref":"pinned","name":"Pinned"}"#),
        Call("POST", "/_mock/organizations", #"{"id":"org_01J000000000000000000000AB","name":"Again"}"#),
        Call("POST", "/_mock/organizations", #"{"id":"org_01J000000000000000000000AB","name":"Again","external_id":"\#(uuid)"}"#),
        Call("POST", "/_mock/organizations", #"{"id":"org_x","name":"X","external_id":7}"#),
        Call("POST", "/_mock/organizations", #"{"id":7,"name":"X"}"#),
        Call("POST", "/_mock/organizations", #"{"name":"X","ref":7,"external_id":"{acme}"}"#),
        Call("POST", "/_mock/organizations", #"{"name":5,"nmae":"X"}"#),
        Call("POST", "/_mock/organizations", #"{"name":"Unpinned","id":null}"#),
        Call("PUT", "/_mock/organizations/org_nope", #"{"name":5,"domain_data":3}"#),
        Call("DELETE", "/_mock/organizations/org_01J000000000000000000000AB"),
        Call("DELETE", "/organizations/{plain}"),
        Call("DELETE", "/organizations/{plain}"),
        // Memberships, WorkOS API: create.
        Call("POST", memberships, #"{"user_id":"{grace}","organization_id":"{initech}","role_slug":"admin"}"#, capture: "m1"),
        Call("POST", memberships, #"{"user_id":"{grace}","organization_id":"{acme}","role_slugs":[]}"#, capture: "m2"),
        Call("POST", memberships, #"{"user_id":"{grace}","organization_id":"{globex}","role_slugs":["admin","member"]}"#, capture: "m3"),
        Call("POST", memberships, "{}"),
        Call("POST", memberships, "3"),
        Call("POST", memberships, #"{"user_id":5,"organization_id":6}"#),
        Call("POST", memberships, #"{"user_id":"u","organization_id":6}"#),
        Call("POST", memberships, #"{"user_id":"user_nope","organization_id":"org_nope","role_slug":5}"#),
        Call("POST", memberships, #"{"user_id":"user_nope","organization_id":"org_nope","role_slug":"a","role_slugs":null}"#),
        Call("POST", memberships, #"{"user_id":"user_nope","organization_id":"org_nope","role_slugs":["a",2]}"#),
        Call("POST", memberships, #"{"user_id":"user_nope","organization_id":"org_nope","role_slugs":"admin"}"#),
        Call("POST", memberships, #"{"user_id":"user_nope","organization_id":"org_nope","role_slug":"nope"}"#),
        Call("POST", memberships, #"{"user_id":"{grace}","organization_id":"org_nope","role_slug":"nope"}"#),
        Call("POST", memberships, #"{"user_id":"{grace}","organization_id":"{initech}","role_slug":"nope"}"#),
        Call("POST", memberships, #"{"user_id":"{grace}","organization_id":"{initech}"}"#),
        Call("POST", memberships, #"{"user_id":"{frank}","organization_id":"{acme}","role_slug":"admin"}"#),
        Call("POST", memberships, #"{"user_id":"{frank}","organization_id":"{acme}"}"#),
        // Memberships, WorkOS API: read and update (role and status types before the 404; role existence, then the status value, after).
        Call("GET", memberships + "/{m1}"),
        Call("GET", memberships + "/om_nope"),
        Call("PUT", memberships + "/{m1}", #"{"role_slugs":["member","admin"],"status":"inactive"}"#),
        Call("PUT", memberships + "/{m1}", #"{"role_slug":null,"status":null}"#),
        Call("PUT", memberships + "/om_nope", #"{"status":"bogus","role_slug":"nope"}"#),
        Call("PUT", memberships + "/om_nope", #"{"status":5}"#),
        Call("PUT", memberships + "/om_nope", #"{"role_slug":5,"status":6}"#),
        Call("PUT", memberships + "/om_nope", #"{"role_slug":"a","role_slugs":["b"]}"#),
        Call("PUT", memberships + "/{m1}", #"{"status":"bogus","role_slug":"nope"}"#),
        Call("PUT", memberships + "/{m1}", #"{"status":"bogus","role_slug":"admin"}"#),
        Call("PUT", memberships + "/{m1}", #"{"status":"pending"}"#),
        Call("PUT", memberships + "/{m1}/deactivate"),
        Call("PUT", memberships + "/{m1}/reactivate"),
        Call("PUT", memberships + "/{m2}/deactivate"),
        Call("PUT", memberships + "/{m2}/deactivate"),
        Call("PUT", memberships + "/{m2}/reactivate"),
        Call("PUT", memberships + "/om_nope/reactivate"),
        Call("DELETE", memberships + "/{m3}"),
        Call("DELETE", memberships + "/{m3}"),
        // Memberships, control API.
        Call("POST", "/_mock/memberships", #"{"user_id":"{grace}","organization_id":"{globex}","status":"pending","role":"x"}"#),
        Call("POST", "/_mock/memberships", #"{"user_id":"{grace}","organization_id":"{globex}","status":"pending"}"#, capture: "m4"),
        Call("PUT", "/_mock/memberships/{m4}", #"{"status":"bogus","role_slug":"nope"}"#),
        Call("PUT", "/_mock/memberships/om_nope", #"{"role_slugs":5}"#),
        Call("DELETE", "/_mock/memberships/{m4}"),
        // A deleted organization takes its memberships; the membership answer names no organization it cannot find.
        Call("GET", memberships + "?user_id={grace}&statuses=active,inactive,pending&order=asc"),
    ]

    /// The answers to `calls` on a seeded mock, one line per call, timestamps masked.
    static func transcript() throws -> String {
        let mock = try RunningIdP(transport: .inProcess) { $0.seed = 20 }
        var names: [String: String] = [:]
        for ref in ["acme", "globex", "initech"] { names[ref] = mock.org(ref).id }
        for ref in ["alice", "frank", "grace"] { names[ref] = mock.user(ref).id }
        func fill(_ text: String) -> String {
            names.reduce(text) { $0.replacingOccurrences(of: "{\($1.key)}", with: $1.value) }
        }
        let stamp = try Regex(#"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z"#)
        var lines: [String] = []
        for call in calls {
            let path = fill(call.path)
            let body = Array(fill(call.body).utf8)
            let headers: HTTPHeaders =
                path.hasPrefix("/_mock/")
                ? ["Content-Type": "application/json"]
                : ["Content-Type": "application/json", "Authorization": "Bearer \(mock.idp.configuration.apiKey)"]
            let request = ClientRequest(method: call.method, url: mock.base + path, headers: headers, body: call.method == "GET" ? [] : body)
            let response = try mock.client.send(request)
            if let capture = call.capture, let id = try? response.json()["id"]?.stringValue { names[capture] = id }
            let answer = response.bodyText.replacing(stamp, with: "<time>")
            let sent = call.method == "GET" ? "" : call.body.count > 200 ? "<\(call.body.count) bytes>" : call.body
            lines.append("\(call.method) \(call.path) \(sent)")
            lines.append("  \(response.status) \(answer)")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    @Test func organizationAndMembershipAnswersStayByteIdentical() throws {
        let actual = try Self.transcript()
        if ProcessInfo.processInfo.environment["MOCKIDP_WRITE_GOLDEN"] == "1" {
            try FileManager.default.createDirectory(at: Self.golden.deletingLastPathComponent(), withIntermediateDirectories: true)
            try actual.write(to: Self.golden, atomically: true, encoding: .utf8)
        }
        let expected = try String(contentsOf: Self.golden, encoding: .utf8)
        let pairs = Array(
            zip(
                expected.split(separator: "\n", omittingEmptySubsequences: false),
                actual.split(separator: "\n", omittingEmptySubsequences: false)))
        let first = pairs.firstIndex { $0.0 != $0.1 }
        #expect(first == nil, "line \((first ?? 0) + 1):\n expected \(first.map { pairs[$0].0 } ?? "")\n actual   \(first.map { pairs[$0].1 } ?? "")")
        #expect(expected == actual)
    }

    @Test func aSeededMockAnswersTheSameBytesTwice() throws {
        #expect(try Self.transcript() == Self.transcript())
    }
}
