import Essentials
import HTTP
import JOSE
import JSON

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Identifiers and secrets the app mints for its own rows. App IDs are UUIDs so they can never
/// be mistaken for IdP IDs (`user_…`, `org_…`).
enum Identifiers {
    static func randomBytes(_ count: Int) -> [UInt8] { SecureRandom.bytes(count) }

    /// A version 4 UUID in lowercase text form.
    static func uuid() -> String {
        var bytes = randomBytes(16)
        bytes[6] = (bytes[6] & 0x0F) | 0x40
        bytes[8] = (bytes[8] & 0x3F) | 0x80
        let hex = hexString(bytes)
        let characters = Array(hex)
        func slice(_ range: Range<Int>) -> String { String(characters[range]) }
        return "\(slice(0..<8))-\(slice(8..<12))-\(slice(12..<16))-\(slice(16..<20))-\(slice(20..<32))"
    }

    static func secret(prefix: String) -> String {
        prefix + Base64URL.encode(randomBytes(32))
    }

    static func hexString(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef")
        var out = ""
        out.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return out
    }

    /// SHA-256 over length-prefixed fields, so ("ab","c") and ("a","bc") never collide.
    static func digest(fields: [String]) -> String {
        var input: [UInt8] = []
        for field in fields {
            let bytes = Array(field.utf8)
            input.append(contentsOf: String(bytes.count).utf8)
            input.append(UInt8(ascii: ":"))
            input.append(contentsOf: bytes)
        }
        return hexString(SHA256Digest.hash(input))
    }
}

/// Percent-encodes one URL path segment (IDs from tokens go into IdP URLs).
func percentEncodeSegment(_ text: String) -> String { percentEncode(text) }

extension JSONValue {
    /// A JSON string after trimming whitespace, or nil when absent, not a string, or blank.
    var nonBlankString: String? {
        guard case .string(let text) = self else { return nil }
        let trimmed = text.trimmingWhitespace()
        return trimmed.isEmpty ? nil : trimmed
    }
}

extension String {
    func trimmingWhitespace() -> String {
        let isSpace: (Character) -> Bool = { $0.isWhitespace }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(self[first...last])
    }
}
