import Essentials
import HTTP

/// Reading the `Cookie` header and writing `Set-Cookie` (RFC 6265). The app only ever sets
/// values it made itself (base64url and dots), so values need no quoting.
enum Cookies {
    /// The session cookie: names a server-side `WebSession`.
    static let session = "app_session"
    /// The short-lived login cookie: the sealed `PendingLogin` of a sign-in in progress.
    static let login = "app_login"

    /// The first value of `name` across every `Cookie` header, or nil.
    static func value(_ name: String, in request: HTTPRequest) -> String? {
        for header in request.headers.values(for: "Cookie") {
            for pair in header.split(separator: ";") {
                let trimmed = String(pair).trimmingWhitespace()
                guard let equals = trimmed.firstIndex(of: "=") else { continue }
                if trimmed[..<equals] == name { return String(trimmed[trimmed.index(after: equals)...]) }
            }
        }
        return nil
    }

    /// `Set-Cookie` for a value only the server reads: HttpOnly, whole site, and `SameSite=Lax`
    /// so the top-level redirect back from the IdP still carries it. No `Secure`: the app serves
    /// plain HTTP on loopback (a deployed app behind TLS would add it).
    static func set(_ name: String, _ value: String, maxAge: Int64, httpOnly: Bool = true) -> String {
        "\(name)=\(value); Path=/; Max-Age=\(maxAge)\(httpOnly ? "; HttpOnly" : ""); SameSite=Lax"
    }

    static func expire(_ name: String) -> String {
        "\(name)=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax"
    }
}
