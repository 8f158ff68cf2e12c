import HTTP
import JSON

/// Runs a handler body and turns an `IdPError` into its WorkOS or OAuth error response.
func answering(_ body: () throws(IdPError) -> HTTPResponse) -> HTTPResponse {
    do {
        return try body()
    } catch {
        return error.response
    }
}

/// The WorkOS-compatible REST surface. Paths and shapes follow workos-surface.md; the
/// management API requires `Authorization: Bearer <api key>`.
struct WorkOSRoutes {
    let idp: MockIdP

    func register(into router: inout Router) {
        let idp = self.idp
        router.get("/health") { _ in .json(["status": "ok"]) }
        router.get("/.well-known/openid-configuration") { _ in .json(discoveryDocument(idp)) }
        router.get("/sso/jwks/{client_id}") { request in
            guard request.pathParameters["client_id"] == idp.configuration.clientID else {
                return .json(["message": .string("Client not found: '\(request.pathParameters["client_id"] ?? "")'."), "code": "entity_not_found"], status: 404)
            }
            return HTTPResponse(status: 200, headers: ["Content-Type": "application/json"], body: idp.keys.jwksBody)
        }

        // Users
        router.get("/user_management/users", managed(idp) { request throws(IdPError) in
            .json(idp.listUsers(email: request.query["email"], organizationID: request.query["organization_id"] ?? request.query["organization"],
                                page: try pagination(request)))
        })
        router.post("/user_management/users", managed(idp) { request throws(IdPError) in
            .json(try idp.createUser(try jsonBody(request)), status: 201)
        })
        router.get("/user_management/users/external_id/{external_id}", managed(idp) { request throws(IdPError) in
            .json(try idp.getUser(externalID: request.pathParameters["external_id"] ?? ""))
        })
        router.get("/user_management/users/{id}", managed(idp) { request throws(IdPError) in
            .json(try idp.getUser(request.pathParameters["id"] ?? ""))
        })
        router.put("/user_management/users/{id}", managed(idp) { request throws(IdPError) in
            .json(try idp.updateUser(request.pathParameters["id"] ?? "", try jsonBody(request)))
        })
        router.delete("/user_management/users/{id}", managed(idp) { request throws(IdPError) in
            try idp.deleteUser(request.pathParameters["id"] ?? "")
            return .empty(status: 200)
        })
        router.get("/user_management/users/{id}/sessions", managed(idp) { request throws(IdPError) in
            .json(try idp.listSessions(userID: request.pathParameters["id"] ?? "", page: try pagination(request)))
        })
        router.get("/user_management/users/{id}/identities", managed(idp) { request throws(IdPError) in
            _ = try idp.getUser(request.pathParameters["id"] ?? "")
            return .json([])
        })

        // Organizations
        router.get("/organizations", managed(idp) { request throws(IdPError) in
            .json(idp.listOrganizations(domains: request.query.list("domains"), search: request.query["search"], page: try pagination(request)))
        })
        router.post("/organizations", managed(idp) { request throws(IdPError) in
            .json(try idp.createOrganization(try jsonBody(request)), status: 201)
        })
        router.get("/organizations/external_id/{external_id}", managed(idp) { request throws(IdPError) in
            .json(try idp.getOrganization(externalID: request.pathParameters["external_id"] ?? ""))
        })
        router.get("/organizations/{id}", managed(idp) { request throws(IdPError) in
            .json(try idp.getOrganization(request.pathParameters["id"] ?? ""))
        })
        router.put("/organizations/{id}", managed(idp) { request throws(IdPError) in
            .json(try idp.updateOrganization(request.pathParameters["id"] ?? "", try jsonBody(request)))
        })
        router.delete("/organizations/{id}", managed(idp) { request throws(IdPError) in
            try idp.deleteOrganization(request.pathParameters["id"] ?? "")
            return .empty(status: 200)
        })

        // Organization memberships
        router.get("/user_management/organization_memberships", managed(idp) { request throws(IdPError) in
            .json(try idp.listMemberships(userID: request.query["user_id"], organizationID: request.query["organization_id"],
                                          statuses: request.query.list("statuses"), page: try pagination(request)))
        })
        router.post("/user_management/organization_memberships", managed(idp) { request throws(IdPError) in
            .json(try idp.createMembership(try jsonBody(request)), status: 201)
        })
        router.get("/user_management/organization_memberships/{id}", managed(idp) { request throws(IdPError) in
            .json(try idp.getMembership(request.pathParameters["id"] ?? ""))
        })
        router.put("/user_management/organization_memberships/{id}", managed(idp) { request throws(IdPError) in
            .json(try idp.updateMembership(request.pathParameters["id"] ?? "", try jsonBody(request)))
        })
        router.delete("/user_management/organization_memberships/{id}", managed(idp) { request throws(IdPError) in
            try idp.deleteMembership(request.pathParameters["id"] ?? "")
            return .empty(status: 200)
        })
        router.put("/user_management/organization_memberships/{id}/deactivate", managed(idp) { request throws(IdPError) in
            .json(try idp.setMembershipActive(request.pathParameters["id"] ?? "", false))
        })
        router.put("/user_management/organization_memberships/{id}/reactivate", managed(idp) { request throws(IdPError) in
            .json(try idp.setMembershipActive(request.pathParameters["id"] ?? "", true))
        })

        // Sessions
        router.post("/user_management/sessions/revoke", managed(idp) { request throws(IdPError) in
            let fields = try BodyFields(try jsonBody(request))
            try idp.revokeSession(try fields.requiredString("session_id"))
            return .json([:])
        })

        // JWT template
        router.get("/user_management/jwt_template", managed(idp) { _ throws(IdPError) in
            .json(templateJSON(idp.jwtTemplate))
        })
        router.put("/user_management/jwt_template", managed(idp) { request throws(IdPError) in
            let fields = try BodyFields(try jsonBody(request))
            return .json(templateJSON(try idp.setJWTTemplate(try fields.string("content") ?? "")))
        })
    }
}

