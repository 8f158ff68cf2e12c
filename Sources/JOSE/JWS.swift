import JSON

/// JWS compact serialization. The raw forms take exact bytes so the forger can sign duplicate
/// keys, odd spacing or any `alg` spelling without this module "fixing" them.
public enum JWS {
    public static func signingInput(headerBytes: [UInt8], payloadBytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity((headerBytes.count + payloadBytes.count) * 4 / 3 + 4)
        Base64URL.append(headerBytes, to: &out)
        out.append(UInt8(ascii: "."))
        Base64URL.append(payloadBytes, to: &out)
        return out
    }

    public static func compact(headerBytes: [UInt8], payloadBytes: [UInt8], signature: [UInt8]) -> String {
        var out = signingInput(headerBytes: headerBytes, payloadBytes: payloadBytes)
        out.append(UInt8(ascii: "."))
        Base64URL.append(signature, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Signs exactly `headerBytes` and `payloadBytes`; nothing checks that the header's `alg`
    /// matches the signer, on purpose.
    public static func sign(headerBytes: [UInt8], payloadBytes: [UInt8], signer: any JWSSigner) throws(JOSEError) -> String {
        var out = signingInput(headerBytes: headerBytes, payloadBytes: payloadBytes)
        let signature = try signer.sign(out)
        out.append(UInt8(ascii: "."))
        Base64URL.append(signature, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Serializes `header` compactly, in member order, duplicates kept.
    public static func sign(header: JSONObject, payload: [UInt8], signer: any JWSSigner) throws(JOSEError) -> String {
        try sign(headerBytes: JSONValue.object(header).serialized(), payloadBytes: payload, signer: signer)
    }
}
