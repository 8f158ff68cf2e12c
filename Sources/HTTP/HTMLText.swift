/// Text and attribute escaping for the HTML pages this package serves or writes (the mock's login
/// page, the reference app's pages, the runner's report): every interpolated value goes through
/// it, so a `<script>` or `</svg>` in a body, a name or a token stays text. NUL, which HTML
/// parsers replace anyway, becomes U+FFFD here so the page reads the same everywhere.
package enum HTMLText {
    package static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            case "\u{0}": out += "\u{FFFD}"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}

extension HTMLText {
    /// What a person reads on a page, on one line: tags, comments, scripts and styles removed,
    /// the common character references decoded, every run of white space one space. For a
    /// console that shows an app's HTML answer without breaking its own layout.
    package static func visibleText(_ html: String) -> String {
        var out = ""
        var rest = Substring(html)
        while let open = rest.firstIndex(of: "<") {
            out += decodeReferences(rest[..<open])
            out += " "
            let tag = rest[open...]
            if tag.hasPrefix("<!--") {
                rest = after(tag, "-->").map { tag[$0...] } ?? ""
                continue
            }
            let name = tag.dropFirst().prefix { $0.isLetter }.lowercased()
            guard let close = tag.firstIndex(of: ">") else {
                rest = ""
                break
            }
            rest = tag[tag.index(after: close)...]
            // A script's or a style's content is code, not text.
            if name == "script" || name == "style" {
                rest = start(of: "</\(name)", in: rest).map { rest[$0...] } ?? ""
            }
        }
        out += decodeReferences(rest)
        return oneLine(out)
    }

    /// `text` with every run of white space (new lines included) one space and other control
    /// characters shown as `\xHH`, trimmed.
    package static func oneLine(_ text: String) -> String {
        var out = ""
        var pendingSpace = false
        for scalar in text.unicodeScalars {
            if scalar.properties.isWhitespace {
                pendingSpace = !out.isEmpty
                continue
            }
            if pendingSpace {
                out += " "
                pendingSpace = false
            }
            if scalar.value < 0x20 || scalar.value == 0x7F {
                out += "\\x" + (scalar.value < 0x10 ? "0" : "") + String(scalar.value, radix: 16)
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// Where `needle` (ASCII) begins in `text`, ignoring ASCII case.
    private static func start(of needle: String, in text: Substring) -> Substring.Index? {
        let wanted = Array(needle.lowercased().utf8)
        var index = text.startIndex
        while index < text.endIndex {
            let candidate = text[index...].utf8.prefix(wanted.count)
            if candidate.count == wanted.count, zip(candidate, wanted).allSatisfy({ $0 | ($0 >= 65 && $0 <= 90 ? 32 : 0) == $1 }) { return index }
            index = text.index(after: index)
        }
        return nil
    }

    /// Just past the first `needle` in `text`.
    private static func after(_ text: Substring, _ needle: String) -> Substring.Index? {
        guard let found = start(of: needle, in: text) else { return nil }
        return text.utf8.index(found, offsetBy: needle.utf8.count)
    }

    private static let namedReferences: [Substring: String] = [
        "amp": "&", "lt": "<", "gt": ">", "quot": "\"", "apos": "'", "nbsp": " ", "#39": "'",
    ]

    private static func decodeReferences(_ text: Substring) -> String {
        guard text.contains("&") else { return String(text) }
        var out = ""
        var rest = text
        while let ampersand = rest.firstIndex(of: "&") {
            out += rest[..<ampersand]
            let after = rest[rest.index(after: ampersand)...]
            let name = after.prefix { $0 != ";" && $0 != "&" && !$0.isWhitespace }.prefix(10)
            guard name.endIndex < after.endIndex, after[name.endIndex] == ";", let decoded = decodeReference(name) else {
                out += "&"
                rest = after
                continue
            }
            out += decoded
            rest = after[after.index(after: name.endIndex)...]
        }
        return out + rest
    }

    private static func decodeReference(_ name: Substring) -> String? {
        if let named = namedReferences[name] { return named }
        guard name.hasPrefix("#") else { return nil }
        let digits = name.dropFirst()
        let value = digits.hasPrefix("x") || digits.hasPrefix("X") ? UInt32(digits.dropFirst(), radix: 16) : UInt32(digits)
        return value.flatMap(Unicode.Scalar.init).map { String(Character($0)) }
    }
}
