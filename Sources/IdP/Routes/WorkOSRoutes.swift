import HTTP
import JSON

/// The WorkOS-compatible REST surface. Paths and shapes: the README's "WorkOS surface"; the
/// management API requires `Authorization: Bearer <api key>`.
struct WorkOSRoutes {
    let idp: MockIdP

    func register(into router: inout Router) {
        let idp = self.idp
        router.get("/health") { _ in .json(["status": "ok"]) }
        router.get("/sso/jwks/{client_id}") { request in
            let clientID = try request.pathParameters.require("client_id")
            guard clientID == idp.configuration.clientID else {
                return .json(["message": .string("Client not found: '\(clientID)'."), "code": "entity_not_found"], status: 404)
            }
            return HTTPResponse(status: 200, headers: ["Content-Type": "application/json"], body: idp.keys.jwksBody)
        }
        router.group(RequireAPIKey(apiKey: idp.configuration.apiKey)) { api in
            registerManagement(into: &api)
        }
    }

    private func registerManagement(into api: inout Router) {
        let idp = self.idp
        api.crud("/user_management/users", .users(idp))
        api.get("/user_management/users") { request in
            .json(
                idp.listUsers(
                    email: request.query["email"], organizationID: request.query["organization_id"] ?? request.query["organization"],
                    page: try pagination(request)))
        }
        api.get("/user_management/users/external_id/{external_id}") { request in
            .json(WorkOSShape.user(try idp.user(externalID: try request.pathParameters.require("external_id"))))
        }
        api.get("/user_management/users/{id}/sessions") { request in
            .json(try idp.listSessions(userID: try request.pathParameters.require("id"), page: try pagination(request)))
        }
        api.get("/user_management/users/{id}/identities") { request in
            _ = try idp.user(try request.pathParameters.require("id"))
            return .json([])
        }

        api.crud("/organizations", .organizations(idp))
        api.get("/organizations") { request in
            .json(idp.listOrganizations(domains: request.query.list("domains"), search: request.query["search"], page: try pagination(request)))
        }
        api.get("/organizations/external_id/{external_id}") { request in
            .json(WorkOSShape.organization(try idp.organization(externalID: try request.pathParameters.require("external_id"))))
        }

        api.crud("/user_management/organization_memberships", .memberships(idp))
        api.get("/user_management/organization_memberships") { request in
            .json(
                try idp.listMemberships(
                    userID: request.query["user_id"], organizationID: request.query["organization_id"],
                    statuses: request.query.list("statuses"), page: try pagination(request)))
        }
        for (verb, active) in [("deactivate", false), ("reactivate", true)] {
            api.put("/user_management/organization_memberships/{id}/\(verb)") { request in
                .json(idp.answer(try idp.setMembershipActive(try request.pathParameters.require("id"), active)))
            }
        }

        api.post("/user_management/sessions/revoke") { request in
            let fields = try BodyFields(try jsonBody(request))
            try idp.revokeSession(try fields.requiredString("session_id"))
            return .json([:])
        }

        api.get("/user_management/jwt_template") { _ in .json(templateJSON(idp.jwtTemplate)) }
        api.put("/user_management/jwt_template") { request in
            let fields = try BodyFields(try jsonBody(request))
            return .json(templateJSON(try idp.setJWTTemplate(try fields.string("content") ?? "")))
        }
    }
}

func templateJSON(_ template: JWTTemplate?) -> JSONValue {
    let stamp = WorkOSShape.timestamp(template?.updatedAt ?? 0)
    return ["object": "jwt_template", "content": .string(template?.content ?? ""), "created_at": stamp, "updated_at": stamp]
}

func pagination(_ request: HTTPRequest) throws(IdPError) -> Pagination {
    var limit = 10
    if let text = request.query["limit"] {
        guard let parsed = Int(text) else { throw .invalidParameters("limit must be a number, got '\(text)'") }
        limit = parsed
    }
    return try Pagination(limit: limit, before: request.query["before"], after: request.query["after"], order: request.query["order"])
}
