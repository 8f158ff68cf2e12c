import Essentials
import FoundationEssentials
import Glibc
import HTTP
import JSON

/// The `/_mock` control API mints tokens, rewrites the directory and moves the clock, so it must
/// not be reachable from a web page the developer happens to have open. A page can make the
/// browser send a "simple" cross-site POST (`text/plain`, no preflight) or reach loopback
/// through DNS rebinding (its own host name, resolving to 127.0.0.1). So, by construction:
/// - `Host` must name a loopback address (rebinding brings the attacker's host name);
/// - `POST` and any request with a body must be `Content-Type: application/json`, which a page
///   can only send after a CORS preflight, and preflights (`OPTIONS`) are refused here;
/// - an `Origin` other than a loopback one is refused;
/// - with `--control-token`, `Authorization: Bearer TOKEN` is required as well.
/// `--allow-remote` (binding a non-loopback address) lifts only the `Host` rule.
/// It is the middleware of the control routes' group, which also takes `/_mock/` paths no route
/// matches: an unknown path or method is refused like any other, before the router says it is unknown.
package struct ControlGuard: HTTPMiddleware {
    package var token: String?
    package var allowRemote: Bool

    package init(token: String? = nil, allowRemote: Bool = false) {
        self.token = token
        self.allowRemote = allowRemote
    }

    package func handle(_ request: HTTPRequest, next: HTTPHandler) throws -> HTTPResponse {
        try check(request)
        return try next(request)
    }

    /// Throws the refusal for a request a web page could have sent; returns to let it through.
    package func check(_ request: HTTPRequest) throws(HTTPError) {
        if request.method == "OPTIONS" { throw refusal(403, "the control API accepts no CORS preflight: it is not for browsers") }
        if !allowRemote {
            guard let host = request.headers["host"], Self.isLoopback(host: host) else {
                throw refusal(
                    403,
                    "the control API answers only requests for a loopback Host (localhost, 127.0.0.1, [::1]); "
                        + "got '\(request.headers["host"] ?? "")'")
            }
        }
        if let origin = request.headers["origin"], !Self.isLoopback(origin: origin) {
            throw refusal(403, "the control API refuses cross-origin requests (Origin '\(origin)')")
        }
        if request.method == "POST" || !request.body.isEmpty {
            let mediaType = (request.headers["content-type"] ?? "").split(separator: ";").first.map {
                $0.trimmingWhitespace().lowercased()
            }
            guard mediaType == "application/json" else {
                throw refusal(415, "the control API takes Content-Type: application/json bodies (got '\(request.headers["content-type"] ?? "")')")
            }
        }
        if let token {
            guard request.headers["authorization"] == "Bearer \(token)" else {
                throw refusal(401, "the control API needs Authorization: Bearer <the --control-token value>")
            }
        }
    }

    /// `localhost`, `127.x.y.z`, `[::1]`, each with an optional port.
    package static func isLoopback(host: String) -> Bool { Loopback.isHost(host) }

    /// `http://localhost:3000` and the like (`null` and other schemes are not loopback).
    package static func isLoopback(origin: String) -> Bool { Loopback.isOrigin(origin) }

    private func refusal(_ status: Int, _ message: String) -> HTTPError {
        HTTPError(status: status, code: "control_api_refused", message: message)
    }
}
