import JSON
import Testing

@testable import JOSE

@Suite struct JWTAndClaimsTests {
    static let now: Int64 = 1_700_000_000

    @Test func mintDefaultHeaderIsWorkOSStyle() throws {
        let key = Fixtures.rsaSigning
        let token = try JWT.mint(claims: Fixtures.workOSClaims(now: Self.now, counter: 1), key: key)
        let header = try Base64URL.decode(token.split(separator: ".")[0])
        #expect(header == Array(#"{"alg":"RS256","kid":"\#(key.kid)"}"#.utf8))
        let verified = try Fixtures.verifier.verify(token)
        #expect(verified.payload["org_id"] == "org_01HBENCHMARKORG000000000000")
        #expect(verified.payload["permissions"]?[2] == "billing:manage")
        let claims = try JWTClaims(payload: verified.payload)
        #expect(claims == Fixtures.workOSClaims(now: Self.now, counter: 1))
    }

    @Test func mintHeaderOptions() throws {
        let key = Fixtures.ecSigning
        let token = try JWT.mint(
            claims: JWTClaims(sub: "u"), key: key, headerOverrides: ["cty": "x", "alg": "ES256"], omitKid: true, includeTyp: true)
        let header = try Base64URL.decode(token.split(separator: ".")[0])
        #expect(header == Array(#"{"alg":"ES256","typ":"JWT","cty":"x"}"#.utf8))
        #expect(try Fixtures.verifier.verify(token).keyID == nil)
    }

    @Test func payloadOrderAndFastWriterAgree() throws {
        let claims = JWTClaims(
            iss: "i", sub: "s", aud: ["a"], sid: "sid", jti: "j", iat: 1, nbf: 2, exp: 3,
            extra: ["z": ["q": [1, 2.5, nil, true]], "a\"b": "\u{1}"])
        let tree = JSONValue.object(claims.payload()).serialized()
        var fast: [UInt8] = []
        claims.writePayload(into: &fast)
        #expect(fast == tree)
        #expect(
            String(decoding: fast, as: UTF8.self)
                == #"{"iss":"i","sub":"s","aud":"a","sid":"sid","jti":"j","iat":1,"nbf":2,"exp":3,"z":{"q":[1,2.5,null,true]},"a\"b":"\u0001"}"#)
        var asArray = claims
        asArray.audienceAsArray = true
        #expect(asArray.payload()["aud"] == ["a"])
        var empty: [UInt8] = []
        JWTClaims().writePayload(into: &empty)
        #expect(empty == Array("{}".utf8))
        // Wrong-typed registered claims survive parsing in `extra`.
        let parsed = try JWTClaims(payload: ["exp": "soon", "sub": "u"])
        #expect(parsed.exp == nil && parsed.extra["exp"] == "soon" && parsed.sub == "u")
    }

    @Test func rawCompactKeepsExactBytes() throws {
        let payload = Array(#"{"sub":"a", "sub" : "b","n":1.0}"#.utf8)
        let header = Array(#"{"alg":"nOnE"}"#.utf8)
        let token = JWS.compact(headerBytes: header, payloadBytes: payload, signature: [])
        #expect(token.hasSuffix("."))
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        #expect(parts.count == 3 && parts[2].isEmpty)
        #expect(try Base64URL.decode(parts[0]) == header)
        #expect(try Base64URL.decode(parts[1]) == payload)
        // Signed duplicate-key payload verifies, and the verifier hands back the exact bytes.
        let signed = try JWS.sign(
            headerBytes: Array(#"{"alg":"RS256","kid":"\#(Fixtures.rsaSigning.kid)"}"#.utf8), payloadBytes: payload,
            signer: RSASigner(key: Fixtures.rsa))
        let verified = try Fixtures.verifier.verify(signed)
        #expect(verified.payloadBytes == payload)
        #expect(verified.payload.objectValue?.keys == ["sub", "sub", "n"])
    }

    func validator(_ issuer: String? = "https://idp.test", leeway: Int64 = 0) -> ClaimsValidator {
        ClaimsValidator(issuer: issuer, leeway: leeway, now: Self.now)
    }

    var good: JSONObject { ["iss": "https://idp.test", "sub": "u", "iat": .int(Self.now - 10), "exp": .int(Self.now + 300)] }

    func with(_ key: String, _ value: JSONValue?) -> JSONValue {
        var object = good
        object[key] = value
        return .object(object)
    }

    @Test func acceptsValidClaims() throws {
        try validator().validate(.object(good))
        try validator(leeway: 60).validate(with("exp", .int(Self.now - 30)))
        try validator().validate(with("exp", .double(Double(Self.now) + 1.5)))  // fractional NumericDate, truncated to now + 1
    }

    @Test func rejectsTimeViolations() {
        #expect(throws: JOSEError.tokenExpired(exp: Self.now, now: Self.now)) { try validator().validate(with("exp", .int(Self.now))) }
        #expect(throws: JOSEError.tokenExpired(exp: Self.now - 61, now: Self.now)) {
            try validator(leeway: 60).validate(with("exp", .int(Self.now - 61)))
        }
        #expect(throws: JOSEError.tokenNotYetValid(nbf: Self.now + 5, now: Self.now)) { try validator().validate(with("nbf", .int(Self.now + 5))) }
        #expect(throws: JOSEError.issuedInFuture(iat: Self.now + 120, now: Self.now)) {
            try validator(leeway: 60).validate(with("iat", .int(Self.now + 120)))
        }
        #expect(throws: JOSEError.missingClaim("exp")) { try validator().validate(with("exp", nil)) }
    }

    @Test func rejectsIssuerSubjectAndTypes() {
        #expect(throws: JOSEError.issuerMismatch(expected: "https://idp.test", actual: "https://evil.test")) {
            try validator().validate(with("iss", "https://evil.test"))
        }
        #expect(throws: JOSEError.issuerMismatch(expected: "https://idp.test", actual: "https://idp.test/")) {
            try validator().validate(with("iss", "https://idp.test/"))
        }
        #expect(throws: JOSEError.missingClaim("iss")) { try validator().validate(with("iss", nil)) }
        #expect(throws: JOSEError.missingClaim("sub")) { try validator().validate(with("sub", nil)) }
        #expect(throws: JOSEError.invalidClaimType(claim: "exp", expected: "number", actual: "string")) {
            try validator().validate(with("exp", .string("\(Self.now + 300)")))
        }
        #expect(throws: JOSEError.invalidClaimType(claim: "sub", expected: "string", actual: "number")) { try validator().validate(with("sub", 5)) }
        #expect(throws: JOSEError.invalidPayload("must be a JSON object, found array")) { try validator().validate([1]) }
        var audience = validator()
        audience.audience = "client_1"
        #expect(throws: JOSEError.audienceMismatch(expected: "client_1", actual: ["client_2"])) { try audience.validate(with("aud", "client_2")) }
        #expect(throws: Never.self) { try audience.validate(with("aud", ["x", "client_1"])) }
    }
}
