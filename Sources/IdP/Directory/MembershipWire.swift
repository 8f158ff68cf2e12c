import JSON

/// An organization membership's WorkOS wire fields, spelled here only: the create and update
/// bodies (`NewMembership`, `MembershipChanges`), the answer (`WorkOSShape.membership`), the
/// control API's known fields and the journal's documented body members all read these names.
package enum MembershipField: String, CaseIterable, Sendable {
    case userID = "user_id"
    case organizationID = "organization_id"
    case roleSlug = "role_slug"
    case roleSlugs = "role_slugs"
    case status

    /// Every field's wire name.
    package static let names: Set<String> = Set(allCases.map(\.rawValue))
    /// The members WorkOS documents for a create (a new membership is active).
    package static let createNames: Set<String> = names.subtracting([status.rawValue])
    /// The members WorkOS documents for an update (a membership never moves).
    package static let updateNames: Set<String> = names.subtracting([userID.rawValue, organizationID.rawValue])

    /// `role_slug` or `role_slugs` (not both), or nil when the body names neither.
    static func roleSlugs(_ body: BodyFields) throws(IdPError) -> [String]? {
        if body.has(roleSlug.rawValue), body.has(roleSlugs.rawValue) {
            throw .invalidParameters("role_slug and role_slugs are mutually exclusive")
        }
        if let slug = try body.string(roleSlug.rawValue) { return [slug] }
        if let slugs = try body.array(roleSlugs.rawValue) {
            var result: [String] = []
            for slug in slugs {
                guard let text = slug.stringValue else { throw .invalidParameters("role_slugs must be strings") }
                result.append(text)
            }
            return result
        }
        return nil
    }
}

extension MembershipStatus {
    /// A status as a body spells it, or a 422 naming the three.
    init(wire text: String) throws(IdPError) {
        guard let status = MembershipStatus(rawValue: text) else {
            throw .invalidParameters("status '\(text)' is not active, inactive or pending")
        }
        self = status
    }
}

/// What creating a membership takes. Creating one that exists inactive reactivates it with these roles.
package struct NewMembership: Sendable, Equatable {
    package var userID: String
    package var organizationID: String
    package var roleSlugs: [String]

    package init(userID: String, organizationID: String, roleSlugs: [String] = ["member"]) {
        self.userID = userID
        self.organizationID = organizationID
        self.roleSlugs = roleSlugs
    }

    /// A WorkOS create body. The first problem in this order is the answer: user_id,
    /// organization_id, the roles' types; the directory's checks come after.
    package init(json body: JSONValue) throws(IdPError) {
        let body = try BodyFields(body)
        userID = try body.requiredString(MembershipField.userID.rawValue)
        organizationID = try body.requiredString(MembershipField.organizationID.rawValue)
        roleSlugs = try MembershipField.roleSlugs(body) ?? ["member"]
    }
}

/// What updating a membership changes; nil leaves it as it is.
package struct MembershipChanges: Sendable, Equatable {
    package var roleSlugs: [String]?
    package var status: MembershipStatus?

    package init(roleSlugs: [String]? = nil, status: MembershipStatus? = nil) {
        self.roleSlugs = roleSlugs
        self.status = status
    }
}

extension Directory {
    /// Every slug names a defined role, or a 422 naming the first that does not.
    func requireRoles(_ slugs: [String]) throws(IdPError) {
        for slug in slugs where role(slug) == nil {
            throw .invalidParameters("role '\(slug)' does not exist")
        }
    }
}

extension WorkOSShape {
    static func membership(_ membership: Membership, in directory: Directory) -> JSONValue {
        let organization = directory.organizations[membership.organizationID]
        var object: JSONObject = [
            "object": "organization_membership",
            "id": .string(membership.id),
            MembershipField.userID.rawValue: .string(membership.userID),
            MembershipField.organizationID.rawValue: .string(membership.organizationID),
            "organization_name": optional(organization?.name),
            MembershipField.status.rawValue: .string(membership.status.rawValue),
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
}

/// The WorkOS JSON forms of the membership commands: a body in, the WorkOS answer out.
extension MockIdP {
    /// The WorkOS answer for a membership, with its organization's name and its user as the
    /// directory has them now.
    func answer(_ membership: Membership) -> JSONValue { WorkOSShape.membership(membership, in: directory) }

    package func createMembership(_ body: JSONValue) throws(IdPError) -> JSONValue {
        answer(try createMembership(try NewMembership(json: body)))
    }

    package func updateMembership(_ id: String, _ body: JSONValue) throws(IdPError) -> JSONValue {
        let body = try BodyFields(body)
        // The order the answers have always had: a role or status of the wrong type, then an
        // unknown membership, then an unknown role, then a status that is not one of the three.
        let roles = try MembershipField.roleSlugs(body)
        let statusText = try body.string(MembershipField.status.rawValue)
        _ = try membership(id)
        if let roles { try directory.requireRoles(roles) }
        var changes = MembershipChanges(roleSlugs: roles)
        if let statusText { changes.status = try MembershipStatus(wire: statusText) }
        return answer(try updateMembership(id, changes))
    }
}
