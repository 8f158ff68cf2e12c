import JSON

/// Mints signed JWTs. This is the mock's hot path: the default header is precomputed per key,
/// the payload is written straight into the token buffer's source bytes, and the signing input
/// is hashed once.
public enum JWT {
    /// The default header is `{"alg":..,"kid":..}` without `typ`, as WorkOS issues them.
    /// `headerOverrides` members replace same-named header members or are appended; the
    /// signature always uses `key`, whatever `alg` the overrides claim.
    public static func mint(claims: JWTClaims, key: SigningKey, headerOverrides: JSONObject = [:],
                            omitKid: Bool = false, includeTyp: Bool = false) throws(JOSEError) -> String {
        var payload: [UInt8] = []
        payload.reserveCapacity(512)
        claims.writePayload(into: &payload)

        var out: [UInt8] = []
        out.reserveCapacity(160 + payload.count * 4 / 3 + key.privateKey.publicKey.spkiSignatureLength * 4 / 3)
        if headerOverrides.isEmpty && !omitKid && !includeTyp {
            out.append(contentsOf: key.defaultHeaderSegment)
        } else {
            Base64URL.append(JSONValue.object(header(for: key, overrides: headerOverrides, omitKid: omitKid, includeTyp: includeTyp)).serialized(), to: &out)
        }
        out.append(UInt8(ascii: "."))
        Base64URL.append(payload, to: &out)
        let result: Result<[UInt8], JOSEError> = out.withUnsafeBytes { raw in
            Result { () throws(JOSEError) -> [UInt8] in try key.signer.sign(bytes: raw) }
        }
        let signature = try result.get()
        out.append(UInt8(ascii: "."))
        Base64URL.append(signature, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    public static func header(for key: SigningKey, overrides: JSONObject = [:], omitKid: Bool = false, includeTyp: Bool = false) -> JSONObject {
        var header = JSONObject()
        header.members.append((key: "alg", value: .string(key.algorithm.rawValue)))
        if !omitKid { header.members.append((key: "kid", value: .string(key.kid))) }
        if includeTyp { header.members.append((key: "typ", value: "JWT")) }
        for member in overrides.members { header[member.key] = member.value }
        return header
    }
}
