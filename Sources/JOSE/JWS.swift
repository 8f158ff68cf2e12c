import JSON

/// One JWS in compact serialization (jwt-kit's `JWTSerializer` and `JWTParser` in one value).
/// It takes and keeps exact bytes, so the forger can sign duplicate keys, odd spacing or any
/// `alg` spelling without this module "fixing" them, and change the signature afterwards.
package struct JWSCompact: Sendable, Equatable {
    package let headerBytes: [UInt8]
    package let payloadBytes: [UInt8]
    package var signature: [UInt8]
    /// `BASE64URL(header) '.' BASE64URL(payload)`, encoded once: what is signed, and the start
    /// of the serialization.
    package let signingInput: [UInt8]

    package init(headerBytes: [UInt8], payloadBytes: [UInt8], signature: [UInt8] = []) {
        self.headerBytes = headerBytes
        self.payloadBytes = payloadBytes
        self.signature = signature
        var input: [UInt8] = []
        input.reserveCapacity((headerBytes.count + payloadBytes.count) * 4 / 3 + 4)
        Base64URL.append(headerBytes, to: &input)
        input.append(UInt8(ascii: "."))
        Base64URL.append(payloadBytes, to: &input)
        signingInput = input
    }

    /// Signs exactly `headerBytes` and `payloadBytes`; nothing checks that the header's `alg`
    /// matches the signer, on purpose.
    package init(headerBytes: [UInt8], payloadBytes: [UInt8], signer: some JWSSigner) throws(JOSEError) {
        self.init(headerBytes: headerBytes, payloadBytes: payloadBytes)
        signature = try signer.sign(signingInput)
    }

    /// Splits and decodes a compact token (three segments, each base64url).
    package init(parsing token: String) throws(JOSEError) {
        let segments = try Segments(token)
        headerBytes = try Base64URL.decode(bytes: segments.header)
        payloadBytes = try Base64URL.decode(bytes: segments.payload)
        signature = try Base64URL.decode(bytes: segments.signature)
        signingInput = Array(segments.signingInput)
    }

    /// `signingInput '.' BASE64URL(signature)`; an empty signature leaves the trailing dot.
    package var serialized: String {
        var out = signingInput
        out.reserveCapacity(signingInput.count + 1 + (signature.count * 4 + 2) / 3)
        out.append(UInt8(ascii: "."))
        Base64URL.append(signature, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// The three still-encoded segments of a compact token, for a reader that decodes them one
    /// at a time (the verifier judges the header before it touches the rest).
    package struct Segments: Sendable {
        package let bytes: [UInt8]
        private let firstDot: Int
        private let secondDot: Int

        package init(_ token: String) throws(JOSEError) {
            let bytes = Array(token.utf8)
            let dots = bytes.indices.filter { bytes[$0] == UInt8(ascii: ".") }
            guard dots.count == 2 else {
                throw .malformedToken("compact JWS has 3 dot-separated segments, found \(dots.count + 1)")
            }
            self.bytes = bytes
            firstDot = dots[0]
            secondDot = dots[1]
        }

        package var header: ArraySlice<UInt8> { bytes[..<firstDot] }
        package var payload: ArraySlice<UInt8> { bytes[(firstDot + 1)..<secondDot] }
        package var signature: ArraySlice<UInt8> { bytes[(secondDot + 1)...] }
        package var signingInput: ArraySlice<UInt8> { bytes[..<secondDot] }
    }
}

/// The exact-bytes API in function form, over `JWSCompact`.
package enum JWS {
    package static func signingInput(headerBytes: [UInt8], payloadBytes: [UInt8]) -> [UInt8] {
        JWSCompact(headerBytes: headerBytes, payloadBytes: payloadBytes).signingInput
    }

    package static func compact(headerBytes: [UInt8], payloadBytes: [UInt8], signature: [UInt8]) -> String {
        JWSCompact(headerBytes: headerBytes, payloadBytes: payloadBytes, signature: signature).serialized
    }

    /// Signs exactly `headerBytes` and `payloadBytes`; nothing checks that the header's `alg`
    /// matches the signer, on purpose.
    package static func sign(headerBytes: [UInt8], payloadBytes: [UInt8], signer: any JWSSigner) throws(JOSEError) -> String {
        try JWSCompact(headerBytes: headerBytes, payloadBytes: payloadBytes, signer: signer).serialized
    }

    /// Serializes `header` compactly, in member order, duplicates kept.
    package static func sign(header: JSONObject, payload: [UInt8], signer: any JWSSigner) throws(JOSEError) -> String {
        try sign(headerBytes: JSONValue.object(header).serialized(), payloadBytes: payload, signer: signer)
    }
}
