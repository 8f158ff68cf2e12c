import Foundation
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

    static func parseDate(_ text: String) -> Date? {
        for format in ["EEE, dd MMM yyyy HH:mm:ss zzz", "EEE, dd-MMM-yyyy HH:mm:ss zzz", "EEEE, dd-MMM-yy HH:mm:ss zzz", "EEE MMM d HH:mm:ss yyyy"] {
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = TimeZone(identifier: "GMT")
            formatter.dateFormat = format
            if let date = formatter.date(from: text) { return date }
        }
        return nil
    }
}
