/// Base64url without padding (RFC 7515 §2), table-driven because token minting is a hot path.
///
/// Decoding is strict: it rejects `=`, `+`, `/`, whitespace, non-ASCII, lengths that cannot
/// come from an encoder (`count % 4 == 1`) and non-zero unused trailing bits, so that every
/// token has exactly one accepted spelling. A verifier that tolerated alternative spellings
/// would let an attacker change token bytes without changing the signed content.
package enum Base64URL {
    static let urlAlphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
    static let standardAlphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    static let decodeTable: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (index, byte) in urlAlphabet.enumerated() { table[Int(byte)] = UInt8(index) }
        return table
    }()

    package static func encode(_ bytes: some Collection<UInt8>) -> String {
        String(decoding: encodeBytes(bytes), as: UTF8.self)
    }

    package static func encodeBytes(_ bytes: some Collection<UInt8>) -> [UInt8] {
        var out: [UInt8] = []
        append(bytes, to: &out)
        return out
    }

    /// Appends the encoding of `bytes` to `out`, the form the minting path uses.
    package static func append(_ bytes: some Collection<UInt8>, to out: inout [UInt8]) {
        let done: Void? = bytes.withContiguousStorageIfAvailable { buffer in
            append(UnsafeRawBufferPointer(buffer), to: &out, alphabet: urlAlphabet, pad: false)
        }
        if done == nil {
            Array(bytes).withUnsafeBytes { append($0, to: &out, alphabet: urlAlphabet, pad: false) }
        }
    }

    package static func append(_ bytes: UnsafeRawBufferPointer, to out: inout [UInt8]) {
        append(bytes, to: &out, alphabet: urlAlphabet, pad: false)
    }

    static func append(_ bytes: UnsafeRawBufferPointer, to out: inout [UInt8], alphabet: [UInt8], pad: Bool) {
        let count = bytes.count
        let fullGroups = count / 3
        let remainder = count % 3
        let encodedCount = pad ? (count + 2) / 3 * 4 : fullGroups * 4 + (remainder == 0 ? 0 : remainder + 1)
        let start = out.count
        out.append(contentsOf: repeatElement(0, count: encodedCount))
        alphabet.withUnsafeBufferPointer { table in
            out.withUnsafeMutableBufferPointer { output in
                var o = start
                var i = 0
                for _ in 0..<fullGroups {
                    let value = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2])
                    output[o] = table[Int(value >> 18)]
                    output[o + 1] = table[Int(value >> 12 & 0x3F)]
                    output[o + 2] = table[Int(value >> 6 & 0x3F)]
                    output[o + 3] = table[Int(value & 0x3F)]
                    i += 3
                    o += 4
                }
                if remainder == 1 {
                    let value = UInt32(bytes[i]) << 16
                    output[o] = table[Int(value >> 18)]
                    output[o + 1] = table[Int(value >> 12 & 0x3F)]
                    if pad {
                        output[o + 2] = UInt8(ascii: "=")
                        output[o + 3] = UInt8(ascii: "=")
                    }
                } else if remainder == 2 {
                    let value = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8
                    output[o] = table[Int(value >> 18)]
                    output[o + 1] = table[Int(value >> 12 & 0x3F)]
                    output[o + 2] = table[Int(value >> 6 & 0x3F)]
                    if pad { output[o + 3] = UInt8(ascii: "=") }
                }
            }
        }
    }

    package static func decode(_ text: some StringProtocol) throws(JOSEError) -> [UInt8] {
        var copy = String(text)
        let result: Result<[UInt8], JOSEError> = copy.withUTF8 { decode(UnsafeRawBufferPointer($0)) }
        return try result.get()
    }

    package static func decode(bytes: some Collection<UInt8>) throws(JOSEError) -> [UInt8] {
        let result: Result<[UInt8], JOSEError> = Array(bytes).withUnsafeBytes { decode($0) }
        return try result.get()
    }

    static func decode(_ input: UnsafeRawBufferPointer) -> Result<[UInt8], JOSEError> {
        let count = input.count
        if count % 4 == 1 { return .failure(.invalidBase64URL(offset: count - 1)) }
        let fullGroups = count / 4
        let tail = count % 4
        var out = [UInt8](repeating: 0, count: fullGroups * 3 + (tail == 0 ? 0 : tail - 1))
        var failure: Int? = nil
        decodeTable.withUnsafeBufferPointer { table in
            out.withUnsafeMutableBufferPointer { output in
                var i = 0
                var o = 0
                for _ in 0..<fullGroups {
                    let a = table[Int(input[i])]
                    let b = table[Int(input[i + 1])]
                    let c = table[Int(input[i + 2])]
                    let d = table[Int(input[i + 3])]
                    if (a | b | c | d) & 0xC0 != 0 {
                        failure = firstInvalid(input, from: i, table: table)
                        return
                    }
                    let value = UInt32(a) << 18 | UInt32(b) << 12 | UInt32(c) << 6 | UInt32(d)
                    output[o] = UInt8(truncatingIfNeeded: value >> 16)
                    output[o + 1] = UInt8(truncatingIfNeeded: value >> 8)
                    output[o + 2] = UInt8(truncatingIfNeeded: value)
                    i += 4
                    o += 3
                }
                if tail == 0 { return }
                var value: UInt32 = 0
                for k in 0..<tail {
                    let digit = table[Int(input[i + k])]
                    if digit & 0xC0 != 0 {
                        failure = i + k
                        return
                    }
                    value = value << 6 | UInt32(digit)
                }
                if tail == 2 {
                    // 12 bits carry 8: the low 4 must be zero in the canonical encoding.
                    if value & 0x0F != 0 {
                        failure = i + 1
                        return
                    }
                    output[o] = UInt8(truncatingIfNeeded: value >> 4)
                } else {
                    // 18 bits carry 16: the low 2 must be zero.
                    if value & 0x03 != 0 {
                        failure = i + 2
                        return
                    }
                    output[o] = UInt8(truncatingIfNeeded: value >> 10)
                    output[o + 1] = UInt8(truncatingIfNeeded: value >> 2)
                }
            }
        }
        if let failure { return .failure(.invalidBase64URL(offset: failure)) }
        return .success(out)
    }

    private static func firstInvalid(_ input: UnsafeRawBufferPointer, from start: Int, table: UnsafeBufferPointer<UInt8>) -> Int {
        var index = start
        while index < input.count, table[Int(input[index])] & 0xC0 == 0 { index += 1 }
        return index
    }
}

/// Standard padded base64 (RFC 4648 §4), which `x5c` requires (RFC 7517 §4.7).
package enum Base64Standard {
    package static func encode(_ bytes: some Collection<UInt8>) -> String {
        var out: [UInt8] = []
        Array(bytes).withUnsafeBytes {
            Base64URL.append($0, to: &out, alphabet: Base64URL.standardAlphabet, pad: true)
        }
        return String(decoding: out, as: UTF8.self)
    }
}
