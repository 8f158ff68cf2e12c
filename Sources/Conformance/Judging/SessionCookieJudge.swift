import Essentials
import FoundationEssentials
import Glibc

/// Judges the session cookies a login set against OWASP ASVS 4.0.3 V3.4 and RFC 6265bis, from
/// the `Set-Cookie` headers of its callback and the redirects after it (`Captured.hops`).
///
/// Which cookies are the session: the ones the profile names (`session_cookies.names`), else
/// every cookie the callback chain leaves set — a cookie it clears (empty value, `Max-Age` ≤ 0,
/// an `Expires` in the past) is the end of a login or CSRF cookie, not a session, and a name
/// holding `csrf` or `xsrf` is a form token that scripts may legitimately read.
struct SessionCookieJudge {
    /// One `Set-Cookie` header as written: the attributes are kept, not defaulted, because the
    /// rules are about what the app sent (a missing `SameSite` is not `Lax` here).
    struct SetCookie: Equatable {
        var name: String
        var value: String
        /// Lowercased attribute names with their values as written (`""` for flags).
        var attributes: [String: String]

        init?(_ header: String) {
            let parts = header.split(separator: ";", omittingEmptySubsequences: false).map { $0.trimmingWhitespace() }
            guard let pair = parts.first, let equals = pair.firstIndex(of: "=") else { return nil }
            name = pair[..<equals].trimmingWhitespace()
            guard !name.isEmpty else { return nil }
            value = pair[pair.index(after: equals)...].trimmingWhitespace()
            attributes = [:]
            for attribute in parts.dropFirst() where !attribute.isEmpty {
                let pieces = attribute.split(separator: "=", maxSplits: 1).map { $0.trimmingWhitespace() }
                attributes[pieces[0].lowercased()] = pieces.count > 1 ? pieces[1] : ""
            }
        }

        func has(_ attribute: String) -> Bool { attributes[attribute] != nil }

        /// Set to a value that outlives the answer (not a deletion).
        func isAlive(now: Date) -> Bool {
            if value.isEmpty || value == "\"\"" { return false }
            if let maxAge = attributes["max-age"].flatMap({ Int($0) }) { return maxAge > 0 }
            if let expires = attributes["expires"].flatMap(CookieJar.parseDate) { return expires > now }
            return true
        }

        var shown: String { "\(name) (Set-Cookie attributes: \(attributes.keys.sorted().joined(separator: ", ")))" }
    }

    /// The session cookies of a login: the last `Set-Cookie` of each name along its chain that
    /// leaves it set, among the profile's names when it gives them.
    static func sessionCookies(_ hops: [Captured.Hop], names: [String]?, now: Date = Date()) -> [SetCookie] {
        var last: [String: SetCookie] = [:]
        var order: [String] = []
        for hop in hops {
            for header in hop.setCookies {
                guard let cookie = SetCookie(header) else { continue }
                if last[cookie.name] == nil { order.append(cookie.name) }
                last[cookie.name] = cookie
            }
        }
        return order.compactMap { last[$0] }.filter { cookie in
            if let names { return names.contains(cookie.name) && cookie.isAlive(now: now) }
            let lowered = cookie.name.lowercased()
            return cookie.isAlive(now: now) && !lowered.contains("csrf") && !lowered.contains("xsrf")
        }
    }

    /// nil when every cookie follows `rule`; otherwise what is wrong, and why it matters.
    /// `appHost` is the host the app is served on; `urls` every URL of the login's chain
    /// (requests and `Location` targets).
    static func failure(_ rule: SessionCookieRule, _ cookies: [SetCookie], appHost: String, urls: [String]) -> String? {
        for cookie in cookies {
            switch rule {
            case .httpOnly:
                if !cookie.has("httponly") {
                    return "session cookie \(cookie.shown) has no HttpOnly: any script on the page (an XSS) can read and send it away (ASVS V3.4.2)"
                }
            case .sameSite:
                guard let value = cookie.attributes["samesite"]?.lowercased() else {
                    return "session cookie \(cookie.shown) has no SameSite attribute: ASVS V3.4.3 requires it, and browsers disagree on the default "
                        + "(only some treat a missing one as Lax), so it may ride along on cross-site requests"
                }
                if value == "none" {
                    if !cookie.has("secure") {
                        return "session cookie \(cookie.name) is SameSite=None without Secure: browsers refuse it (RFC 6265bis §5.7)"
                    }
                } else if value != "lax" && value != "strict" {
                    return "session cookie \(cookie.name) has SameSite=\(value), which is not Lax, Strict or None"
                }
            case .secure:
                if !cookie.has("secure") {
                    return "session cookie \(cookie.shown) has no Secure: over https it would still be sent on any plain-http request (ASVS V3.4.1)"
                }
            case .domain:
                guard var domain = cookie.attributes["domain"]?.lowercased(), !domain.isEmpty else { continue }
                if domain.hasPrefix(".") { domain.removeFirst() }
                let host = appHost.lowercased()
                if domain != host {
                    return
                        "session cookie \(cookie.name) has Domain=\(domain), wider than the app's host \(host): "
                        + "every host under \(domain) receives it (ASVS V3.4.4, RFC 6265bis §5.6.3)"
                }
            case .notInURL:
                guard cookie.value.utf8.count >= 8 else { continue }
                let encoded = Self.percentEncodedExceptAlphanumerics(cookie.value)
                if let url = urls.first(where: { $0.contains(cookie.value) || $0.contains(encoded) }) {
                    return
                        "the value of session cookie \(cookie.name) appears in a URL of the login (\(url)): URLs end up in logs, history and Referer "
                        + "headers (ASVS V3.1.1)"
                }
            }
        }
        return nil
    }

    /// Every byte but ASCII letters and digits as `%XX`: how a value shows up in a query string.
    static func percentEncodedExceptAlphanumerics(_ text: String) -> String {
        var encoded = ""
        for byte in text.utf8 {
            if (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) {
                encoded.append(Character(Unicode.Scalar(byte)))
            } else {
                encoded += "%" + String(cFormat: "%02X", byte)
            }
        }
        return encoded
    }
}
