import JSON

package struct User: Sendable, Equatable {
    package var id: String
    package var email: String
    package var emailVerified: Bool = true
    package var firstName: String?
    package var lastName: String?
    package var profilePictureURL: String?
    /// App-side ID (a UUID), never an IdP ID.
    package var externalID: String?
    package var metadata: JSONObject = [:]
    package var locale: String?
    /// Fixture users may sign in with a password; stored as given because this is a mock.
    package var password: String?
    package var lastSignInAt: Int64?
    package var createdAt: Int64
    package var updatedAt: Int64
    /// The fixture's handle for this user (`alice`), for scenarios and the login page.
    package var ref: String?

    package var name: String? {
        let parts = [firstName, lastName].compactMap { $0 }.filter { !$0.isEmpty }
        return parts.isEmpty ? nil : parts.joined(separator: " ")
    }
}

package struct OrganizationDomain: Sendable, Equatable {
    package var id: String
    package var domain: String
    package var state: String = "verified"
}

package struct Organization: Sendable, Equatable {
    package var id: String
    package var name: String
    /// App-side ID (a UUID), never an IdP ID — except in adversarial fixtures, on purpose.
    package var externalID: String?
    package var domains: [OrganizationDomain] = []
    package var metadata: JSONObject = [:]
    package var createdAt: Int64
    package var updatedAt: Int64
    package var ref: String?
}

package enum MembershipStatus: String, Sendable, CaseIterable {
    case active, inactive, pending
}

package struct Membership: Sendable, Equatable {
    package var id: String
    package var userID: String
    package var organizationID: String
    package var roleSlugs: [String]
    package var status: MembershipStatus = .active
    package var customAttributes: JSONObject = [:]
    package var createdAt: Int64
    package var updatedAt: Int64

    package var primaryRole: String { roleSlugs.first ?? "member" }
}

package enum SessionStatus: String, Sendable {
    case active, expired, revoked
}

package struct Session: Sendable, Equatable {
    package var id: String
    package var userID: String
    package var organizationID: String?
    package var status: SessionStatus = .active
    package var authMethod: String = "password"
    package var impersonatorEmail: String?
    package var impersonatorReason: String?
    package var createdAt: Int64
    package var updatedAt: Int64
    package var expiresAt: Int64
    package var endedAt: Int64?
}

package struct Role: Sendable, Equatable {
    package var slug: String
    package var name: String
    package var permissions: [String]
}

/// Everything the mock knows about people and tenants. A value: the IdP keeps one behind a
/// mutex and swaps in changed copies, so a reader never sees half an update.
package struct Directory: Sendable, Equatable {
    package var users: [String: User] = [:]
    package var organizations: [String: Organization] = [:]
    package var memberships: [String: Membership] = [:]
    package var sessions: [String: Session] = [:]
    /// The order `insertSession` added sessions in, for trimming the oldest (SessionBudget.swift).
    var sessionOrder = SessionOrder()
    package var roles: [Role] = []
    /// OAuth clients of the OpenID Connect provider besides the environment client (OIDCClients.swift).
    package var clients: [String: OIDCClient] = [:]
    /// SSO connections (`conn_…`), for `/sso/authorize`.
    package var connections: [String: Connection] = [:]

    package init() {}

    package func role(_ slug: String) -> Role? { roles.first { $0.slug == slug } }

    package func user(email: String) -> User? {
        let wanted = email.lowercased()
        return users.values.first { $0.email == wanted }
    }

    package func user(ref: String) -> User? { users.values.first { $0.ref == ref } }

    package func organization(ref: String) -> Organization? { organizations.values.first { $0.ref == ref } }

    package func organization(externalID: String) -> Organization? {
        organizations.values.first { $0.externalID == externalID }
    }

    package func memberships(userID: String) -> [Membership] {
        memberships.values.filter { $0.userID == userID }.sorted { $0.id < $1.id }
    }

    package func activeMemberships(userID: String) -> [Membership] {
        memberships(userID: userID).filter { $0.status == .active }
    }

    package func membership(userID: String, organizationID: String) -> Membership? {
        memberships.values.first { $0.userID == userID && $0.organizationID == organizationID }
    }

    /// Resolves a user by IdP ID, fixture handle or email — the forms a scenario may use.
    package func resolveUser(_ reference: String) -> User? {
        users[reference] ?? user(ref: reference) ?? user(email: reference)
    }

    package func resolveOrganization(_ reference: String) -> Organization? {
        organizations[reference] ?? organization(ref: reference)
    }

    /// Every ID the app owns (external IDs) and every ID the IdP owns, for ID-space checks.
    package var appSideIDs: Set<String> {
        Set(users.values.compactMap(\.externalID) + organizations.values.compactMap(\.externalID))
    }

    package var idpSideIDs: Set<String> {
        Set(
            Array(users.keys) + Array(organizations.keys) + Array(memberships.keys) + Array(sessions.keys)
                + organizations.values.flatMap { $0.domains.map(\.id) })
    }
}
