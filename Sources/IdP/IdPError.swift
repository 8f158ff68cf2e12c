import HTTP
import JSON

/// Why the mock refused a request, carrying the WorkOS or OAuth error shape it answers with.
package enum IdPError: Error, Sendable, Equatable, CustomStringConvertible {
    case notFound(entity: String, id: String)
    case invalidRequest(code: String, message: String)
    /// The 422 WorkOS answers for a missing, malformed or out-of-range parameter
    /// (`invalid_request_parameters`); the message names the parameter.
    case invalidParameters(String)
    /// A WorkOS-shaped 400 (`invalid_credentials`, ...), as opposed to the 422 validation errors.
    case badRequest(code: String, message: String)
    case conflict(code: String, message: String)
    case unauthorized(String)
    /// RFC 6749 errors, for the authenticate endpoint: `invalid_grant` (400), `invalid_client` (401).
    case oauth(error: String, description: String, status: Int)
    /// The 403 step-up errors (`organization_selection_required`, ...) with their extra members.
    case authenticationStep(code: String, message: String, extra: JSONObject)

    package static let invalidParametersCode = "invalid_request_parameters"

    package var status: Int {
        switch self {
        case .notFound: return 404
        case .invalidRequest, .invalidParameters: return 422
        case .badRequest: return 400
        case .conflict: return 409
        case .unauthorized: return 401
        case .oauth(_, _, let status): return status
        case .authenticationStep: return 403
        }
    }

    package var body: JSONValue {
        switch self {
        case .notFound(let entity, let id):
            // An ID is echoed cut: a 900 KB `user` must not come back (twice) in the 404.
            let shown = JournalBudget.clip(id, limit: 256)
            return ["code": "entity_not_found", "entity_id": .string(shown), "message": .string("\(entity) not found: '\(shown)'.")]
        case .invalidRequest(let code, let message), .conflict(let code, let message), .badRequest(let code, let message):
            return ["code": .string(code), "message": .string(message)]
        case .invalidParameters(let message):
            return ["code": .string(Self.invalidParametersCode), "message": .string(message)]
        case .unauthorized(let message):
            return ["code": "unauthorized", "message": .string(message)]
        case .oauth(let error, let description, _):
            return ["error": .string(error), "error_description": .string(description)]
        case .authenticationStep(let code, let message, let extra):
            var object: JSONObject = ["code": .string(code), "message": .string(message)]
            for member in extra { object[member.key] = member.value }
            return .object(object)
        }
    }

    package var description: String {
        switch self {
        case .notFound(let entity, let id): return "\(entity) not found: '\(id)'"
        case .invalidRequest(let code, let message), .conflict(let code, let message), .badRequest(let code, let message):
            return "\(code): \(message)"
        case .invalidParameters(let message): return "\(Self.invalidParametersCode): \(message)"
        case .unauthorized(let message): return "unauthorized: \(message)"
        case .oauth(let error, let description, _): return "\(error): \(description)"
        case .authenticationStep(let code, let message, _): return "\(code): \(message)"
        }
    }
}

extension IdPError: HTTPResponseError {
    package var response: HTTPResponse { .json(body, status: status) }
}

/// Cursor pagination as WorkOS does it: cursors are object IDs, `order` is desc by default.
package struct Pagination: Sendable {
    package let limit: Int
    package let before: String?
    package let after: String?
    package let ascending: Bool

    package init(limit: Int = 10, before: String? = nil, after: String? = nil, order: String? = nil) throws(IdPError) {
        guard (1...100).contains(limit) else {
            throw .invalidParameters("limit must be between 1 and 100, got \(limit)")
        }
        if let order, !["asc", "desc", "normal"].contains(order) {
            throw .invalidParameters("order must be asc, desc or normal, got '\(order)'")
        }
        self.limit = limit
        self.before = before
        self.after = after
        ascending = order == "asc"
    }

    /// `ids` must be the full result set; returns the page and its `before`/`after` cursors.
    func page(_ ids: [String]) -> (ids: [String], before: String?, after: String?) {
        let ordered = ascending ? ids.sorted() : ids.sorted(by: >)
        var start = 0
        var end = ordered.count
        if let after {
            start = ordered.firstIndex { ascending ? $0 > after : $0 < after } ?? ordered.count
            end = min(ordered.count, start + limit)
        } else if let before {
            end = ordered.firstIndex { ascending ? $0 >= before : $0 <= before } ?? ordered.count
            start = max(0, end - limit)
        } else {
            end = min(ordered.count, limit)
        }
        let slice = Array(ordered[start..<end])
        return (slice, start > 0 ? slice.first : nil, end < ordered.count ? slice.last : nil)
    }

    /// The WorkOS list envelope for one page of `ids`, each rendered by `render`.
    func list(_ ids: [String], render: (String) -> JSONValue?) -> JSONValue {
        let result = page(ids)
        return WorkOSShape.list(result.ids.compactMap(render), before: result.before, after: result.after)
    }
}
