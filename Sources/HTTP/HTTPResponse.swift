import JSON

/// A response value. The server adds `Date`, `Content-Length` and `Connection`.
public struct HTTPResponse: Sendable, Hashable {
    public var status: Int
    public var headers: HTTPHeaders
    public var body: [UInt8]
    /// Close the connection after sending this response.
    public var closeConnection: Bool
    /// Close the socket without sending anything (fault injection). See `dropConnection`.
    public var dropsConnection: Bool
    /// What inner middleware tells outer middleware about this answer (the IdP's journal learns
    /// which fault fired). Never sent.
    public var annotations: [String: String] = [:]

    public init(status: Int = 200, headers: HTTPHeaders = [:], body: [UInt8] = [], closeConnection: Bool = false) {
        self.status = status
        self.headers = headers
        self.body = body
        self.closeConnection = closeConnection
        self.dropsConnection = false
    }

    /// Closes the socket without answering anything.
    public static let dropConnection: HTTPResponse = {
        var response = HTTPResponse(status: 0, closeConnection: true)
        response.dropsConnection = true
        return response
    }()

    public static func json(_ value: JSONValue, status: Int = 200, headers: HTTPHeaders = [:]) -> HTTPResponse {
        var headers = headers
        if !headers.contains("Content-Type") { headers.add("Content-Type", "application/json") }
        return HTTPResponse(status: status, headers: headers, body: value.serialized())
    }

    public static func text(_ text: String, status: Int = 200, headers: HTTPHeaders = [:]) -> HTTPResponse {
        var headers = headers
        if !headers.contains("Content-Type") { headers.add("Content-Type", "text/plain; charset=utf-8") }
        return HTTPResponse(status: status, headers: headers, body: Array(text.utf8))
    }

    public static func html(_ html: String, status: Int = 200, headers: HTTPHeaders = [:]) -> HTTPResponse {
        var headers = headers
        if !headers.contains("Content-Type") { headers.add("Content-Type", "text/html; charset=utf-8") }
        return HTTPResponse(status: status, headers: headers, body: Array(html.utf8))
    }

    public static func empty(status: Int = 204, headers: HTTPHeaders = [:]) -> HTTPResponse {
        HTTPResponse(status: status, headers: headers)
    }

    public static func redirect(to location: String, status: Int = 302, headers: HTTPHeaders = [:]) -> HTTPResponse {
        var headers = headers
        headers.replace("Location", with: location)
        return HTTPResponse(status: status, headers: headers)
    }

    /// A JSON error body shaped like WorkOS errors: `{"code": ..., "message": ...}`.
    public static func error(status: Int, code: String, message: String) -> HTTPResponse {
        .json(["code": .string(code), "message": .string(message)], status: status)
    }

    public func json() throws(JSONError) -> JSONValue { try JSONValue.parse(body) }
    public var bodyText: String { String(decoding: body, as: UTF8.self) }

    /// The reason phrase for `status` ("Not Found"), or "Unknown".
    public static func reasonPhrase(_ status: Int) -> String {
        switch status {
        case 100: return "Continue"
        case 101: return "Switching Protocols"
        case 200: return "OK"
        case 201: return "Created"
        case 202: return "Accepted"
        case 204: return "No Content"
        case 206: return "Partial Content"
        case 301: return "Moved Permanently"
        case 302: return "Found"
        case 303: return "See Other"
        case 304: return "Not Modified"
        case 307: return "Temporary Redirect"
        case 308: return "Permanent Redirect"
        case 400: return "Bad Request"
        case 401: return "Unauthorized"
        case 402: return "Payment Required"
        case 403: return "Forbidden"
        case 404: return "Not Found"
        case 405: return "Method Not Allowed"
        case 406: return "Not Acceptable"
        case 408: return "Request Timeout"
        case 409: return "Conflict"
        case 410: return "Gone"
        case 411: return "Length Required"
        case 412: return "Precondition Failed"
        case 413: return "Content Too Large"
        case 414: return "URI Too Long"
        case 415: return "Unsupported Media Type"
        case 416: return "Range Not Satisfiable"
        case 417: return "Expectation Failed"
        case 418: return "I'm a teapot"
        case 421: return "Misdirected Request"
        case 422: return "Unprocessable Content"
        case 423: return "Locked"
        case 425: return "Too Early"
        case 426: return "Upgrade Required"
        case 428: return "Precondition Required"
        case 429: return "Too Many Requests"
        case 431: return "Request Header Fields Too Large"
        case 451: return "Unavailable For Legal Reasons"
        case 500: return "Internal Server Error"
        case 501: return "Not Implemented"
        case 502: return "Bad Gateway"
        case 503: return "Service Unavailable"
        case 504: return "Gateway Timeout"
        case 505: return "HTTP Version Not Supported"
        default: return "Unknown"
        }
    }
}