func templateJSON(_ template: JWTTemplate?) -> JSONValue {
    let stamp = WorkOSShape.timestamp(template?.updatedAt ?? 0)
    return ["object": "jwt_template", "content": .string(template?.content ?? ""), "created_at": stamp, "updated_at": stamp]
}

func discoveryDocument(_ idp: MockIdP) -> JSONValue {
    let base = idp.baseURL
    return [
        "issuer": .string(idp.issuer),
        "authorization_endpoint": .string("\(base)/user_management/authorize"),
        "token_endpoint": .string("\(base)/user_management/authenticate"),
        "jwks_uri": .string(idp.jwksURL),
        "end_session_endpoint": .string("\(base)/user_management/sessions/logout"),
        "response_types_supported": ["code"],
        "grant_types_supported": ["authorization_code", "refresh_token", "password", "urn:workos:oauth:grant-type:organization-selection"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": .array([.string(idp.configuration.signingAlgorithm.rawValue)]),
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": ["client_secret_post", "none"],
    ]
}

/// Wraps a management handler: checks the API key, then maps thrown errors to responses.
func managed(_ idp: MockIdP, _ body: @escaping @Sendable (HTTPRequest) throws(IdPError) -> HTTPResponse) -> HTTPHandler {
    { request in
        answering { () throws(IdPError) -> HTTPResponse in
            guard request.bearerToken == idp.configuration.apiKey else {
                throw .unauthorized(request.bearerToken == nil
                    ? "Missing API key: send Authorization: Bearer <api key>."
                    : "Invalid API key.")
            }
            return try body(request)
        }
    }
}

func jsonBody(_ request: HTTPRequest) throws(IdPError) -> JSONValue {
    if request.body.isEmpty { return .object([:]) }
    do {
        return try request.json()
    } catch {
        throw .invalidRequest(code: "invalid_request_parameters", message: "the body is not valid JSON: \(error.description)")
    }
}

func pagination(_ request: HTTPRequest) throws(IdPError) -> Pagination {
    var limit = 10
    if let text = request.query["limit"] {
        guard let parsed = Int(text) else { throw .invalidRequest(code: "invalid_request_parameters", message: "limit must be a number, got '\(text)'") }
        limit = parsed
    }
    return try Pagination(limit: limit, before: request.query["before"], after: request.query["after"], order: request.query["order"])
}
