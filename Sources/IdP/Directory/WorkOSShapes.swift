import JSON

/// The JSON shapes of the WorkOS API. Every key the SDKs require is present even when null:
/// the Python SDK raises on a missing key, so "omit when nil" would break real clients.
enum WorkOSShape {
    static func timestamp(_ millis: Int64) -> JSONValue { .string(MockClock.iso8601(millis: millis)) }

    static func optional(_ text: String?) -> JSONValue { text.map(JSONValue.string) ?? .null }

    static func organization(_ organization: Organization) -> JSONValue {
        [
            "object": "organization",
            "id": .string(organization.id),
            "name": .string(organization.name),
            "allow_profiles_outside_organization": false,
            "domains": .array(organization.domains.map { domain in
                [
                    "object": "organization_domain",
                    "id": .string(domain.id),
                    "organization_id": .string(organization.id),
                    "domain": .string(domain.domain),
                    "state": .string(domain.state),
                    "verification_strategy": "manual",
                    "created_at": timestamp(organization.createdAt),
                    "updated_at": timestamp(organization.updatedAt),
                ]
            }),
            "metadata": .object(organization.metadata),
            "external_id": optional(organization.externalID),
            "created_at": timestamp(organization.createdAt),
            "updated_at": timestamp(organization.updatedAt),
        ]
    }

    static func membership(_ membership: Membership, in directory: Directory) -> JSONValue {
        let organization = directory.organizations[membership.organizationID]
        var object: JSONObject = [
            "object": "organization_membership",
            "id": .string(membership.id),
            "user_id": .string(membership.userID),
            "organization_id": .string(membership.organizationID),
            "organization_name": optional(organization?.name),
            "status": .string(membership.status.rawValue),
            "directory_managed": false,
            "role": ["slug": .string(membership.primaryRole)],
            "roles": .array(membership.roleSlugs.map { ["slug": .string($0)] }),
            "custom_attributes": .object(membership.customAttributes),
            "created_at": timestamp(membership.createdAt),
            "updated_at": timestamp(membership.updatedAt),
        ]
        if let user = directory.users[membership.userID] { object["user"] = self.user(user) }
        return .object(object)
    }

    static func session(_ session: Session) -> JSONValue {
        var object: JSONObject = [
            "object": "session",
            "id": .string(session.id),
            "user_id": .string(session.userID),
            "ip_address": .null,
            "user_agent": .null,
            "auth_method": .string(session.authMethod),
            "status": .string(session.status.rawValue),
            "expires_at": timestamp(session.expiresAt),
            "ended_at": session.endedAt.map(timestamp) ?? .null,
            "created_at": timestamp(session.createdAt),
            "updated_at": timestamp(session.updatedAt),
        ]
        if let organizationID = session.organizationID { object["organization_id"] = .string(organizationID) }
        if let email = session.impersonatorEmail {
            object["impersonator"] = ["email": .string(email), "reason": optional(session.impersonatorReason)]
        }
        return .object(object)
    }

    static func list(_ data: [JSONValue], before: String?, after: String?) -> JSONValue {
        [
            "object": "list",
            "data": .array(data),
            "list_metadata": ["before": optional(before), "after": optional(after)],
        ]
    }
}
