/// How a followed redirect rewrites the request (async-http-client's `RedirectState`): a 303,
/// or a 301/302 after a POST, becomes a body-less GET; a hop to another origin drops the
/// credentials, so a redirect cannot carry a bearer token or cookie to a host it was not meant for.
enum RedirectPolicy {
    static let credentialHeaders = ["Authorization", "Cookie", "Proxy-Authorization"]

    static func follow(_ request: inout ClientRequest, status: Int, location: String, from url: ParsedURL) {
        request.url = resolve(location, against: url)
        if status == 303 || ((status == 301 || status == 302) && request.method == "POST") {
            if request.method != "HEAD" { request.method = "GET" }
            request.body = []
            request.headers.remove("Content-Type")
            request.headers.remove("Content-Length")
        }
        let next = try? ParsedURL(request.url)
        if next.map({ $0.poolKey.lowercased() != url.poolKey.lowercased() }) ?? true {
            for name in credentialHeaders { request.headers.remove(name) }
        }
    }

    static func resolve(_ location: String, against base: ParsedURL) -> String {
        if location.lowercased().hasPrefix("http://") || location.lowercased().hasPrefix("https://") { return location }
        if location.hasPrefix("//") { return "http:" + location }
        if location.hasPrefix("/") { return "http://\(base.host):\(base.port)\(location)" }
        var directory = base.target
        if let question = directory.firstIndex(of: "?") { directory = String(directory[..<question]) }
        if let slash = directory.lastIndex(of: "/") { directory = String(directory[...slash]) }
        return "http://\(base.host):\(base.port)\(directory)\(location)"
    }
}
