import FoundationEssentials
import Glibc
import HTTP
import Synchronization

/// A browser's cookie store for one simulated user (RFC 6265bis as browsers apply it): host-only
/// and Domain cookies, Path matching, Max-Age/Expires, `Secure` (sent over https and, as
/// browsers treat them as secure contexts, to http://localhost and 127.0.0.1), `SameSite`
/// (Strict only within one site, Lax on top-level GET navigations, None only with Secure) and
/// `HttpOnly` (kept: it hides a cookie from scripts, never from requests).
final class CookieJar: Sendable {
    struct Cookie: Equatable, Sendable {
        var name: String
        var value: String
        var domain: String
        var hostOnly: Bool
        var path: String
        var expires: Date?
        var secure: Bool
        var httpOnly: Bool
        var sameSite: String
    }

    private let cookies: Mutex<[Cookie]>

    var all: [Cookie] { cookies.withLock { $0 } }

    init(cookies: [Cookie] = []) { self.cookies = Mutex(cookies) }

    /// Stores the `Set-Cookie` headers of an answer to `url`.
    func store(_ setCookies: [String], from url: String, now: Date = Date()) {
        guard let target = URLComponents(string: url), let host = target.host?.lowercased() else { return }
        for header in setCookies {
            guard let cookie = Self.parse(header, host: host, requestPath: target.path, scheme: target.scheme ?? "http", now: now) else { continue }
            cookies.withLock { cookies in
                cookies.removeAll { $0.name == cookie.name && $0.domain == cookie.domain && $0.path == cookie.path }
                if cookie.expires.map({ $0 > now }) ?? true { cookies.append(cookie) }
            }
        }
    }

    /// The `Cookie` header a browser sends with a request to `url`. `initiatorHost` is the host
    /// of the page or redirect that led here (nil: typed into the address bar).
    func header(for url: String, method: String = "GET", topLevel: Bool = true, initiatorHost: String? = nil, now: Date = Date()) -> String? {
        guard let target = URLComponents(string: url), let host = target.host?.lowercased() else { return nil }
        let path = target.path.isEmpty ? "/" : target.path
        let secureContext = target.scheme == "https" || ["localhost", "127.0.0.1", "[::1]", "::1"].contains(host)
        let sameSite = initiatorHost.map { Self.site($0) == Self.site(host) } ?? true
        let matching = cookies.withLock { cookies -> [Cookie] in
            cookies.removeAll { $0.expires.map { $0 <= now } ?? false }
            return cookies.filter { cookie in
                guard cookie.hostOnly ? cookie.domain == host : Self.domainMatches(host, cookie.domain) else { return false }
                guard Self.pathMatches(path, cookie.path) else { return false }
                if cookie.secure && !secureContext { return false }
                if !sameSite {
                    switch cookie.sameSite {
                    case "strict": return false
                    case "none": return true
                    default: return topLevel && method == "GET"
                    }
                }
                return true
            }
        }
        guard !matching.isEmpty else { return nil }
        // Longer paths first, as browsers order them.
        return matching.sorted { $0.path.count > $1.path.count }.map { "\($0.name)=\($0.value)" }.joined(separator: "; ")
    }

    static func site(_ host: String) -> String {
        // Registrable domain, roughly: the last two labels of a name; an IP address is its own site.
        if host.allSatisfy({ $0.isNumber || $0 == "." }) || host.contains(":") { return host }
        return host.split(separator: ".").suffix(2).joined(separator: ".")
    }

    static func domainMatches(_ host: String, _ domain: String) -> Bool {
        host == domain || (host.hasSuffix("." + domain) && !host.allSatisfy { $0.isNumber || $0 == "." })
    }

    static func pathMatches(_ requestPath: String, _ cookiePath: String) -> Bool {
        if requestPath == cookiePath { return true }
        guard requestPath.hasPrefix(cookiePath) else { return false }
        return cookiePath.hasSuffix("/") || requestPath.dropFirst(cookiePath.count).hasPrefix("/")
    }

    /// The default path: the request path up to (not including) its last `/` (RFC 6265 §5.1.4).
    static func defaultPath(_ requestPath: String) -> String {
        guard requestPath.hasPrefix("/"), let last = requestPath.lastIndex(of: "/"), last != requestPath.startIndex else { return "/" }
        return String(requestPath[..<last])
    }

