import JSON

/// A response value. The server adds `Date`, `Content-Length` and `Connection`.
package struct HTTPResponse: Sendable, Hashable {
    package var status: Int
    package var headers: HTTPHeaders
    package var body: [UInt8]
    /// Close the connection after sending this response.
    package var closeConnection: Bool
    /// Close the socket without sending anything (fault injection). See `dropConnection`.
    package var dropsConnection: Bool
    /// What inner middleware tells outer middleware about this answer (the IdP's journal learns
    /// which fault fired). Never sent.
    package var annotations: [String: String] = [:]

    package init(status: Int = 200, headers: HTTPHeaders = [:], body: [UInt8] = [], closeConnection: Bool = false) {
        self.status = status
        self.headers = headers
        self.body = body
        self.closeConnection = closeConnection
        self.dropsConnection = false
    }

    /// Closes the socket without answering anything.
    package static let dropConnection: HTTPResponse = {
        var response = HTTPResponse(status: 0, closeConnection: true)
        response.dropsConnection = true
        return response
    }()

    package static func json(_ value: JSONValue, status: Int = 200, headers: HTTPHeaders = [:]) -> HTTPResponse {
        var headers = headers
        if !headers.contains("Content-Type") { headers.add("Content-Type", "application/json") }
        return HTTPResponse(status: status, headers: headers, body: value.serialized())
    }

    package static func text(_ text: String, status: Int = 200, headers: HTTPHeaders = [:]) -> HTTPResponse {
        var headers = headers
        if !headers.contains("Content-Type") { headers.add("Content-Type", "text/plain; charset=utf-8") }
        return HTTPResponse(status: status, headers: headers, body: Array(text.utf8))
    }

    package static func html(_ html: String, status: Int = 200, headers: HTTPHeaders = [:]) -> HTTPResponse {
        var headers = headers
        if !headers.contains("Content-Type") { headers.add("Content-Type", "text/html; charset=utf-8") }
        return HTTPResponse(status: status, headers: headers, body: Array(html.utf8))
    }

    package static func empty(status: Int = 204, headers: HTTPHeaders = [:]) -> HTTPResponse {
        HTTPResponse(status: status, headers: headers)
    }

    package static func redirect(to location: String, status: Int = 302, headers: HTTPHeaders = [:]) -> HTTPResponse {
        var headers = headers
        headers.replace("Location", with: location)
        return HTTPResponse(status: status, headers: headers)
    }

    /// A JSON error body shaped like WorkOS errors: `{"code": ..., "message": ...}`.
    package static func error(status: Int, code: String, message: String) -> HTTPResponse {
        .json(["code": .string(code), "message": .string(message)], status: status)
    }

    package func json() throws(JSONError) -> JSONValue { try JSONValue.parse(body) }
    package var bodyText: String { String(decoding: body, as: UTF8.self) }

    /// The reason phrase for `status` ("Not Found"), or "Unknown".
    package static func reasonPhrase(_ status: Int) -> String {
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
