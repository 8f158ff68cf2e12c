import COpenSSL
import JSON

/// The byte strings an app may mistake for an HMAC secret when it lets `alg: HS256` through
/// with the IdP's public key (RFC 8725 §3.1): the encodings libraries and copy-pasted snippets
/// hand around, so the forger can try each one.
extension PublicKey {
    /// RFC 8017 A.1.1 `RSAPublicKey` (PKCS#1) DER; nil for an EC key, which has no PKCS#1 form.
    package var pkcs1DER: [UInt8]? {
        guard case .rsa = keyType, let n = OpenSSL.bigNumParam(pkey, "n"), let e = OpenSSL.bigNumParam(pkey, "e") else { return nil }
        return DER.sequence(DER.integer(n) + DER.integer(e))
    }

    /// PKCS#1 PEM (`RSA PUBLIC KEY`), with the final newline OpenSSL writes; nil for an EC key.
    package var pkcs1PEM: String? { pkcs1DER.map { PEM.encode($0, label: "RSA PUBLIC KEY") } }

    /// The RSA modulus, big-endian without a leading zero; nil for an EC key.
    package var modulus: [UInt8]? {
        guard case .rsa = keyType else { return nil }
        return OpenSSL.bigNumParam(pkey, "n")
    }
}

/// PEM armour (RFC 7468): standard base64 in 64-character lines between the label's lines.
package enum PEM {
    package static func encode(_ der: [UInt8], label: String) -> String {
        let body = Base64Standard.encode(der)
        var lines: [Substring] = []
        var rest = Substring(body)
        while !rest.isEmpty {
            lines.append(rest.prefix(64))
            rest = rest.dropFirst(64)
        }
        return "-----BEGIN \(label)-----\n" + lines.joined(separator: "\n") + "\n-----END \(label)-----\n"
    }
}

/// The few DER shapes PKCS#1 needs (X.690 §8.1.3 lengths, §8.3 integers).
enum DER {
    static func sequence(_ content: [UInt8]) -> [UInt8] { [0x30] + length(content.count) + content }

    /// A non-negative integer from big-endian magnitude bytes: a leading zero keeps it positive.
    static func integer(_ magnitude: [UInt8]) -> [UInt8] {
        var bytes = Array(magnitude.drop { $0 == 0 })
        if bytes.isEmpty || bytes[0] & 0x80 != 0 { bytes.insert(0, at: 0) }
        return [0x02] + length(bytes.count) + bytes
    }

    static func length(_ count: Int) -> [UInt8] {
        if count < 0x80 { return [UInt8(count)] }
        var bytes: [UInt8] = []
        var rest = count
        while rest > 0 {
            bytes.insert(UInt8(rest & 0xFF), at: 0)
            rest >>= 8
        }
        return [0x80 | UInt8(bytes.count)] + bytes
    }
}
