import Glibc
import HTTP

/// Applies the first armed fault that matches the request: answer in the route's place, drop
/// the connection, or delay the route. Which fault fired travels out in the answer's
/// annotations, for the journal.
struct FaultInjection: HTTPMiddleware {
    static let annotation = "fault"
    let faults: FaultInjector

    func handle(_ request: HTTPRequest, next: HTTPHandler) throws -> HTTPResponse {
        guard let fault = faults.take(method: request.method, path: request.path) else { return try next(request) }
        var response: HTTPResponse
        switch fault.action {
        case .respond(let status, let body):
            response = .json(body ?? ["code": "injected_fault", "message": .string("fault \(fault.id) injected by the mock")], status: status)
        case .drop:
            response = .dropConnection
        case .delay(let milliseconds):
            // Blocking is fine: each connection has its own thread, never a Swift task.
            usleep(useconds_t(milliseconds * 1000))
            response = HTTPResponse.answering(request, with: next)
        }
        response.annotations[Self.annotation] = fault.id
        response.annotations[Self.annotation + ".path"] = fault.path
        return response
    }

    /// The journal flag for an answer a fault shaped, if one did.
    static func flag(of response: HTTPResponse) -> JournalFlag? {
        guard let id = response.annotations[annotation] else { return nil }
        return JournalFlag(kind: .faultInjected, reason: id, field: "route", value: response.annotations[annotation + ".path"] ?? "")
    }
}
