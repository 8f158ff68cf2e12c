import JSON

/// Mints JWTs from typed claims, for JOSE's own tests and callers outside the mock. The mock
/// itself mints through `TokenMinter` (IdP), which needs WorkOS's claim order and forgeries;
/// both end in the one serializer, `JWSCompact`.
package enum JWT {
    /// The default header is `{"alg":..,"kid":..}` without `typ`, as WorkOS issues them.
    /// `headerOverrides` members replace same-named header members or are appended; the
    /// signature always uses `key`, whatever `alg` the overrides claim.
    package static func mint(
        claims: JWTClaims, key: SigningKey, headerOverrides: JSONObject = [:],
        omitKid: Bool = false, includeTyp: Bool = false
    ) throws(JOSEError) -> String {
        var payload: [UInt8] = []
        payload.reserveCapacity(512)
        claims.writePayload(into: &payload)
        let header = JSONValue.object(header(for: key, overrides: headerOverrides, omitKid: omitKid, includeTyp: includeTyp)).serialized()
        return try JWSCompact(headerBytes: header, payloadBytes: payload, signer: key.signer).serialized
    }

    package static func header(for key: SigningKey, overrides: JSONObject = [:], omitKid: Bool = false, includeTyp: Bool = false) -> JSONObject {
        var header = JSONObject()
        header.members.append((key: "alg", value: .string(key.algorithm.rawValue)))
        if !omitKid { header.members.append((key: "kid", value: .string(key.kid))) }
        if includeTyp { header.members.append((key: "typ", value: "JWT")) }
        for member in overrides.members { header[member.key] = member.value }
        return header
    }
}
