import HTTP

/// Adds the allow-origin headers to the public endpoints' answers (see `CORS`), fault answers
/// included, so a browser sees the injected failure rather than a CORS error.
struct CORSHeaders: HTTPMiddleware {
    let configuration: IdPConfiguration

    func handle(_ request: HTTPRequest, next: HTTPHandler) throws -> HTTPResponse {
        var response = HTTPResponse.answering(request, with: next)
        CORS.decorate(&response, request: request, configuration: configuration)
        return response
    }
}
