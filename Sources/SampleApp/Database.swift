import Essentials
import JSON

// The app's own tables. In-memory, behind one `Mutex` in `SampleApp`: a critical section plays
// the part of a database transaction, and a uniqueness check inside it the part of a unique
// constraint. App IDs are UUIDs; IdP IDs are kept only in the columns named `idp…`.

struct AppOrganization: Sendable {
    let id: String
    var name: String
}

struct AppUser: Sendable {
    let id: String
    let idpUserID: String
    var email: String?
}

struct Workspace: Sendable {
    let id: String
    let name: String
    let ownerUserID: String
}

struct WorkspaceMember: Sendable {
    let id: String
    let workspaceID: String
    let userID: String
    let role: String
    var lastSeenAt: Int64
}

struct APIKey: Sendable {
    let id: String
    let userID: String
    let memberID: String
    let secret: String
}

/// A user's role in an app organization, synced from the IdP at each login.
struct OrganizationMembership: Sendable {
    let organizationID: String
    let idpOrganizationID: String
    let userID: String
    let role: String
}

struct OrganizationCredential: Sendable {
    let id: String
    let organizationID: String
    let name: String
    let secret: String
    let createdAt: Int64
}

/// A callback response kept under its idempotency key and replayed byte for byte.
struct StoredResponse: Sendable, Equatable {
    let status: Int
    let body: [UInt8]
}

/// An IdP membership with the app organization it may link to. `appOrganizationID` is the
/// IdP organization's `external_id` (or, with the id-space-confusion bug, its IdP ID); it links
/// only if the app has an organization with that ID.
struct MembershipCandidate: Sendable {
    let appOrganizationID: String?
    let idpOrganizationID: String
    let role: String
}

/// Everything a login needs that came from the token and the IdP, gathered before the lock.
struct LoginInput: Sendable {
    let idpUserID: String
    let email: String?
    let memberships: [MembershipCandidate]
    /// nil when the key is not used (the unused-idempotency-key bug).
    let idempotencyKey: String?
    let now: Int64
    /// The email-claim-skips-mismatch bug: find the app user by this email first.
    let resolveByEmail: String?
}

enum ProvisioningFailure: Error, Sendable, Equatable {
    /// The armed `api_key.create` fault fired.
    case apiKeyCreation
}

/// Named points where `/_test/faults` can make provisioning fail.
enum FaultPoint: String, Sendable, CaseIterable {
    case apiKeyCreate = "api_key.create"
}

struct Database: Sendable {
    var organizations: [String: AppOrganization] = [:]
    private(set) var users: [AppUser] = []
    private(set) var workspaces: [Workspace] = []
    private(set) var members: [WorkspaceMember] = []
    private(set) var apiKeys: [APIKey] = []
    /// Row positions by the column each lookup reads. Rows are only ever appended (a test reset
    /// starts a new database), and a suite run's hundreds of racing logins made linear scans a
    /// visible share of the app's CPU. Lists, not single rows: duplicates are what the
    /// concurrency bugs create and introspection counts.
    private var usersByIDPUserID: [String: [Int]] = [:]
    private var userByID: [String: Int] = [:]
    private var workspacesByOwner: [String: [Int]] = [:]
    private var membersByUser: [String: [Int]] = [:]
    private var apiKeysByUser: [String: [Int]] = [:]
    var memberships: [OrganizationMembership] = []
    var credentials: [OrganizationCredential] = []
    var idempotency: [String: StoredResponse] = [:]
    /// Armed faults: remaining uses, nil meaning until cleared.
    var faults: [FaultPoint: Int?] = [:]

    // MARK: - Faults

    mutating func takeFault(_ point: FaultPoint) -> Bool {
        guard let remaining = faults[point] else { return false }
        if let remaining {
            if remaining <= 1 { faults[point] = nil } else { faults[point] = .some(remaining - 1) }
        }
        return true
    }

    // MARK: - Login

    /// The app user a login belongs to: by IdP user ID (the only correct key), or first by email
    /// under the email-claim bug.
    func userIndex(for input: LoginInput) -> Int? {
        if let email = input.resolveByEmail?.lowercased(),
            let byEmail = users.firstIndex(where: { $0.email?.lowercased() == email })
        {
            return byEmail  // BUG (email-claim-skips-mismatch): another IdP user's account.
        }
        return usersByIDPUserID[input.idpUserID]?.first
    }

    /// The first app user of an IdP user (the one every login after the first resolves to).
    func user(idpUserID: String) -> AppUser? { usersByIDPUserID[idpUserID]?.first.map { users[$0] } }

    private mutating func insert(_ user: AppUser, _ workspace: Workspace, _ member: WorkspaceMember) {
        usersByIDPUserID[user.idpUserID, default: []].append(users.count)
        userByID[user.id] = users.count  // a fresh UUID: never taken
        users.append(user)
        workspacesByOwner[workspace.ownerUserID, default: []].append(workspaces.count)
        workspaces.append(workspace)
        membersByUser[member.userID, default: []].append(members.count)
        members.append(member)
    }

    private mutating func insert(_ key: APIKey) {
        apiKeysByUser[key.userID, default: []].append(apiKeys.count)
        apiKeys.append(key)
    }

    private func workspace(ownedBy userID: String) -> Workspace? { workspacesByOwner[userID]?.first.map { workspaces[$0] } }

    private func memberIndex(userID: String, workspaceID: String) -> Int? {
        membersByUser[userID]?.first { members[$0].workspaceID == workspaceID }
    }