    static func parse(_ header: String, host: String, requestPath: String, scheme: String, now: Date) -> Cookie? {
        let parts = header.split(separator: ";", omittingEmptySubsequences: false).map { $0.trimmingASCIIWhitespace() }
        guard let pair = parts.first, let equals = pair.firstIndex(of: "=") else { return nil }
        let name = String(pair[..<equals]).trimmingASCIIWhitespace()
        guard !name.isEmpty else { return nil }
        var value = String(pair[pair.index(after: equals)...]).trimmingASCIIWhitespace()
        if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") { value = String(value.dropFirst().dropLast()) }
        // Browsers ignore a cookie whose name and value together exceed 4096 bytes (RFC 6265bis §5.6).
        guard name.utf8.count + value.utf8.count <= 4096 else { return nil }
        var cookie = Cookie(
            name: name, value: value, domain: host, hostOnly: true, path: defaultPath(requestPath), expires: nil,
            secure: false, httpOnly: false, sameSite: "lax")
        var maxAge: Int?
        for attribute in parts.dropFirst() {
            let pieces = attribute.split(separator: "=", maxSplits: 1).map { $0.trimmingASCIIWhitespace() }
            let key = pieces[0].lowercased()
            let argument = pieces.count > 1 ? pieces[1] : ""
            switch key {
            case "domain":
                var domain = argument.lowercased()
                if domain.hasPrefix(".") { domain.removeFirst() }
                guard !domain.isEmpty else { continue }
                // A Domain the request host does not belong to is refused outright.
                guard domainMatches(host, domain) else { return nil }
                cookie.domain = domain
                cookie.hostOnly = false
            case "path": cookie.path = argument.hasPrefix("/") ? argument : defaultPath(requestPath)
            case "max-age": maxAge = Int(argument)
            case "expires": if let date = parseDate(argument) { cookie.expires = date }
            case "secure": cookie.secure = true
            case "httponly": cookie.httpOnly = true
            case "samesite": cookie.sameSite = ["strict", "lax", "none"].contains(argument.lowercased()) ? argument.lowercased() : "lax"
            default: continue
            }
        }
        if let maxAge { cookie.expires = now.addingTimeInterval(TimeInterval(maxAge)) }
        let secureOrigin = scheme == "https" || ["localhost", "127.0.0.1"].contains(host)
        if cookie.secure && !secureOrigin { return nil }
        if cookie.sameSite == "none" && !cookie.secure { return nil }
        if name.hasPrefix("__Host-") && (!cookie.secure || !cookie.hostOnly || cookie.path != "/") { return nil }
        if name.hasPrefix("__Secure-") && !cookie.secure { return nil }
        return cookie
    }

    /// A cookie's `Expires` date, read the way browsers do (RFC 6265 §5.1.1): the first time,
    /// day of month, month and year found among the date's tokens, whatever their order and
    /// format (`Sun, 06 Nov 1994 08:49:37 GMT`, `Sunday, 06-Nov-94 08:49:37 GMT`, `Sun Nov  6 08:49:37 1994`).
    static func parseDate(_ text: String) -> Date? {
        var time: (Int, Int, Int)?
        var day: Int?
        var month: Int?
        var year: Int?
        let months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
        let delimiter: (Character) -> Bool = { character in
            guard let ascii = character.asciiValue else { return false }
            return ascii == 0x09 || (0x20...0x2F).contains(ascii) || (0x3B...0x40).contains(ascii) || (0x5B...0x60).contains(ascii)
                || (0x7B...0x7E).contains(ascii)
        }
        func leadingNumber(_ token: Substring, digits: ClosedRange<Int>) -> Int? {
            let number = token.prefix { $0.isASCII && $0.isNumber }
            guard digits.contains(number.count) else { return nil }
            return Int(number)
        }
        for token in text.split(whereSeparator: delimiter) {
            if time == nil {
                let parts = token.split(separator: ":", omittingEmptySubsequences: false)
                if parts.count == 3, let hour = leadingNumber(parts[0], digits: 1...2), let minute = leadingNumber(parts[1], digits: 1...2),
                    let second = leadingNumber(parts[2], digits: 1...2)
                {
                    time = (hour, minute, second)
                    continue
                }
            }
            if day == nil, let value = leadingNumber(token, digits: 1...2) {
                day = value
                continue
            }
            if month == nil, let index = months.firstIndex(of: token.prefix(3).lowercased()) {
                month = index + 1
                continue
            }
            if year == nil, let value = leadingNumber(token, digits: 2...4) {
                year = value
            }
        }
        guard let (hour, minute, second) = time, let day, let month, var year else { return nil }
        if (70...99).contains(year) { year += 1900 } else if (0...69).contains(year) { year += 2000 }
        guard (1...31).contains(day), year >= 1601, hour <= 23, minute <= 59, second <= 59 else { return nil }
        var parts = tm()
        parts.tm_year = Int32(year - 1900)
        parts.tm_mon = Int32(month - 1)
        parts.tm_mday = Int32(day)
        parts.tm_hour = Int32(hour)
        parts.tm_min = Int32(minute)
        parts.tm_sec = Int32(second)
        return Date(timeIntervalSince1970: TimeInterval(timegm(&parts)))
    }
}
