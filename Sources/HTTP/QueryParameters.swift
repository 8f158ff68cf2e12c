/// Ordered `name=value` pairs from a query string or an `application/x-www-form-urlencoded` body.
///
/// Decoding is lenient about malformed escapes (a `%` not followed by two hex digits is kept
/// literally), decodes `+` as a space, and keeps repeated names in order.
package struct QueryParameters: Sendable, Hashable, Sequence, ExpressibleByDictionaryLiteral {
    package var pairs: [(name: String, value: String)]

    package init() { pairs = [] }
    package init(_ pairs: [(name: String, value: String)]) { self.pairs = pairs }
    package init(dictionaryLiteral elements: (String, String)...) {
        pairs = elements.map { (name: $0.0, value: $0.1) }
    }

    /// Parses `a=1&b=2&b=3` (no leading `?`). Empty segments are skipped; `a` alone means `a=""`.
    package init(parsing query: some StringProtocol) {
        self.init(parsing: Array(query.utf8)[...])
    }

    package init(parsing bytes: ArraySlice<UInt8>) {
        pairs = []
        var start = bytes.startIndex
        while start <= bytes.endIndex {
            let end = bytes[start...].firstIndex(of: UInt8(ascii: "&")) ?? bytes.endIndex
            let segment = bytes[start..<end]
            if !segment.isEmpty {
                if let equals = segment.firstIndex(of: UInt8(ascii: "=")) {
                    pairs.append(
                        (
                            name: percentDecode(segment[segment.startIndex..<equals], plusAsSpace: true),
                            value: percentDecode(segment[(equals + 1)...], plusAsSpace: true)
                        ))
                } else {
                    pairs.append((name: percentDecode(segment, plusAsSpace: true), value: ""))
                }
            }
            start = end + 1
        }
    }

    package var isEmpty: Bool { pairs.isEmpty }
    package var count: Int { pairs.count }

    /// The first value for `name` (case-sensitive, as query names are).
    package subscript(name: String) -> String? {
        for pair in pairs where pair.name == name { return pair.value }
        return nil
    }

    /// Every value for `name`, in order (`a=1&a=2` gives `["1", "2"]`).
    package func values(_ name: String) -> [String] {
        pairs.compactMap { $0.name == name ? $0.value : nil }
    }

    /// Every value for `name`, also split on commas, dropping empty items: both `statuses=a,b` and
    /// `statuses=a&statuses=b` give `["a", "b"]`. Also accepts the `name[]` spelling.
    package func list(_ name: String) -> [String] {
        let bracketed = name + "[]"
        var result: [String] = []
        for pair in pairs where pair.name == name || pair.name == bracketed {
            for item in pair.value.split(separator: ",") where !item.isEmpty { result.append(String(item)) }
        }
        return result
    }

    package func contains(_ name: String) -> Bool { pairs.contains { $0.name == name } }

    package mutating func add(_ name: String, _ value: String) { pairs.append((name: name, value: value)) }

    /// `a=1&b=x%20y`, without a leading `?`.
    package var encoded: String { Self.encode(pairs) }

    /// Encodes pairs as a query string (no leading `?`): unreserved bytes are kept, everything else
    /// is percent-encoded (spaces as `%20`, which every decoder accepts).
    package static func encode(_ pairs: [(name: String, value: String)]) -> String {
        var out: [UInt8] = []
        for (index, pair) in pairs.enumerated() {
            if index > 0 { out.append(UInt8(ascii: "&")) }
            percentEncode(pair.name, into: &out)
            out.append(UInt8(ascii: "="))
            percentEncode(pair.value, into: &out)
        }
        return String(decoding: out, as: UTF8.self)
    }

    package static func encode(_ pairs: KeyValuePairs<String, String>) -> String {
        encode(pairs.map { (name: $0.key, value: $0.value) })
    }

    package func makeIterator() -> IndexingIterator<[(name: String, value: String)]> { pairs.makeIterator() }

    package static func == (lhs: QueryParameters, rhs: QueryParameters) -> Bool {
        guard lhs.pairs.count == rhs.pairs.count else { return false }
        for (a, b) in zip(lhs.pairs, rhs.pairs) where a.name != b.name || a.value != b.value { return false }
        return true
    }

    package func hash(into hasher: inout Hasher) {
        for pair in pairs {
            hasher.combine(pair.name)
            hasher.combine(pair.value)
        }
    }
}

@inline(__always)
func hexValue(_ byte: UInt8) -> UInt8? {
    switch byte {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
    default: return nil
    }
}

/// Percent-decodes bytes into a String (invalid UTF-8 becomes U+FFFD). Malformed escapes are kept.
package func percentDecode(_ bytes: some Collection<UInt8>, plusAsSpace: Bool) -> String {
    var needsWork = false
    for byte in bytes where byte == UInt8(ascii: "%") || (plusAsSpace && byte == UInt8(ascii: "+")) {
        needsWork = true
        break
    }
    if !needsWork { return String(decoding: bytes, as: UTF8.self) }
    var out: [UInt8] = []
    out.reserveCapacity(bytes.count)
    var index = bytes.startIndex
    while index != bytes.endIndex {
        let byte = bytes[index]
        if byte == UInt8(ascii: "%") {
            let i1 = bytes.index(after: index)
            if i1 != bytes.endIndex, let high = hexValue(bytes[i1]) {
                let i2 = bytes.index(after: i1)
                if i2 != bytes.endIndex, let low = hexValue(bytes[i2]) {
                    out.append(high << 4 | low)
                    index = bytes.index(after: i2)
                    continue
                }
            }
            out.append(byte)
        } else if plusAsSpace && byte == UInt8(ascii: "+") {
            out.append(UInt8(ascii: " "))
        } else {
            out.append(byte)
        }
        index = bytes.index(after: index)
    }
    return String(decoding: out, as: UTF8.self)
}

package func percentDecode(_ string: some StringProtocol, plusAsSpace: Bool = false) -> String {
    percentDecode(Array(string.utf8), plusAsSpace: plusAsSpace)
}

private let hexDigits: [UInt8] = Array("0123456789ABCDEF".utf8)

@inline(__always)
func isUnreserved(_ byte: UInt8) -> Bool {
    switch byte {
    case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
        UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
        UInt8(ascii: "~"):
        return true
    default: return false
    }
}

func percentEncode(_ string: String, into out: inout [UInt8]) {
    for byte in string.utf8 {
        if isUnreserved(byte) {
            out.append(byte)
        } else {
            out.append(UInt8(ascii: "%"))
            out.append(hexDigits[Int(byte >> 4)])
            out.append(hexDigits[Int(byte & 0x0F)])
        }
    }
}

/// Percent-encodes everything but unreserved characters (RFC 3986), e.g. for a path segment.
package func percentEncode(_ string: String) -> String {
    var out: [UInt8] = []
    percentEncode(string, into: &out)
    return String(decoding: out, as: UTF8.self)
}
