import HTTP

/// Stamps every answer with `X-Request-ID`, as WorkOS does. The ID is drawn before the route
/// runs, so seeded runs hand out the same IDs in the same order.
struct RequestID: HTTPMiddleware {
    static let header = "X-Request-ID"
    let ids: IDGenerator

    func handle(_ request: HTTPRequest, next: HTTPHandler) throws -> HTTPResponse {
        let requestID = ids.requestID()
        var response = HTTPResponse.answering(request, with: next)
        response.headers.set(Self.header, requestID)
        return response
    }
}
