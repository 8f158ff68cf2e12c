import Foundation
import HTTP
import JSON
import TestSupport
import Testing

@testable import IdP

/// Each request here once killed the mock (arithmetic overflow). Now each is a 422 naming the
/// field and its range, and the mock keeps serving ordinary requests afterwards.
@Suite struct RangeCheckTests {
    static let extremes: [Int64] = [.max, .min, 10_000_000_000_000_000, -10_000_000_000_000_000]

    /// The mock still answers an ordinary WorkOS request and mints an ordinary token.
    func assertServing(_ mock: RunningIdP, sourceLocation: SourceLocation = #_sourceLocation) throws {
        #expect(try mock.get("/sso/jwks/\(mock.idp.configuration.clientID)").status == 200, sourceLocation: sourceLocation)
        #expect(try mock.get("/user_management/users").status == 200, sourceLocation: sourceLocation)
        _ = try mock.mint(["user": "alice"])
    }

    @Test(arguments: ["expires_in", "not_before_in", "issued_at_offset"])
    func tokenTimeFieldsOutOfRangeAre422(field: String) throws {
        let mock = try RunningIdP()
        for value in Self.extremes {
            let response = try mock.send("POST", "/_mock/tokens", ["user": "alice", .init(field): .int(value)], authorized: false)
            #expect(response.status == 422, "\(field)=\(value): \(response.bodyText)")
            #expect(response.bodyText.contains(field) && response.bodyText.contains("-3155760000 to 3155760000"), "\(response.bodyText)")
        }
        // The edge of the range is accepted and lands in the token.
        let edge = try mock.send(
            "POST", "/_mock/tokens", ["user": "alice", .init(field): .int(Limits.timeOffsetSeconds.range.upperBound)], authorized: false)
        #expect(edge.status == 200, "\(edge.bodyText)")
        try assertServing(mock)
    }

    @Test func inProcessMintingSaturatesInsteadOfTrapping() throws {
        let idp = try MockIdP()
        var request = TokenRequest(user: "alice")
        request.expiresIn = .max
        request.notBeforeIn = .min
        request.issuedAtOffset = .max
        let minted = try idp.mintToken(request)
        #expect(minted.claims["exp"] == .int(.max))
        #expect((minted.claims["nbf"]?.intValue ?? 0) < -9_000_000_000_000_000_000)
        #expect(minted.claims["iat"] == .int(.max))
    }

    @Test(arguments: ["offset", "advance"])
    func clockFieldsOutOfRangeAre422AndTheNextRequestIsServed(field: String) throws {
        let mock = try RunningIdP()
        for value in Self.extremes {
            let response = try mock.send("POST", "/_mock/clock", [.init(field): .int(value)], authorized: false)
            #expect(response.status == 422, "\(field)=\(value): \(response.bodyText)")
            #expect(response.bodyText.contains(field), "\(response.bodyText)")
            try assertServing(mock)
        }
        #expect(mock.idp.clock.offset == 0)
    }

    @Test func repeatedAdvancesSaturateInsteadOfOverflowing() throws {
        let mock = try RunningIdP()
        let top = Limits.timeOffsetSeconds.range.upperBound
        for _ in 0..<4 {
            #expect(try mock.send("POST", "/_mock/clock", ["advance": .int(top)], authorized: false).status == 200)
        }
        #expect(mock.idp.clock.offset == top)
        try assertServing(mock)
        let clock = try mock.json("/_mock/clock")
        #expect(clock["offset"] == .int(top))
        mock.idp.clock.advance(.min)
        #expect(mock.idp.clock.offset == Limits.timeOffsetSeconds.range.lowerBound)
        #expect(mock.idp.clock.nowMillis() < 0)
    }

    @Test func faultNumbersOutOfRangeAre422() throws {
        let mock = try RunningIdP()
        let bodies: [(JSONValue, String)] = [
            (["path": "/x", "status": .int(.max)], "status"),
            (["path": "/x", "status": 99], "status"),
            (["path": "/x", "latency_ms": .int(.max)], "latency_ms"),
            (["path": "/x", "latency_ms": -1], "latency_ms"),
            (["path": "/x", "status": 500, "times": 0], "times"),
            (["path": "/x", "status": 500, "times": .int(.max)], "times"),
        ]
        for (body, field) in bodies {
            let response = try mock.send("POST", "/_mock/faults", body, authorized: false)
            #expect(
                response.status == 422 && response.bodyText.contains(field), "\(body.serializedString()): \(response.status) \(response.bodyText)")
        }
        #expect(mock.idp.faults.armed.isEmpty)
        try assertServing(mock)
    }

    @Test func armedFaultsAreCapped() throws {
        let mock = try RunningIdP()
        for index in 0..<Limits.armedFaults {
            mock.idp.faults.arm(FaultRule(id: "f\(index)", method: nil, path: "/nowhere/\(index)", action: .drop, times: nil))
        }
        let response = try mock.send("POST", "/_mock/faults", ["path": "/x", "status": 500], authorized: false)
        #expect(response.status == 422 && response.bodyText.contains("armed already"), "\(response.bodyText)")
        #expect(try mock.client.send(ClientRequest(method: "DELETE", url: mock.base + "/_mock/faults")).status == 204)
        #expect(try mock.send("POST", "/_mock/faults", ["path": "/x", "status": 500], authorized: false).status == 201)
    }

    @Test func aTypoInAFaultIsRefusedWithDidYouMean() throws {
        let mock = try RunningIdP()
        let response = try mock.send("POST", "/_mock/faults", ["path": "/x", "status": 500, "time": 1], authorized: false)
        #expect(response.status == 422)
        #expect(response.bodyText.contains("unknown field 'time'; did you mean 'times'?"), "\(response.bodyText)")
        #expect(mock.idp.faults.armed.isEmpty)
        let user = try mock.send("POST", "/_mock/users", ["email": "typo@example.test", "frist_name": "T"], authorized: false)
        #expect(user.status == 422 && user.bodyText.contains("did you mean 'first_name'?"), "\(user.bodyText)")
        let membership = try mock.send("POST", "/_mock/memberships", ["user_id": "u", "organization_id": "o", "role": "admin"], authorized: false)
        #expect(membership.status == 422 && membership.bodyText.contains("unknown field 'role'"), "\(membership.bodyText)")
        let clock = try mock.send("POST", "/_mock/clock", ["ofset": 5], authorized: false)
        #expect(clock.status == 422 && clock.bodyText.contains("did you mean 'offset'?"), "\(clock.bodyText)")
    }
}
