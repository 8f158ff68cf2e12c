/// Why a message could not be read, and the status that says so. The server answers a request's
/// parse error with it (then closes); the client turns a response's into an `HTTPClientError`.
package struct HTTPParseError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong, as the status a server answers it with.
    package enum Kind: Int, Sendable, Hashable {
        case badRequest = 400
        case lengthRequired = 411
        case contentTooLarge = 413
        case uriTooLong = 414
        case headerFieldsTooLarge = 431
        case notImplemented = 501
        case versionNotSupported = 505
    }

    package let kind: Kind
    /// What a person reads: which rule the bytes broke.
    package let reason: String

    package init(_ kind: Kind, _ reason: String) {
        self.kind = kind
        self.reason = reason
    }

    package static func badRequest(_ reason: String) -> Self { Self(.badRequest, reason) }
    package static func contentTooLarge(_ reason: String) -> Self { Self(.contentTooLarge, reason) }
    package static func headerFieldsTooLarge(_ reason: String) -> Self { Self(.headerFieldsTooLarge, reason) }

    package var status: Int { kind.rawValue }

    /// The `code` of the JSON error body.
    package var code: String {
        switch kind {
        case .badRequest: return "bad_request"
        case .lengthRequired: return "length_required"
        case .contentTooLarge: return "payload_too_large"
        case .uriTooLong: return "uri_too_long"
        case .headerFieldsTooLarge: return "request_header_fields_too_large"
        case .notImplemented: return "not_implemented"
        case .versionNotSupported: return "http_version_not_supported"
        }
    }

    /// The message passed a size limit of this side rather than breaking a rule: for a
    /// response, the client's limits may be raised.
    package var isOverLimit: Bool {
        switch kind {
        case .contentTooLarge, .uriTooLong, .headerFieldsTooLarge: return true
        case .badRequest, .lengthRequired, .notImplemented, .versionNotSupported: return false
        }
    }

    package var description: String { "\(status) \(code): \(reason)" }
}

extension HTTPParseError: HTTPResponseError {
    package var response: HTTPResponse { .error(status: status, code: code, message: reason) }
}
