import FoundationEssentials
import Glibc
import JSON

/// The WorkOS management operations on the directory, on typed values. The REST routes and the
/// `/_mock` control routes call them through their JSON forms (`UserWire.swift`,
/// `OrganizationWire.swift`, `MembershipWire.swift`); the runner calls them directly.
extension MockIdP {
    // MARK: Users

    package func listUsers(email: String?, organizationID: String?, page: Pagination) -> JSONValue {
        let directory = self.directory
        let ids = directory.users.values.filter { user in
            if let email, user.email != email.lowercased() { return false }
            if let organizationID, directory.membership(userID: user.id, organizationID: organizationID) == nil { return false }
            return true
        }.map(\.id)
        return page.list(ids) { directory.users[$0].map(WorkOSShape.user) }
    }

    package func user(_ id: String) throws(IdPError) -> User {
        guard let user = directory.users[id] else { throw .notFound(entity: "User", id: id) }
        return user
    }

    package func user(externalID: String) throws(IdPError) -> User {
        guard let user = directory.users.values.first(where: { $0.externalID == externalID }) else {
            throw .notFound(entity: "User", id: externalID)
        }
        return user
    }

    package func createUser(_ new: NewUser) throws(IdPError) -> User {
        let now = clock.nowMillis()
        var user = User(id: new.id ?? ids.id(.user), email: new.email, createdAt: now, updatedAt: now)
        new.fields.apply(to: &user)
        user.ref = new.ref
        let created = user
        try update { (directory) throws(IdPError) in
            if directory.user(email: created.email) != nil {
                throw .conflict(code: "email_already_in_use", message: "A user with email '\(created.email)' already exists.")
            }
            if directory.users[created.id] != nil { throw .conflict(code: "id_already_in_use", message: "'\(created.id)' already exists.") }
            try DirectoryFieldCaps.roomForOne("users", count: directory.users.count, cap: Limits.maxUsers)
            directory.users[created.id] = created
        }
        return created
    }

    package func updateUser(_ id: String, _ changes: UserChanges) throws(IdPError) -> User {
        let now = clock.nowMillis()
        return try update { (directory) throws(IdPError) -> User in
            guard var user = directory.users[id] else { throw .notFound(entity: "User", id: id) }
            if let email = changes.email, email != user.email {
                if directory.user(email: email) != nil {
                    throw .conflict(code: "email_already_in_use", message: "A user with email '\(email)' already exists.")
                }
                user.email = email
            }
            changes.apply(to: &user)
            user.updatedAt = now
            directory.users[id] = user
            return user
        }
    }

    package func deleteUser(_ id: String) throws(IdPError) {
        try update { (directory) throws(IdPError) in
            guard directory.users.removeValue(forKey: id) != nil else { throw .notFound(entity: "User", id: id) }
            directory.memberships = directory.memberships.filter { $0.value.userID != id }
            directory.sessions = directory.sessions.filter { $0.value.userID != id }
        }
    }

    package func listSessions(userID: String, page: Pagination) throws(IdPError) -> JSONValue {
        let directory = self.directory
        guard directory.users[userID] != nil else { throw .notFound(entity: "User", id: userID) }
        let ids = directory.sessions.values.filter { $0.userID == userID }.map(\.id)
        return page.list(ids) { directory.sessions[$0].map(WorkOSShape.session) }
    }

    // MARK: Organizations

    package func listOrganizations(domains: [String], search: String?, page: Pagination) -> JSONValue {
        let directory = self.directory
        let wanted = Set(domains.map { $0.lowercased() })
        let ids = directory.organizations.values.filter { organization in
            if !wanted.isEmpty, !organization.domains.contains(where: { wanted.contains($0.domain) }) { return false }
            if let search, !search.isEmpty, !organization.name.lowercased().contains(search.lowercased()) { return false }
            return true
        }.map(\.id)
        return page.list(ids) { directory.organizations[$0].map(WorkOSShape.organization) }
    }

    package func organization(_ id: String) throws(IdPError) -> Organization {
        guard let organization = directory.organizations[id] else { throw .notFound(entity: "Organization", id: id) }
        return organization
    }

    package func organization(externalID: String) throws(IdPError) -> Organization {
        guard let organization = directory.organization(externalID: externalID) else { throw .notFound(entity: "Organization", id: externalID) }
        return organization
    }

