import JSON

/// HTTP/1.0 or HTTP/1.1 (the only versions the parser accepts).
package enum HTTPVersion: Sendable, Hashable, CustomStringConvertible {
    // The names spell the protocol versions as RFC 9112 writes them.
    // swift-format-ignore: AlwaysUseLowerCamelCase
    case http1_0
    // swift-format-ignore: AlwaysUseLowerCamelCase
    case http1_1

    package var description: String { self == .http1_0 ? "HTTP/1.0" : "HTTP/1.1" }
}

/// A parsed request. A plain value: tests and the in-process runner build these directly.
package struct HTTPRequest: Sendable, Hashable {
    /// The method token exactly as sent (methods are case-sensitive: `get` is not `GET`).
    package var method: String
    /// The raw request-target, e.g. `/users/a%20b?x=1`.
    package var target: String
    /// The raw path (still percent-encoded), without the query.
    package var path: String
    /// The decoded query parameters.
    package var query: QueryParameters
    package var version: HTTPVersion
    package var headers: HTTPHeaders
    package var body: [UInt8]
    /// Filled in by the router: `{name}` segments, percent-decoded.
    package var pathParameters: PathParameters
    /// `ip:port` of the peer, when the request came over a socket.
    package var remoteAddress: String?

    package init(
        method: String = "GET",
        target: String = "/",
        version: HTTPVersion = .http1_1,
        headers: HTTPHeaders = [:],
        body: [UInt8] = [],
        pathParameters: PathParameters = [:],
        remoteAddress: String? = nil
    ) {
        self.method = method
        self.target = target
        if let question = target.utf8.firstIndex(of: UInt8(ascii: "?")) {
            path = String(target[..<question])
            query = QueryParameters(parsing: target[target.index(after: question)...])
        } else {
            path = target
            query = QueryParameters()
        }
        self.version = version
        self.headers = headers
        self.body = body
        self.pathParameters = pathParameters
        self.remoteAddress = remoteAddress
    }

    /// Convenience for tests: a JSON body with `Content-Type: application/json`.
    package init(method: String, target: String, json: JSONValue, headers: HTTPHeaders = [:]) {
        var headers = headers
        if !headers.contains("Content-Type") { headers.add("Content-Type", "application/json") }
        self.init(method: method, target: target, headers: headers, body: json.serialized())
    }

    /// Convenience for tests: a form body with `Content-Type: application/x-www-form-urlencoded`.
    package init(method: String, target: String, form: [(name: String, value: String)], headers: HTTPHeaders = [:]) {
        var headers = headers
        if !headers.contains("Content-Type") {
            headers.add("Content-Type", "application/x-www-form-urlencoded")
        }
        self.init(method: method, target: target, headers: headers, body: Array(QueryParameters.encode(form).utf8))
    }

    /// Parses the body as JSON (whatever the Content-Type says).
    package func json() throws(JSONError) -> JSONValue {
        try JSONValue.parse(body)
    }

    /// Parses the body as `application/x-www-form-urlencoded`.
    package func form() -> QueryParameters {
        QueryParameters(parsing: body[...])
    }

    /// The body as UTF-8 text (invalid bytes become U+FFFD).
    package var bodyText: String { String(decoding: body, as: UTF8.self) }

    /// The token from `Authorization: Bearer <token>` (scheme case-insensitive), or nil.
    package var bearerToken: String? {
        guard let value = headers["Authorization"] else { return nil }
        let trimmed = value.trimmingASCIIWhitespace()
        guard trimmed.utf8.count > 7 else { return nil }
        let scheme = trimmed.prefix(7)
        guard asciiCaseInsensitiveEquals(String(scheme), "bearer ") else { return nil }
        let token = trimmed.dropFirst(7).trimmingASCIIWhitespace()
        return token.isEmpty ? nil : token
    }

    /// The media type of Content-Type, lowercased, without parameters (`application/json`).
    package var contentType: String? {
        guard let value = headers["Content-Type"] else { return nil }
        let media = value.split(separator: ";", maxSplits: 1).first.map { $0.trimmingASCIIWhitespace() } ?? ""
        return media.lowercased()
    }

    /// Whether the connection may stay open after this request, per version and `Connection`.
    package var keepAlive: Bool {
        let tokens = headers.tokens(for: "Connection")
        switch version {
        case .http1_1: return !tokens.contains("close")
        case .http1_0: return tokens.contains("keep-alive") && !tokens.contains("close")
        }
    }

    package static func == (lhs: HTTPRequest, rhs: HTTPRequest) -> Bool {
        lhs.method == rhs.method && lhs.target == rhs.target && lhs.version == rhs.version
            && lhs.headers == rhs.headers && lhs.body == rhs.body && lhs.pathParameters == rhs.pathParameters
            && lhs.remoteAddress == rhs.remoteAddress
    }

    package func hash(into hasher: inout Hasher) {
        hasher.combine(method)
        hasher.combine(target)
        hasher.combine(body)
    }
}
