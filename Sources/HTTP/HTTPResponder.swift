/// Anything that turns a request into a response. Handlers run on the connection's own thread
/// and may block (sleep, call another server).
package protocol HTTPResponder: Sendable {
    func respond(to request: HTTPRequest) -> HTTPResponse
}

/// A route handler. It throws instead of building its error answers: a thrown
/// `HTTPResponseError` renders itself (`HTTPResponse(rendering:)`), anything else is a 500.
package typealias HTTPHandler = @Sendable (HTTPRequest) throws -> HTTPResponse

/// An error that knows the answer it stands for (Hummingbird's `HTTPResponseError`).
package protocol HTTPResponseError: Error {
    var response: HTTPResponse { get }
}

extension HTTPResponse {
    /// The one place a thrown error becomes an answer.
    package init(rendering error: any Error) {
        if let error = error as? any HTTPResponseError {
            self = error.response
        } else {
            // A handler threw something that does not say how to answer: a bug on this side.
            self = .error(status: 500, code: "internal_error", message: "the handler failed: \(error)")
        }
    }

    /// Runs `handler`, rendering what it throws.
    package static func answering(_ request: HTTPRequest, with handler: HTTPHandler) -> HTTPResponse {
        do {
            return try handler(request)
        } catch {
            return HTTPResponse(rendering: error)
        }
    }
}

/// A plain error answer: status, a code and a message, in the router's JSON error shape.
package struct HTTPError: HTTPResponseError, Sendable, Equatable, CustomStringConvertible {
    package let status: Int
    package let code: String
    package let message: String

    package init(status: Int, code: String, message: String) {
        self.status = status
        self.code = code
        self.message = message
    }

    package var response: HTTPResponse { .error(status: status, code: code, message: message) }
    package var description: String { "\(status) \(code): \(message)" }
}

/// Wraps a closure as a responder.
package struct ClosureResponder: HTTPResponder {
    package let handler: HTTPHandler
    package init(_ handler: @escaping HTTPHandler) { self.handler = handler }
    package func respond(to request: HTTPRequest) -> HTTPResponse { .answering(request, with: handler) }
}
