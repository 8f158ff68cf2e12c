import HTTP

/// CORS for the browser SDK (authkit-js calls authenticate and JWKS from the app's origin).
/// Only the public endpoints get it: the management API takes the secret API key, which must
/// never be in a browser.
enum CORS {
    static let preflightPaths = [
        "/user_management/authenticate", "/user_management/authorize", "/user_management/sessions/logout",
        "/sso/jwks/{client_id}", "/.well-known/openid-configuration",
    ]

    /// The OpenID Connect provider's browser-callable routes (SPAs and browser MCP clients).
    static let oidcPreflightPaths = [
        "/.well-known/oauth-authorization-server", "/oauth2/token", "/oauth2/userinfo", "/oauth2/jwks", "/oauth2/register", "/oauth2/revoke",
    ]

    static func applies(to path: String) -> Bool {
        path.hasPrefix("/oauth2/") || path == "/.well-known/oauth-authorization-server" || path.hasPrefix("/user_management/authenticate")
            || path.hasPrefix("/user_management/authorize")
            || path.hasPrefix("/user_management/sessions/logout") || path.hasPrefix("/sso/jwks/") || path == "/.well-known/openid-configuration"
    }

    /// Loopback origins (http or https, any port), origins of the configured redirect URIs, and
    /// `configuration.corsOrigins`.
    static func isAllowed(origin: String, configuration: IdPConfiguration) -> Bool {
        if configuration.corsOrigins.contains(origin) { return true }
        for scheme in ["http://", "https://"] where origin.lowercased().hasPrefix(scheme) {
            let authority = origin.dropFirst(scheme.count)
            if !authority.contains("/"), MockIdP.isLoopbackAuthority(authority) { return true }
        }
        return configuration.redirectURIs.contains { Self.origin(of: $0) == origin }
    }

    static func origin(of uri: String) -> String? {
        guard let schemeEnd = uri.firstRange(of: "://") else { return nil }
        let authority = uri[schemeEnd.upperBound...].prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        return String(uri[..<schemeEnd.upperBound]) + authority
    }

    static func preflight(_ request: HTTPRequest) -> HTTPResponse {
        var headers: HTTPHeaders = [
            "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
            "Access-Control-Max-Age": "600",
        ]
        // Echo what the browser asks for: the SDKs add Idempotency-Key, User-Agent and the like.
        headers.add("Access-Control-Allow-Headers", request.headers["Access-Control-Request-Headers"] ?? "Authorization, Content-Type")
        return .empty(status: 204, headers: headers)
    }

    /// Adds the allow-origin headers when the request comes from an allowed browser origin.
    static func decorate(_ response: inout HTTPResponse, request: HTTPRequest, configuration: IdPConfiguration) {
        guard applies(to: request.path) else { return }
        response.headers.add("Vary", "Origin")
        guard let origin = request.headers["Origin"], isAllowed(origin: origin, configuration: configuration) else { return }
        response.headers.set("Access-Control-Allow-Origin", origin)
        response.headers.set("Access-Control-Allow-Credentials", "true")
    }
}
