/// An ordered list of header fields with case-insensitive name lookup.
///
/// Order and duplicates are preserved exactly as received (or added), so a request journal can show
/// what a client really sent.
package struct HTTPHeaders: Sendable, Hashable, Sequence, ExpressibleByDictionaryLiteral {
    package var fields: [(name: String, value: String)]

    package init() { fields = [] }
    package init(_ fields: [(name: String, value: String)]) { self.fields = fields }
    package init(dictionaryLiteral elements: (String, String)...) {
        fields = elements.map { (name: $0.0, value: $0.1) }
    }

    package var count: Int { fields.count }
    package var isEmpty: Bool { fields.isEmpty }

    /// The first value for `name` (case-insensitive), or nil. Setting replaces every field with
    /// that name by one at the first one's position (or appends); setting nil removes them all.
    package subscript(name: String) -> String? {
        get {
            for field in fields where asciiCaseInsensitiveEquals(field.name, name) { return field.value }
            return nil
        }
        set {
            if let newValue { replace(name, with: newValue) } else { remove(name) }
        }
    }

    /// Every value for `name`, in order.
    package func values(for name: String) -> [String] {
        fields.compactMap { asciiCaseInsensitiveEquals($0.name, name) ? $0.value : nil }
    }

    package func contains(_ name: String) -> Bool {
        fields.contains { asciiCaseInsensitiveEquals($0.name, name) }
    }

    /// Appends a field without touching existing ones.
    package mutating func add(_ name: String, _ value: String) {
        fields.append((name: name, value: value))
    }

    /// Replaces every field named `name` with a single one at the first one's position, or appends.
    package mutating func replace(_ name: String, with value: String) {
        if let first = fields.firstIndex(where: { asciiCaseInsensitiveEquals($0.name, name) }) {
            fields[first] = (name: name, value: value)
            var index = fields.count - 1
            while index > first {
                if asciiCaseInsensitiveEquals(fields[index].name, name) { fields.remove(at: index) }
                index -= 1
            }
        } else {
            fields.append((name: name, value: value))
        }
    }

    /// Same as `replace(_:with:)`.
    package mutating func set(_ name: String, _ value: String) { replace(name, with: value) }

    package mutating func remove(_ name: String) {
        fields.removeAll { asciiCaseInsensitiveEquals($0.name, name) }
    }

    /// Comma-separated tokens across every field named `name`, trimmed and lowercased
    /// (for `Connection`, `Transfer-Encoding`, ...).
    package func tokens(for name: String) -> [String] {
        var result: [String] = []
        for value in values(for: name) {
            for part in value.split(separator: ",") {
                let trimmed = part.trimmingASCIIWhitespace()
                if !trimmed.isEmpty { result.append(trimmed.lowercased()) }
            }
        }
        return result
    }

    package func makeIterator() -> IndexingIterator<[(name: String, value: String)]> {
        fields.makeIterator()
    }

    package static func == (lhs: HTTPHeaders, rhs: HTTPHeaders) -> Bool {
        guard lhs.fields.count == rhs.fields.count else { return false }
        for (a, b) in zip(lhs.fields, rhs.fields) where a.name != b.name || a.value != b.value { return false }
        return true
    }

    package func hash(into hasher: inout Hasher) {
        hasher.combine(fields.count)
        for field in fields {
            hasher.combine(field.name)
            hasher.combine(field.value)
        }
    }
}

extension HTTPHeaders: CustomStringConvertible {
    package var description: String { fields.map { "\($0.name): \($0.value)" }.joined(separator: "\n") }
}

@inline(__always)
func asciiLower(_ byte: UInt8) -> UInt8 {
    (byte >= 0x41 && byte <= 0x5A) ? byte | 0x20 : byte
}

package func asciiCaseInsensitiveEquals(_ a: String, _ b: String) -> Bool {
    var a = a
    var b = b
    return a.withUTF8 { ua in
        b.withUTF8 { ub in
            guard ua.count == ub.count else { return false }
            for i in 0..<ua.count where asciiLower(ua[i]) != asciiLower(ub[i]) { return false }
            return true
        }
    }
}

/// SP and HTAB only: the whitespace HTTP and cookie grammars know (RFC 9110 §5.6.3, RFC 6265 §5.2).
extension StringProtocol {
    package func trimmingASCIIWhitespace() -> String {
        var slice = Substring(self)
        while let first = slice.first, first == " " || first == "\t" { slice.removeFirst() }
        while let last = slice.last, last == " " || last == "\t" { slice.removeLast() }
        return String(slice)
    }
}
