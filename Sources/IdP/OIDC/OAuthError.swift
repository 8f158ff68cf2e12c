import HTTP
import JSON

/// An RFC 6749 §5.2 error of the OpenID Connect surface: `{error, error_description}`, the
/// RFC's status, `Cache-Control: no-store`, and `WWW-Authenticate` where RFC 6749 §5.2 and
/// RFC 6750 §3 ask for it.
package struct OAuthError: Error, Sendable, Equatable, CustomStringConvertible, HTTPResponseError {
    package var error: String
    package var detail: String
    package var status: Int = 400
    package var wwwAuthenticate: String?

    package init(_ error: String, _ detail: String, status: Int = 400, wwwAuthenticate: String? = nil) {
        self.error = error
        self.detail = detail
        self.status = status
        self.wwwAuthenticate = wwwAuthenticate
    }

    /// 401 with a Basic challenge (RFC 6749 §5.2): the client could not be authenticated.
    static func invalidClient(_ detail: String) -> OAuthError {
        OAuthError("invalid_client", detail, status: 401, wwwAuthenticate: "Basic realm=\"mockidp\"")
    }

    static func invalidGrant(_ detail: String) -> OAuthError { OAuthError("invalid_grant", detail) }
    static func invalidRequest(_ detail: String) -> OAuthError { OAuthError("invalid_request", detail) }

    /// 401 for a protected resource (userinfo): no token at all gets a bare challenge (RFC 6750 §3.1).
    static func invalidToken(_ detail: String?) -> OAuthError {
        guard let detail else {
            return OAuthError(
                "invalid_request", "send the access token as Authorization: Bearer <token>", status: 401,
                wwwAuthenticate: "Bearer realm=\"mockidp\"")
        }
        // RFC 6750 §3: error_description is printable ASCII without '"' or '\\'.
        let quoted = String(
            String.UnicodeScalarView(
                detail.unicodeScalars.map { scalar -> Unicode.Scalar in
                    (0x20...0x7E).contains(scalar.value) && scalar != "\"" && scalar != "\\" ? scalar : "'"
                }))
        return OAuthError(
            "invalid_token", detail, status: 401,
            wwwAuthenticate: "Bearer realm=\"mockidp\", error=\"invalid_token\", error_description=\"\(quoted)\"")
    }

    /// A signing failure or another fault of the mock itself.
    static func serverError(_ error: IdPError) -> OAuthError { OAuthError("server_error", error.description, status: 500) }

    package var description: String { "\(error): \(detail)" }

    package var response: HTTPResponse {
        var headers: HTTPHeaders = ["Cache-Control": "no-store", "Pragma": "no-cache"]
        if let wwwAuthenticate { headers.add("WWW-Authenticate", wwwAuthenticate) }
        return .json(["error": .string(error), "error_description": .string(detail)], status: status, headers: headers)
    }
}
