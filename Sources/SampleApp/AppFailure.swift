import HTTP
import JSON

/// A refusal the app answers with `{"error": …, "reason"?: …}`. Handlers throw it; the router
/// renders it.
struct AppFailure: HTTPResponseError, Sendable, Equatable {
    let status: Int
    let error: String
    let reason: String?

    init(status: Int, _ error: String, reason: String? = nil) {
        self.status = status
        self.error = error
        self.reason = reason
    }

    static func invalidToken(_ reason: String) -> AppFailure { AppFailure(status: 401, "invalid_token", reason: reason) }
    static func badRequest(_ reason: String) -> AppFailure { AppFailure(status: 400, "invalid_request", reason: reason) }
    static let notFound = AppFailure(status: 404, "not_found")
    static func forbidden(_ reason: String) -> AppFailure { AppFailure(status: 403, "forbidden", reason: reason) }

    var response: HTTPResponse {
        var body: JSONObject = ["error": .string(error)]
        if let reason { body["reason"] = .string(reason) }
        return .json(.object(body), status: status)
    }
}

extension VerificationFailure: HTTPResponseError {
    /// The token is at fault (401), unless the keys to judge it could not be had (503).
    var response: HTTPResponse {
        switch self {
        case .invalid(let reason): return AppFailure.invalidToken(reason).response
        case .jwksUnavailable(let reason): return AppFailure(status: 503, "jwks_unavailable", reason: reason).response
        }
    }
}

extension UpstreamError: HTTPResponseError {
    /// The login cannot complete, but the token was fine: 502.
    var response: HTTPResponse { AppFailure(status: 502, "idp_unavailable", reason: description).response }
}

extension ProvisioningFailure: HTTPResponseError {
    var response: HTTPResponse { AppFailure(status: 503, "provisioning_failed").response }
}