    /// A later login: same workspace and member, no key, `last_seen_at` moves.
    mutating func existingLogin(userIndex: Int, _ input: LoginInput, revealKey: Bool = false) -> StoredResponse? {
        let userID = users[userIndex].id
        guard let workspace = workspace(ownedBy: userID), let memberIndex = memberIndex(userID: userID, workspaceID: workspace.id)
        else { return nil }
        if let email = input.email, input.resolveByEmail == nil { users[userIndex].email = email }
        members[memberIndex].lastSeenAt = input.now
        syncMemberships(userID: userID, input.memberships)
        let key = revealKey ? apiKeysByUser[userID]?.first.map { apiKeys[$0] } : nil
        return finish(user: users[userIndex], workspace: workspace, member: members[memberIndex], key: key, firstLogin: false, input)
    }

    /// A first login: user, workspace, owner member and default key, all or nothing (unless
    /// `halfProvisioned`, the bug that saves the member before the key).
    mutating func firstLogin(_ input: LoginInput, halfProvisioned: Bool) -> Result<StoredResponse, ProvisioningFailure> {
        let user = AppUser(id: Identifiers.uuid(), idpUserID: input.idpUserID, email: input.email)
        let workspace = Workspace(id: Identifiers.uuid(), name: "Personal Workspace", ownerUserID: user.id)
        let member = WorkspaceMember(id: Identifiers.uuid(), workspaceID: workspace.id, userID: user.id, role: "owner", lastSeenAt: input.now)
        if halfProvisioned {
            // BUG (half-provisioned-member): saved before the key exists, never rolled back.
            insert(user, workspace, member)
        }
        if takeFault(.apiKeyCreate) { return .failure(.apiKeyCreation) }
        let key = APIKey(id: Identifiers.uuid(), userID: user.id, memberID: member.id, secret: Identifiers.secret(prefix: "ak_"))
        if !halfProvisioned { insert(user, workspace, member) }
        insert(key)
        syncMemberships(userID: user.id, input.memberships)
        return .success(finish(user: user, workspace: workspace, member: member, key: key, firstLogin: true, input))
    }

    /// Replaces the user's organization memberships with the IdP's current ones, keeping only
    /// organizations the app knows.
    mutating func syncMemberships(userID: String, _ candidates: [MembershipCandidate]) {
        memberships.removeAll { $0.userID == userID }
        var linked = Set<String>()
        for candidate in candidates {
            guard let organizationID = candidate.appOrganizationID, organizations[organizationID] != nil,
                linked.insert(organizationID).inserted
            else { continue }
            memberships.append(
                OrganizationMembership(
                    organizationID: organizationID, idpOrganizationID: candidate.idpOrganizationID,
                    userID: userID, role: candidate.role))
        }
    }

    private mutating func finish(
        user: AppUser, workspace: Workspace, member: WorkspaceMember, key: APIKey?,
        firstLogin: Bool, _ input: LoginInput
    ) -> StoredResponse {
        let account = accountFields(user: user, workspace: workspace, member: member)
        // Keys in the order the API shape has always answered (first differences are reported in it).
        let body: JSONObject = [
            "user": account["user"] ?? .null, "workspace": account["workspace"] ?? .null,
            "workspace_member": account["workspace_member"] ?? .null,
            "default_api_key": key.map { ["id": .string($0.id), "secret": .string($0.secret)] } ?? .null,
            "organizations": account["organizations"] ?? .null, "first_login": .bool(firstLogin),
            "last_seen_at": account["last_seen_at"] ?? .null,
        ]
        let response = StoredResponse(status: 200, body: JSONValue.object(body).serialized())
        if let key = input.idempotencyKey { idempotency[key] = response }
        return response
    }

    /// What both shapes show of an account: the API callback's body and the web `/account` page.
    func accountFields(user: AppUser, workspace: Workspace, member: WorkspaceMember) -> JSONObject {
        let organizations: [JSONValue] = memberships.filter { $0.userID == user.id }.map { membership in
            [
                "id": .string(membership.organizationID), "idp_organization_id": .string(membership.idpOrganizationID),
                "role": .string(membership.role),
            ]
        }
        return [
            "user": ["id": .string(user.id), "idp_user_id": .string(user.idpUserID), "email": user.email.map(JSONValue.string) ?? .null],
            "workspace": ["id": .string(workspace.id), "name": .string(workspace.name)],
            "workspace_member": ["id": .string(member.id), "role": .string(member.role)],
            "organizations": .array(organizations),
            "last_seen_at": .string(WallClock.iso8601(milliseconds: member.lastSeenAt)),
        ]
    }

    /// The account of an app user as it is now, or nil when the user is gone (a test reset).
    func account(appUserID: String) -> JSONObject? {
        guard let user = userByID[appUserID].map({ users[$0] }), let workspace = workspace(ownedBy: appUserID),
            let member = memberIndex(userID: appUserID, workspaceID: workspace.id).map({ members[$0] })
        else { return nil }
        return accountFields(user: user, workspace: workspace, member: member)
    }

    // MARK: - Introspection

    func introspect(idpUserID: String) -> JSONValue {
        let userIDs = Set((usersByIDPUserID[idpUserID] ?? []).map { users[$0].id })
        let rows = memberships.filter { userIDs.contains($0.userID) }.map { membership -> JSONValue in
            [
                "organization_id": .string(membership.organizationID), "idp_organization_id": .string(membership.idpOrganizationID),
                "role": .string(membership.role),
            ]
        }
        let email = user(idpUserID: idpUserID)?.email
        return [
            "workspaces": .int(Int64(userIDs.reduce(0) { $0 + (workspacesByOwner[$1]?.count ?? 0) })),
            "members": .int(Int64(userIDs.reduce(0) { $0 + (membersByUser[$1]?.count ?? 0) })),
            "api_keys": .int(Int64(userIDs.reduce(0) { $0 + (apiKeysByUser[$1]?.count ?? 0) })),
            "memberships": .array(rows),
            "email": email.map(JSONValue.string) ?? .null,
        ]
    }
}
