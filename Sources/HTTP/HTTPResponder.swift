/// Anything that turns a request into a response. Handlers run on the connection's own thread
/// and may block (sleep, call another server).
public protocol HTTPResponder: Sendable {
    func respond(to request: HTTPRequest) -> HTTPResponse
}

public typealias HTTPHandler = @Sendable (HTTPRequest) -> HTTPResponse

/// Wraps a closure as a responder.
public struct ClosureResponder: HTTPResponder {
    public let handler: HTTPHandler
    public init(_ handler: @escaping HTTPHandler) { self.handler = handler }
    public func respond(to request: HTTPRequest) -> HTTPResponse { handler(request) }
}

/// Responder composition: runs `transform` around another responder (logging, fault injection,
/// journaling). `transform` gets the request and a `next` to call (or not).
public struct MiddlewareResponder<Next: HTTPResponder>: HTTPResponder {
    public let next: Next
    public let transform: @Sendable (HTTPRequest, Next) -> HTTPResponse

    public init(wrapping next: Next, _ transform: @escaping @Sendable (HTTPRequest, Next) -> HTTPResponse) {
        self.next = next
        self.transform = transform
    }

    public func respond(to request: HTTPRequest) -> HTTPResponse { transform(request, next) }
}