    package func createOrganization(_ new: NewOrganization) throws(IdPError) -> Organization {
        let now = clock.nowMillis()
        var organization = Organization(id: new.id ?? ids.id(.organization), name: new.name, createdAt: now, updatedAt: now)
        organization.externalID = new.externalID
        organization.metadata = new.metadata
        organization.domains = domains(new.domains)
        organization.ref = new.ref
        try checkExternalID(organization.externalID)
        let created = organization
        try update { (directory) throws(IdPError) in
            if let external = created.externalID, directory.organization(externalID: external) != nil {
                throw .conflict(code: "external_id_already_in_use", message: "An organization with external_id '\(external)' already exists.")
            }
            for domain in created.domains where directory.organizations.values.contains(where: { $0.domains.contains { $0.domain == domain.domain } })
            {
                throw .conflict(code: "domain_already_exists", message: "The domain '\(domain.domain)' belongs to another organization.")
            }
            if directory.organizations[created.id] != nil { throw .conflict(code: "id_already_in_use", message: "'\(created.id)' already exists.") }
            try DirectoryFieldCaps.roomForOne("organizations", count: directory.organizations.count, cap: Limits.maxOrganizations)
            directory.organizations[created.id] = created
        }
        return created
    }

    package func updateOrganization(_ id: String, _ changes: OrganizationChanges) throws(IdPError) -> Organization {
        let newDomains = changes.domains.map(domains)
        if let external = changes.externalID { try checkExternalID(external) }
        let now = clock.nowMillis()
        return try update { (directory) throws(IdPError) -> Organization in
            guard var organization = directory.organizations[id] else { throw .notFound(entity: "Organization", id: id) }
            if let name = changes.name { organization.name = name }
            if let external = changes.externalID { organization.externalID = external }
            if let metadata = changes.metadata { organization.metadata = metadata }
            if let newDomains { organization.domains = newDomains }
            organization.updatedAt = now
            directory.organizations[id] = organization
            return organization
        }
    }

    package func deleteOrganization(_ id: String) throws(IdPError) {
        try update { (directory) throws(IdPError) in
            guard directory.organizations.removeValue(forKey: id) != nil else { throw .notFound(entity: "Organization", id: id) }
            directory.memberships = directory.memberships.filter { $0.value.organizationID != id }
        }
    }

    /// Outside adversarial mode an app-side ID must not be an IdP ID: refusing it keeps the two
    /// spaces apart even when an app writes to the mock.
    func checkExternalID(_ external: String?) throws(IdPError) {
        guard idSpaces == .strict, let external, IDSpace.of(external) == .idp else { return }
        throw .invalidParameters("external_id '\(external)' is an IdP ID; external_id holds the app's own ID (the mock refuses to mix the spaces)")
    }

    /// The new domains with their IDs, the missing ones drawn in order.
    private func domains(_ new: [NewDomain]) -> [OrganizationDomain] {
        new.map { OrganizationDomain(id: $0.id ?? ids.id(.organizationDomain), domain: $0.domain, state: $0.state) }
    }

    // MARK: Memberships

    package func listMemberships(userID: String?, organizationID: String?, statuses: [String], page: Pagination) throws(IdPError) -> JSONValue {
        guard userID != nil || organizationID != nil else {
            throw .invalidRequest(code: "missing_user_id_or_organization_id", message: "Provide user_id or organization_id.")
        }
        var wanted: Set<MembershipStatus> = [.active]
        if !statuses.isEmpty {
            wanted = []
            for status in statuses {
                guard let parsed = MembershipStatus(rawValue: status) else {
                    throw .invalidParameters("statuses: '\(status)' is not active, inactive or pending")
                }
                wanted.insert(parsed)
            }
        }
        let directory = self.directory
        let ids = directory.memberships.values.filter { membership in
            if let userID, membership.userID != userID { return false }
            if let organizationID, membership.organizationID != organizationID { return false }
            return wanted.contains(membership.status)
        }.map(\.id)
        return page.list(ids) { id in directory.memberships[id].map { WorkOSShape.membership($0, in: directory) } }
    }

    package func membership(_ id: String) throws(IdPError) -> Membership {
        guard let membership = directory.memberships[id] else { throw .notFound(entity: "Organization membership", id: id) }
        return membership
    }

