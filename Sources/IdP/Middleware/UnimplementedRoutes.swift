import Essentials
import HTTP
import JSON

/// A request under the WorkOS API that no route matches answers `501 not_implemented`, naming
/// the nearest route the mock has: a plain 404 would read to the app as "no such record" (the
/// trap users of WorkOS's own emulator fell into), when the truth is that the mock cannot say.
/// Unknown IDs on implemented routes keep their 404, and so does any path outside the API.
struct UnimplementedRoutes: HTTPMiddleware {
    static let annotation = "unimplemented"
    /// Path prefixes of the WorkOS API (SPEC's top-level resources, workos-surface.md).
    static let apiPrefixes = [
        "/user_management/", "/organizations/", "/organization_domains", "/sso/", "/directories", "/directory_users",
        "/directory_groups", "/directory_sync/", "/audit_logs/", "/events", "/portal/", "/passwordless/", "/auth/", "/fga/",
        "/authorization/", "/widgets/", "/webhook_endpoints", "/connections", "/api_keys", "/feature-flags", "/vault/",
        "/radar/", "/oauth2/", "/data-integrations/",
    ]

    let routes: RouterResponder
    private let described: [String]

    init(routes: RouterResponder) {
        self.routes = routes
        described = routes.routeDescriptions
    }

    static func isAPIPath(_ path: String) -> Bool {
        apiPrefixes.contains { prefix in path.hasPrefix(prefix) || (prefix.hasSuffix("/") && path == String(prefix.dropLast())) }
    }

    func handle(_ request: HTTPRequest, next: HTTPHandler) throws -> HTTPResponse {
        // Only a 404 can be the router's "no route": the lookup is paid by misses, not by every
        // request on the hot paths (JWKS, authenticate).
        let answer = try next(request)
        guard answer.status == 404, Self.isAPIPath(request.path), !routes.hasRoute(for: request.path) else { return answer }
        // The request line is bounded by the server's limits; the echo is cut further so a
        // huge path is not answered (and journaled) at full length.
        let asked = JournalBudget.clip("\(request.method) \(request.path)", limit: 256)
        var body: JSONObject = ["code": "not_implemented", "message": .string("not implemented by MockIdP: \(asked)")]
        if let nearest = nearest(to: request) { body["nearest"] = .string(nearest) }
        var response = HTTPResponse.json(.object(body), status: 501)
        response.annotations[Self.annotation] = asked
        return response
    }

    /// The implemented route closest to the request (edit distance on `METHOD /path`, with the
    /// request's ID-like segments read as parameters).
    private func nearest(to request: HTTPRequest) -> String? {
        let segments = request.path.split(separator: "/", omittingEmptySubsequences: false).prefix(16).map { segment in
            segment.contains("_") && segment.count > 20 ? "{id}" : String(segment.prefix(64))
        }
        let asked = "\(request.method) " + segments.joined(separator: "/")
        return described.min { editDistance($0, asked) < editDistance($1, asked) }
    }

    /// The journal flag for a 501 this middleware gave, if it gave one.
    static func flag(of response: HTTPResponse) -> JournalFlag? {
        guard let asked = response.annotations[annotation] else { return nil }
        return JournalFlag(kind: .unimplemented, reason: "not_implemented", field: "route", value: asked)
    }
}
