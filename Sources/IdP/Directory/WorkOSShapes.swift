import JSON

/// The JSON shapes of the WorkOS API. Every key the SDKs require is present even when null:
/// the Python SDK raises on a missing key, so "omit when nil" would break real clients.
package enum WorkOSShape {
    static func timestamp(_ millis: Int64) -> JSONValue { .string(MockClock.iso8601(millis: millis)) }

    static func optional(_ text: String?) -> JSONValue { text.map(JSONValue.string) ?? .null }

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
