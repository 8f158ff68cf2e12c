import HTTP

/// The management API's gate: `Authorization: Bearer <api key>`, or 401.
struct RequireAPIKey: HTTPMiddleware {
    let apiKey: String

    func handle(_ request: HTTPRequest, next: HTTPHandler) throws -> HTTPResponse {
        guard request.bearerToken == apiKey else {
            throw IdPError.unauthorized(
                request.bearerToken == nil
                    ? "Missing API key: send Authorization: Bearer <api key>."
                    : "Invalid API key.")
        }
        return try next(request)
    }
}
