import HTTP
import JSON

/// The query parameters and body members each WorkOS route documents. WorkOS ignores the ones it
/// does not know, and so does the mock — but the journal lists them (`unknown_parameters`), so a
/// test still sees that an app sent `session` to authenticate or `organization` to a list.
/// Names follow WorkOS's API reference and its SDKs (the README's "WorkOS surface" lists the routes);
/// `name[]` and `name[key]` spellings count as `name`.
struct KnownParameters: Sendable {
    struct Route: Sendable {
        var method: String
        var segments: [String]
        var query: Set<String>
        var body: Set<String>
    }

    static let page: Set<String> = ["limit", "before", "after", "order"]
    /// The mock's user fields, plus the password hash import WorkOS documents and the mock ignores.
    static let userFields: Set<String> = UserField.names.union(["password_hash", "password_hash_type"])
    /// The mock's organization fields, plus two WorkOS documents and the mock ignores.
    static let organizationFields: Set<String> = OrganizationField.names.union(["allow_profiles_outside_organization", "stripe_customer_id"])
    /// Every grant's members, plus `session` (the 5.x SDK's sealing request) and the client context.
    static let authenticateFields: Set<String> = [
        "grant_type", "client_id", "client_secret", "code", "code_verifier", "refresh_token", "organization_id", "email", "password",
        "pending_authentication_token", "link_authorization_code", "authentication_challenge_id", "device_code", "invitation_token",
        "ip_address", "user_agent", "device_id", "signals_id", "radar_auth_attempt_id", "session",
    ]
    static let authorizeQuery: Set<String> = [
        "client_id", "redirect_uri", "response_type", "state", "provider", "connection_id", "organization_id", "code_challenge",
        "code_challenge_method", "login_hint", "domain_hint", "screen_hint", "prompt", "provider_scopes", "provider_query_params",
        "invitation_token", "context", "max_age", "mockidp_auto_approve", "mockidp_impersonator", "mockidp_impersonation_reason",
    ]

    static let routes: [Route] =
        [
            Route(method: "GET", segments: ["user_management", "users"], query: page.union(["email", "organization_id", "organization"]), body: []),
            Route(method: "POST", segments: ["user_management", "users"], query: [], body: userFields),
            Route(method: "GET", segments: ["user_management", "users", "external_id", "*"], query: [], body: []),
            Route(method: "GET", segments: ["user_management", "users", "*"], query: [], body: []),
            Route(method: "PUT", segments: ["user_management", "users", "*"], query: [], body: userFields),
            Route(method: "DELETE", segments: ["user_management", "users", "*"], query: [], body: []),
            Route(method: "GET", segments: ["user_management", "users", "*", "sessions"], query: page, body: []),
            Route(method: "GET", segments: ["user_management", "users", "*", "identities"], query: [], body: []),
            Route(method: "GET", segments: ["organizations"], query: page.union(["domains", "search"]), body: []),
            Route(method: "POST", segments: ["organizations"], query: [], body: organizationFields),
            Route(method: "GET", segments: ["organizations", "external_id", "*"], query: [], body: []),
            Route(method: "GET", segments: ["organizations", "*"], query: [], body: []),
            Route(method: "PUT", segments: ["organizations", "*"], query: [], body: organizationFields),
            Route(method: "DELETE", segments: ["organizations", "*"], query: [], body: []),
            Route(
                method: "GET", segments: ["user_management", "organization_memberships"],
                query: page.union(["user_id", "organization_id", "statuses"]), body: []),
            Route(method: "POST", segments: ["user_management", "organization_memberships"], query: [], body: MembershipField.createNames),
            Route(method: "GET", segments: ["user_management", "organization_memberships", "*"], query: [], body: []),
            Route(method: "PUT", segments: ["user_management", "organization_memberships", "*"], query: [], body: MembershipField.updateNames),
            Route(method: "DELETE", segments: ["user_management", "organization_memberships", "*"], query: [], body: []),
            Route(method: "PUT", segments: ["user_management", "organization_memberships", "*", "deactivate"], query: [], body: []),
            Route(method: "PUT", segments: ["user_management", "organization_memberships", "*", "reactivate"], query: [], body: []),
            Route(method: "POST", segments: ["user_management", "sessions", "revoke"], query: [], body: ["session_id"]),
            Route(method: "GET", segments: ["user_management", "jwt_template"], query: [], body: []),
            Route(method: "PUT", segments: ["user_management", "jwt_template"], query: [], body: ["content"]),
            Route(method: "GET", segments: ["user_management", "authorize"], query: authorizeQuery, body: []),
            Route(method: "POST", segments: ["user_management", "authenticate"], query: [], body: authenticateFields),
            Route(method: "GET", segments: ["user_management", "sessions", "logout"], query: ["session_id", "return_to"], body: []),
            Route(method: "GET", segments: ["sso", "jwks", "*"], query: [], body: []),
            Route(method: "GET", segments: [".well-known", "openid-configuration"], query: [], body: []),
        ] + oidcRoutes

    /// The route a request is for; literal segments win over `*` (`users/external_id/x` is not `users/{id}`).
    static func route(method: String, path: String) -> Route? {
        let segments = path.split(separator: "/").map(String.init)
        var best: (route: Route, literals: Int)?
        for route in routes where route.method == method && route.segments.count == segments.count {
            guard zip(route.segments, segments).allSatisfy({ $0 == "*" || $0 == $1 }) else { continue }
            let literals = route.segments.filter { $0 != "*" }.count
            if literals > (best?.literals ?? -1) { best = (route, literals) }
        }
        return best?.route
    }

    /// `statuses[]` and `provider_query_params[prompt]` are `statuses` and `provider_query_params`.
    static func baseName(_ name: String) -> String {
        guard let bracket = name.firstIndex(of: "["), bracket != name.startIndex else { return name }
        return String(name[..<bracket])
    }

    /// Query parameters and top-level body members the route does not document, as `query NAME`
    /// and `body NAME` in the order sent (each once). Empty for routes outside the WorkOS surface.
    static func unknown(method: String, path: String, query: QueryParameters, bodyNames: [String]) -> [String] {
        // Most requests name nothing (health checks, JWKS): no route lookup for them.
        guard !query.pairs.isEmpty || !bodyNames.isEmpty, let route = route(method: method, path: path) else { return [] }
        var seen: Set<String> = []
        var result: [String] = []
        for pair in query.pairs where !route.query.contains(baseName(pair.name)) {
            let entry = "query \(pair.name)"
            if seen.insert(entry).inserted { result.append(entry) }
        }
        for name in bodyNames where !route.body.contains(name) {
            let entry = "body \(name)"
            if seen.insert(entry).inserted { result.append(entry) }
        }
        return result
    }

    /// Top-level member names of a JSON object body, or the names of a form body.
    static func bodyNames(_ request: HTTPRequest, json: JSONValue?) -> [String] {
        if request.contentType == "application/x-www-form-urlencoded" { return request.form().pairs.map(\.name) }
        return json?.objectValue?.keys ?? []
    }
}
