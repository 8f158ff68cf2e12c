import Foundation
import HTTP
import JSON
import TestSupport
import Testing

@testable import IdP

/// What a web page could make a browser send to the control API is refused.
@Suite struct ControlGuardTests {
    func post(_ mock: RunningIdP, _ path: String, body: String, headers: HTTPHeaders) throws -> ClientResponse {
        try mock.client.send(ClientRequest(method: "POST", url: mock.base + path, headers: headers, body: Array(body.utf8)))
    }

    @Test func crossSiteTextPlainPostIsRefused() throws {
        let mock = try RunningIdP()
        let sessions = mock.idp.directory.sessions.count
        // What <form enctype="text/plain"> or fetch(..., {mode: "no-cors"}) sends: no preflight.
        let response = try post(
            mock, "/_mock/tokens", body: #"{"user": "alice"}"#,
            headers: ["Content-Type": "text/plain;charset=UTF-8", "Origin": "https://evil.example"])
        #expect(response.status == 403 || response.status == 415, "\(response.status) \(response.bodyText)")
        let sameOriginPlain = try post(mock, "/_mock/tokens", body: #"{"user": "alice"}"#, headers: ["Content-Type": "text/plain"])
        #expect(sameOriginPlain.status == 415 && sameOriginPlain.bodyText.contains("application/json"), "\(sameOriginPlain.bodyText)")
        let emptyReset = try post(mock, "/_mock/reset", body: "", headers: [:])
        #expect(emptyReset.status == 415)
        #expect(mock.idp.directory.sessions.count == sessions, "no token was minted")
        // The preflight a page would need for a JSON POST is refused.
        let preflight = try mock.client.send(
            ClientRequest(
                method: "OPTIONS", url: mock.base + "/_mock/tokens",
                headers: ["Origin": "https://evil.example", "Access-Control-Request-Method": "POST"]))
        #expect(preflight.status == 403)
        #expect(
            try preflight.json()
                == ["code": "control_api_refused", "message": "the control API accepts no CORS preflight: it is not for browsers"])
        #expect(preflight.headers["access-control-allow-origin"] == nil)
        // A JSON POST from a page's origin is refused even if it got there.
        let crossOriginJSON = try post(
            mock, "/_mock/tokens", body: #"{"user": "alice"}"#, headers: ["Content-Type": "application/json", "Origin": "https://evil.example"])
        #expect(crossOriginJSON.status == 403)
        // The same request from a local tool goes through.
        let local = try post(mock, "/_mock/tokens", body: #"{"user": "alice"}"#, headers: ["Content-Type": "application/json; charset=utf-8"])
        #expect(local.status == 200, "\(local.bodyText)")
    }

    @Test(arguments: ["evil.example", "evil.example:4100", "127.0.0.1.evil.example", "localhost.evil.example", "[::2]:80", ""])
    func aNonLoopbackHostIsRefused(host: String) throws {
        let mock = try RunningIdP()
        let response = try post(mock, "/_mock/tokens", body: #"{"user": "alice"}"#, headers: ["Content-Type": "application/json", "Host": host])
        #expect(response.status == 403, "\(host): \(response.status) \(response.bodyText)")
        let read = try mock.client.send(ClientRequest(method: "GET", url: mock.base + "/_mock/journal", headers: ["Host": host]))
        #expect(read.status == 403)
        // A path or method no control route takes is refused the same way, before the router says so.
        let unknown = try mock.client.send(ClientRequest(method: "GET", url: mock.base + "/_mock/nothing-here", headers: ["Host": host]))
        #expect(unknown.status == 403)
        #expect(try unknown.json()["code"] == "control_api_refused")
        let wrongMethod = try mock.client.send(ClientRequest(method: "PATCH", url: mock.base + "/_mock/journal", headers: ["Host": host]))
        #expect(wrongMethod.status == 403)
        // The WorkOS routes are not the control API: they answer any Host, as WorkOS does.
        #expect(
            try mock.client.send(ClientRequest(method: "GET", url: mock.base + "/.well-known/openid-configuration", headers: ["Host": host])).status
                == 200)
    }

    @Test func loopbackHostsAreRecognised() {
        for host in ["localhost", "LOCALHOST:4100", "127.0.0.1", "127.0.0.1:80", "127.1.2.3", "[::1]", "[::1]:4100"] {
            #expect(ControlGuard.isLoopback(host: host), "\(host)")
        }
        for host in ["", "evil", "127.0.0.1:x", "127.0.0.256", "128.0.0.1", "[::1]x", "0.0.0.0", "127.0.0.1.nip.io"] {
            #expect(!ControlGuard.isLoopback(host: host), "\(host)")
        }
    }

    @Test func aControlTokenIsRequiredWhenConfigured() throws {
        let mock = try RunningIdP { $0.controlGuard = ControlGuard(token: "s3cret") }
        let without = try post(mock, "/_mock/tokens", body: #"{"user": "alice"}"#, headers: ["Content-Type": "application/json"])
        #expect(without.status == 401)
        let wrong = try post(
            mock, "/_mock/tokens", body: #"{"user": "alice"}"#, headers: ["Content-Type": "application/json", "Authorization": "Bearer nope"])
        #expect(wrong.status == 401)
        let with = try post(
            mock, "/_mock/tokens", body: #"{"user": "alice"}"#, headers: ["Content-Type": "application/json", "Authorization": "Bearer s3cret"])
        #expect(with.status == 200)
        // Without the token, unknown control paths are as closed as known ones.
        #expect(try mock.client.send(ClientRequest(method: "GET", url: mock.base + "/_mock/nothing-here")).status == 401)
        #expect(
            try mock.client.send(
                ClientRequest(
                    method: "GET", url: mock.base + "/_mock/nothing-here",
                    headers: ["Authorization": "Bearer s3cret"])
            ).status == 404)
    }
}
