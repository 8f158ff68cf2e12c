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
