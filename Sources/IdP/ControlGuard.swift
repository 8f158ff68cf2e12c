import Foundation
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
package struct ControlGuard: Sendable {
    package var token: String?
    package var allowRemote: Bool

    package init(token: String? = nil, allowRemote: Bool = false) {
        self.token = token
        self.allowRemote = allowRemote
    }

    /// The answer to a refused request, or nil to let it through.
    package func refusal(for request: HTTPRequest) -> HTTPResponse? {
        if request.method == "OPTIONS" { return refuse(403, "the control API accepts no CORS preflight: it is not for browsers") }
        if !allowRemote {
            guard let host = request.headers["host"], Self.isLoopback(host: host) else {
                return refuse(403, "the control API answers only requests for a loopback Host (localhost, 127.0.0.1, [::1]); got '\(request.headers["host"] ?? "")'")
            }
        }
        if let origin = request.headers["origin"], !Self.isLoopback(origin: origin) {
            return refuse(403, "the control API refuses cross-origin requests (Origin '\(origin)')")
        }
        if request.method == "POST" || !request.body.isEmpty {
            let mediaType = (request.headers["content-type"] ?? "").split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            guard mediaType == "application/json" else {
                return refuse(415, "the control API takes Content-Type: application/json bodies (got '\(request.headers["content-type"] ?? "")')")
            }
        }
        if let token {
            guard request.headers["authorization"] == "Bearer \(token)" else {
                return refuse(401, "the control API needs Authorization: Bearer <the --control-token value>")
            }
        }
        return nil
    }

    /// `localhost`, `127.x.y.z`, `[::1]`, each with an optional port.
    package static func isLoopback(host: String) -> Bool { Loopback.isHost(host) }

    /// `http://localhost:3000` and the like (`null` and other schemes are not loopback).
    package static func isLoopback(origin: String) -> Bool { Loopback.isOrigin(origin) }

    private func refuse(_ status: Int, _ message: String) -> HTTPResponse {
        .json(["code": "control_api_refused", "message": .string(message)], status: status)
    }
}
