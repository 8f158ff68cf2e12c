import JSON

public struct User: Sendable, Equatable {
    public var id: String
    public var email: String
    public var emailVerified: Bool = true
    public var firstName: String?
    public var lastName: String?
    public var profilePictureURL: String?
    /// App-side ID (a UUID), never an IdP ID.
    public var externalID: String?
    public var metadata: JSONObject = [:]
    public var locale: String?
    /// Fixture users may sign in with a password; stored as given because this is a mock.
    public var password: String?
    public var lastSignInAt: Int64?
    public var createdAt: Int64
    public var updatedAt: Int64
    /// The fixture's handle for this user (`alice`), for scenarios and the login page.
    public var ref: String?

    public var name: String? {
        let parts = [firstName, lastName].compactMap { $0 }.filter { !$0.isEmpty }
        return parts.isEmpty ? nil : parts.joined(separator: " ")
    }
}

public struct OrganizationDomain: Sendable, Equatable {
    public var id: String
    public var domain: String
    public var state: String = "verified"
}

public struct Organization: Sendable, Equatable {
    public var id: String
    public var name: String
    /// App-side ID (a UUID), never an IdP ID — except in adversarial fixtures, on purpose.
    public var externalID: String?
    public var domains: [OrganizationDomain] = []
    public var metadata: JSONObject = [:]
    public var createdAt: Int64
    public var updatedAt: Int64
    public var ref: String?
}

public enum MembershipStatus: String, Sendable, CaseIterable {
    case active, inactive, pending
}

public struct Membership: Sendable, Equatable {
    public var id: String
    public var userID: String
    public var organizationID: String
    public var roleSlugs: [String]
    public var status: MembershipStatus = .active
    public var customAttributes: JSONObject = [:]
    public var createdAt: Int64
    public var updatedAt: Int64

    public var primaryRole: String { roleSlugs.first ?? "member" }
}

public enum SessionStatus: String, Sendable {
    case active, expired, revoked
}

public struct Session: Sendable, Equatable {
    public var id: String
    public var userID: String
    public var organizationID: String?
    public var status: SessionStatus = .active
    public var authMethod: String = "password"
    public var impersonatorEmail: String?
    public var impersonatorReason: String?
    public var createdAt: Int64
    public var updatedAt: Int64
    public var expiresAt: Int64
    public var endedAt: Int64?
}

public struct Role: Sendable, Equatable {
    public var slug: String
    public var name: String
    public var permissions: [String]
}

/// Everything the mock knows about people and tenants. A value: the IdP keeps one behind a
/// mutex and swaps in changed copies, so a reader never sees half an update.
public struct Directory: Sendable, Equatable {
    public var users: [String: User] = [:]
    public var organizations: [String: Organization] = [:]
    public var memberships: [String: Membership] = [:]
    public var sessions: [String: Session] = [:]
    public var roles: [Role] = []

    public init() {}

    public func role(_ slug: String) -> Role? { roles.first { $0.slug == slug } }

    public func user(email: String) -> User? {
        let wanted = email.lowercased()
        return users.values.first { $0.email == wanted }
    }

    public func user(ref: String) -> User? { users.values.first { $0.ref == ref } }

    public func organization(ref: String) -> Organization? { organizations.values.first { $0.ref == ref } }

    public func organization(externalID: String) -> Organization? {
        organizations.values.first { $0.externalID == externalID }
    }

    public func memberships(userID: String) -> [Membership] {
        memberships.values.filter { $0.userID == userID }.sorted { $0.id < $1.id }
    }

    public func activeMemberships(userID: String) -> [Membership] {
        memberships(userID: userID).filter { $0.status == .active }
    }

    public func membership(userID: String, organizationID: String) -> Membership? {
        memberships.values.first { $0.userID == userID && $0.organizationID == organizationID }
    }

    /// Resolves a user by IdP ID, fixture handle or email — the forms a scenario may use.
    public func resolveUser(_ reference: String) -> User? {
        users[reference] ?? user(ref: reference) ?? user(email: reference)
    }

    public func resolveOrganization(_ reference: String) -> Organization? {
        organizations[reference] ?? organization(ref: reference)
    }

    /// Every ID the app owns (external IDs) and every ID the IdP owns, for ID-space checks.
    public var appSideIDs: Set<String> {
        Set(users.values.compactMap(\.externalID) + organizations.values.compactMap(\.externalID))
    }

    public var idpSideIDs: Set<String> {
        Set(Array(users.keys) + Array(organizations.keys) + Array(memberships.keys) + Array(sessions.keys)
            + organizations.values.flatMap { $0.domains.map(\.id) })
    }
}
