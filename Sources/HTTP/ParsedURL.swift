struct ParsedURL: Sendable, Hashable {
    var host: String
    var port: UInt16
    /// Path and query (origin-form), at least `/`.
    var target: String

    var hostHeader: String { port == 80 ? host : "\(host):\(port)" }
    var poolKey: String { "\(host):\(port)" }

    /// `http://host[:port][/path][?query][#fragment]`; the fragment is dropped.
    init(_ url: String) throws(HTTPClientError) {
        let lower = url.prefix(7).lowercased()
        guard lower == "http://" else { throw .invalidURL(url) }
        var rest = url.dropFirst(7)
        if let hash = rest.firstIndex(of: "#") { rest = rest[..<hash] }
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" } ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        var path = String(rest[authorityEnd...])
        if path.isEmpty { path = "/" } else if path.hasPrefix("?") { path = "/" + path }
        guard !authority.isEmpty, !authority.contains("@"), !authority.hasPrefix("[") else { throw .invalidURL(url) }
        if let colon = authority.lastIndex(of: ":") {
            host = String(authority[..<colon])
            let portText = authority[authority.index(after: colon)...]
            guard !portText.isEmpty, portText.allSatisfy(\.isASCII), let port = UInt16(portText), port > 0 else {
                throw .invalidURL(url)
            }
            self.port = port
        } else {
            host = String(authority)
            port = 80
        }
        guard !host.isEmpty, path.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else { throw .invalidURL(url) }
        target = path
    }
}

/// A blocking HTTP/1.1 client for plain http, safe to share between threads.
///
/// Keeps idle keep-alive connections per host and retries once when a pooled connection turns out
/// to be closed before any response byte arrives. Redirects are not followed unless configured.