    package func createMembership(_ new: NewMembership) throws(IdPError) -> Membership {
        let now = clock.nowMillis()
        let newID = ids.id(.membership)
        return try update { (directory) throws(IdPError) -> Membership in
            guard directory.users[new.userID] != nil else { throw .notFound(entity: "User", id: new.userID) }
            guard directory.organizations[new.organizationID] != nil else { throw .notFound(entity: "Organization", id: new.organizationID) }
            try directory.requireRoles(new.roleSlugs)
            if var existing = directory.membership(userID: new.userID, organizationID: new.organizationID) {
                guard existing.status == .inactive else {
                    throw .conflict(
                        code: "organization_membership_already_exists",
                        message: "The user is already a member of '\(new.organizationID)'.")
                }
                // WorkOS reactivates an inactive membership instead of creating a second one.
                existing.status = .active
                existing.roleSlugs = new.roleSlugs
                existing.updatedAt = now
                directory.memberships[existing.id] = existing
                return existing
            }
            try DirectoryFieldCaps.roomForOne("memberships", count: directory.memberships.count, cap: Limits.maxMemberships)
            let membership = Membership(
                id: newID, userID: new.userID, organizationID: new.organizationID, roleSlugs: new.roleSlugs,
                createdAt: now, updatedAt: now)
            directory.memberships[membership.id] = membership
            return membership
        }
    }

    package func updateMembership(_ id: String, _ changes: MembershipChanges) throws(IdPError) -> Membership {
        let now = clock.nowMillis()
        return try update { (directory) throws(IdPError) -> Membership in
            guard var membership = directory.memberships[id] else { throw .notFound(entity: "Organization membership", id: id) }
            if let roles = changes.roleSlugs {
                try directory.requireRoles(roles)
                membership.roleSlugs = roles
            }
            if let status = changes.status { membership.status = status }
            membership.updatedAt = now
            directory.memberships[id] = membership
            return membership
        }
    }

    package func setMembershipActive(_ id: String, _ active: Bool) throws(IdPError) -> Membership {
        let now = clock.nowMillis()
        return try update { (directory) throws(IdPError) -> Membership in
            guard var membership = directory.memberships[id] else { throw .notFound(entity: "Organization membership", id: id) }
            if membership.status == .pending {
                let code = active ? "cannot_reactivate_pending_organization_membership" : "cannot_deactivate_pending_organization_membership"
                throw .oauth(error: code, description: "A pending membership cannot change status.", status: 400)
            }
            membership.status = active ? .active : .inactive
            membership.updatedAt = now
            directory.memberships[id] = membership
            return membership
        }
    }

    package func deleteMembership(_ id: String) throws(IdPError) {
        try update { (directory) throws(IdPError) in
            guard directory.memberships.removeValue(forKey: id) != nil else { throw .notFound(entity: "Organization membership", id: id) }
        }
    }

    // MARK: Sessions

    package func revokeSession(_ id: String) throws(IdPError) {
        let now = clock.nowMillis()
        try update { (directory) throws(IdPError) in
            guard var session = directory.sessions[id] else { throw .notFound(entity: "Session", id: id) }
            session.status = .revoked
            session.endedAt = now
            session.updatedAt = now
            directory.sessions[id] = session
        }
    }
}

/// Typed reads of a JSON request body, with errors that name the field.
struct BodyFields {
    let object: JSONObject

    init(_ body: JSONValue) throws(IdPError) {
        guard let object = body.objectValue else {
            throw .invalidParameters("the request body must be a JSON object")
        }
        self.object = object
    }

    func has(_ name: String) -> Bool { object[name] != nil }

    func string(_ name: String) throws(IdPError) -> String? {
        guard let value = object[name], !value.isNull else { return nil }
        guard let text = value.stringValue else {
            throw .invalidParameters("\(name) must be a string, got \(value.typeName)")
        }
        return text
    }

    func requiredString(_ name: String) throws(IdPError) -> String {
        guard let text = try string(name), !text.isEmpty else {
            throw .invalidParameters("\(name) is required")
        }
        return text
    }

    func bool(_ name: String) throws(IdPError) -> Bool? {
        guard let value = object[name], !value.isNull else { return nil }
        guard let flag = value.boolValue else { throw .invalidParameters("\(name) must be a boolean") }
        return flag
    }

    func array(_ name: String) throws(IdPError) -> [JSONValue]? {
        guard let value = object[name], !value.isNull else { return nil }
        guard let array = value.arrayValue else { throw .invalidParameters("\(name) must be an array") }
        return array
    }

    func object(_ name: String) throws(IdPError) -> JSONObject? {
        guard let value = object[name], !value.isNull else { return nil }
        guard let nested = value.objectValue else { throw .invalidParameters("\(name) must be an object") }
        return nested
    }

    func int(_ name: String) throws(IdPError) -> Int64? {
        guard let value = object[name], !value.isNull else { return nil }
        guard let number = value.intValue else { throw .invalidParameters("\(name) must be a whole number") }
        return number
    }
}
