#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import COpenSSL
import HTTP
import JOSE
import JSON

/// Wall-clock time (Unix epoch): token time claims and `last_seen_at`.
public enum WallClock {
    public static func nowMilliseconds() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1000 + Int64(spec.tv_nsec) / 1_000_000
    }

    /// `2025-01-31T12:34:56.789Z`: the format WorkOS uses for timestamps.
    public static func iso8601(milliseconds: Int64) -> String {
        var seconds = time_t(milliseconds >= 0 ? milliseconds / 1000 : (milliseconds - 999) / 1000)
        let millis = Int((milliseconds % 1000 + 1000) % 1000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func pad(_ value: Int32, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))T"
            + "\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2)).\(pad(Int32(millis), 3))Z"
    }
}

/// Time that never jumps: cache ages and cooldowns must not move with wall-clock changes.
enum MonotonicClock {
    static func nowMilliseconds() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return Int64(spec.tv_sec) * 1000 + Int64(spec.tv_nsec) / 1_000_000
    }
}

/// Identifiers and secrets the app mints for its own rows. App IDs are UUIDs so they can never
/// be mistaken for IdP IDs (`user_…`, `org_…`).
enum Identifiers {
    static func randomBytes(_ count: Int) -> [UInt8] {
        // SystemRandomNumberGenerator reads getrandom(2): suitable for secrets.
        var generator = SystemRandomNumberGenerator()
        return (0..<count).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
    }

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

    static func sha256(_ bytes: [UInt8]) -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: 32)
        bytes.withUnsafeBufferPointer { input in
            digest.withUnsafeMutableBufferPointer { output in
                _ = SHA256(input.baseAddress, input.count, output.baseAddress)
            }
        }
        return digest
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
        return hexString(sha256(input))
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
