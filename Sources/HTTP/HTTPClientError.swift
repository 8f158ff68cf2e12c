package enum HTTPClientError: Error, Sendable, Hashable, CustomStringConvertible {
    case invalidURL(String)
    case hostNotFound(String)
    case connectionRefused(host: String, port: UInt16)
    case connectTimeout(host: String, port: UInt16)
    case connectFailed(host: String, port: UInt16, reason: String)
    case writeFailed(String)
    case readTimeout
    case connectionReset
    case closedBeforeResponse
    case malformedResponse(String)
    case responseTooLarge(String)
    case tooManyRedirects(Int)
    case resourceExhausted(String)
    /// A method or header that would change the request's framing on the wire (CR, LF, NUL).
    case unsafeRequest(String)

    package var description: String {
        switch self {
        case .invalidURL(let url):
            return "invalid URL '\(url)': expected http://host[:port]/path (http only; https is not supported)"
        case .hostNotFound(let host):
            return "cannot resolve host '\(host)' to an IPv4 address"
        case .connectionRefused(let host, let port):
            return "connection refused by \(host):\(port): is the server running and listening on that port?"
        case .connectTimeout(let host, let port):
            return "connecting to \(host):\(port) timed out: the host is unreachable or its backlog is full"
        case .connectFailed(let host, let port, let reason):
            return "connecting to \(host):\(port) failed: \(reason)"
        case .writeFailed(let reason):
            return "sending the request failed: \(reason) (the server closed the connection?)"
        case .readTimeout:
            return "no complete response within the read timeout: the server is slow or hung (raise readTimeout?)"
        case .connectionReset:
            return "the server reset the connection before the response was complete"
        case .closedBeforeResponse:
            return "the server closed the connection without sending a response"
        case .malformedResponse(let reason):
            return "malformed HTTP response: \(reason)"
        case .responseTooLarge(let reason):
            return "response too large: \(reason) (raise the client's limits?)"
        case .tooManyRedirects(let count):
            return "stopped after \(count) redirects (a redirect loop?)"
        case .resourceExhausted(let reason):
            return "out of resources: \(reason)"
        case .unsafeRequest(let reason):
            return "refused to send: \(reason) (a value resolved at run time would split the request on the wire)"
        }
    }
}

extension HTTPClientError {
    /// A response the parser refused: over one of the client's limits, or broken.
    init(_ error: HTTPParseError) {
        self = error.isOverLimit ? .responseTooLarge(error.reason) : .malformedResponse(error.reason)
    }
}
