import Essentials
import FoundationEssentials
import Glibc
import JSON

/// A fixture file that cannot be used, naming the file, the JSON path and what to change.
package struct FixtureError: Error, Sendable, Equatable, CustomStringConvertible {
    package let file: String
    package let path: String
    package let message: String

    package var description: String { "\(file): \(path.isEmpty ? "" : path + ": ")\(message)" }
}

package enum IDSpaceMode: String, Sendable, CaseIterable {
    /// IdP IDs and app IDs are disjoint and look nothing alike; collisions are refused.
    case strict
    /// Fixtures are rearranged so an app that mixes the spaces finds a wrong-but-existing record.
    case adversarial
}

/// Loads the directory from a fixtures document, generating IDs that are not pinned and
/// checking that the two ID spaces stay apart.
package struct FixtureLoader: Sendable {
    package let ids: IDGenerator
    package let clock: MockClock
    package let mode: IDSpaceMode

    package init(ids: IDGenerator, clock: MockClock, mode: IDSpaceMode = .strict) {
        self.ids = ids
        self.clock = clock
        self.mode = mode
    }

    package func load(file: String) throws(FixtureError) -> Directory {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: file))
        } catch {
            throw FixtureError(file: file, path: "", message: "cannot read the file (\(FileErrorText.reading(file, error)))")
        }
        return try load(bytes: Array(data), file: file)
    }

    package func load(bytes: [UInt8], file: String) throws(FixtureError) -> Directory {
        try Self.apply(mode, to: try loadUnchecked(bytes: bytes, file: file), file: file)
    }

    /// The directory as the given mode serves it: checked disjoint, or rearranged adversarially.
    package static func apply(_ mode: IDSpaceMode, to directory: Directory, file: String) throws(FixtureError) -> Directory {
        switch mode {
        case .strict:
            try checkDisjoint(directory, file: file)
            return directory
        case .adversarial:
            return try arrangeAdversarially(directory, file: file)
        }
    }

    /// Reads the fixtures without applying a mode, so the IdP can switch modes later.
    package func loadUnchecked(bytes: [UInt8], file: String) throws(FixtureError) -> Directory {
        let document: JSONValue
        do {
            document = try JSONValue.parse(bytes)
        } catch {
            throw FixtureError(file: file, path: "", message: error.description)
        }
        var reader = FixtureReader(file: file, loader: self)
        return try reader.read(document)
    }

    /// Refuses any overlap between the spaces, including an app ID that contains an IdP ULID
    /// with its prefix stripped — the form a prefix-stripping app would compare.
    package static func checkDisjoint(_ directory: Directory, file: String) throws(FixtureError) {
        let idpSideIDs = directory.idpSideIDs
        let ulids = Set(idpSideIDs.compactMap { IdPID.parse($0).map { String($0.ulid).lowercased() } })
        // Lowered once here, not once per app ID: this check runs on every start.
        let idpIDs = idpSideIDs.map { (id: $0, lowered: $0.lowercased()) }
        for organization in directory.organizations.values.sorted(by: { $0.id < $1.id }) {
            if let external = organization.externalID {
                try check(
                    appID: external, idpIDs: idpIDs, ulids: ulids, file: file, path: "organization \(organization.ref ?? organization.id).external_id"
                )
            }
            if IDSpace.of(organization.name) != .unknown {
                throw FixtureError(
                    file: file, path: "organization \(organization.ref ?? organization.id).name",
                    message: "'\(organization.name)' is an ID; an org name that looks like an ID is only allowed with --id-spaces adversarial")
            }
        }
        for user in directory.users.values.sorted(by: { $0.id < $1.id }) {
            if let external = user.externalID {
                try check(appID: external, idpIDs: idpIDs, ulids: ulids, file: file, path: "user \(user.ref ?? user.id).external_id")
            }
        }
    }

    private static func check(
        appID: String, idpIDs: [(id: String, lowered: String)], ulids: Set<String>, file: String,
        path: String
    ) throws(FixtureError) {
        guard AppID.isUUID(appID) else {
            throw FixtureError(
                file: file, path: path,
                message: "'\(appID)' is not a UUID; app-side IDs must be UUIDs (use --id-spaces adversarial to allow collisions on purpose)")
        }
        let lowered = appID.lowercased()
        for id in idpIDs where id.id == appID || id.lowered.containsBytes(of: lowered) {
            throw FixtureError(file: file, path: path, message: "'\(appID)' collides with the IdP ID '\(id.id)'")
        }
        let undashed = lowered.replacing("-", with: "")
        for ulid in ulids where undashed.containsBytes(of: ulid) {
            throw FixtureError(file: file, path: path, message: "'\(appID)' contains the IdP ULID '\(ulid.uppercased())'")
        }
    }

    /// The documented adversarial layout (README, "ID spaces"). With organizations A, B, C in
    /// fixture order: A.external_id = B's IdP ID, B.external_id = C's IdP ID without its prefix,
    /// and A's name = C's external_id (a UUID). With users U1, U2: U1.external_id = U2's IdP ID.
    /// An app that looks up its own org by the IdP ID it was sent for B lands in A.
    package static func arrangeAdversarially(_ directory: Directory, file: String) throws(FixtureError) -> Directory {
        var directory = directory
        let orgs = directory.organizations.values.sorted { $0.id < $1.id }
        guard orgs.count >= 3 else {
            throw FixtureError(file: file, path: "organizations", message: "adversarial mode needs at least 3 organizations, found \(orgs.count)")
        }
        let (a, b, c) = (orgs[0], orgs[1], orgs[2])
        directory.organizations[a.id]?.externalID = b.id
        directory.organizations[b.id]?.externalID = IdPID.parse(c.id).map { String($0.ulid) } ?? c.id
        if let uuid = c.externalID { directory.organizations[a.id]?.name = uuid }
        let users = directory.users.values.sorted { $0.id < $1.id }
        if users.count >= 2 {
            directory.users[users[0].id]?.externalID = users[1].id
        }
        return directory
    }
}

/// Walks the fixture document, keeping the JSON path for error messages.
private struct FixtureReader {
    let file: String
    let loader: FixtureLoader
    var createdAt: Int64 = 0

    init(file: String, loader: FixtureLoader) {
        self.file = file
        self.loader = loader
    }

    func fail(_ path: String, _ message: String) -> FixtureError {
        FixtureError(file: file, path: path, message: message)
    }

    mutating func read(_ document: JSONValue) throws(FixtureError) -> Directory {
        guard let root = document.objectValue else { throw fail("", "the top level must be a JSON object") }
        let known: Set<String> = ["description", "roles", "organizations", "users", "connections", "clients"]
        for key in root.keys where !known.contains(key) {
            throw fail(key, "unknown key; expected one of \(known.sorted().joined(separator: ", "))")
        }
        createdAt = loader.clock.nowMillis()
        var directory = Directory()
        directory.roles = try readRoles(root["roles"])
        for (index, value) in try array(root["organizations"], "organizations").enumerated() {
            let organization = try readOrganization(value, path: "organizations[\(index)]", directory: directory)
            directory.organizations[organization.id] = organization
        }
        for (index, value) in try array(root["users"], "users").enumerated() {
            let path = "users[\(index)]"
            let user = try readUser(value, path: path, directory: directory)
            directory.users[user.id] = user
            for (membershipIndex, entry) in try array(value["memberships"], "\(path).memberships").enumerated() {
                let membership = try readMembership(entry, path: "\(path).memberships[\(membershipIndex)]", user: user, directory: directory)
                directory.memberships[membership.id] = membership
            }
        }
        for (index, value) in try array(root["connections"], "connections").enumerated() {
            let connection = try Connection.fixture(value, path: "connections[\(index)]", file: file, ids: loader.ids, directory: directory)
            directory.connections[connection.id] = connection
        }
        for (index, value) in try array(root["clients"], "clients").enumerated() {
            let client = try OIDCClient.fixture(
                value, path: "clients[\(index)]", file: file, ids: loader.ids, now: loader.clock.now(), directory: directory)
            directory.clients[client.id] = client
        }
        return directory
    }

    func array(_ value: JSONValue?, _ path: String) throws(FixtureError) -> [JSONValue] {
        guard let value else { return [] }
        guard let array = value.arrayValue else { throw fail(path, "must be an array, found \(value.typeName)") }
        return array
    }

    func string(_ object: JSONValue, _ key: String, _ path: String, required: Bool = false) throws(FixtureError) -> String? {
        guard let value = object[key], !value.isNull else {
            if required { throw fail("\(path).\(key)", "is required") }
            return nil
        }
        guard let text = value.stringValue else { throw fail("\(path).\(key)", "must be a string, found \(value.typeName)") }
        return text
    }

    func checkKeys(_ object: JSONValue, _ allowed: Set<String>, _ path: String) throws(FixtureError) {
        guard let members = object.objectValue else { throw fail(path, "must be an object, found \(object.typeName)") }
        for key in members.keys where !allowed.contains(key) {
            throw fail("\(path).\(key)", "unknown key; expected one of \(allowed.sorted().joined(separator: ", "))")
        }
    }

    func pinnedID(_ object: JSONValue, _ path: String, prefix: IdPPrefix) throws(FixtureError) -> String {
        guard let id = try string(object, "id", path) else { return loader.ids.id(prefix) }
        guard IdPID.has(prefix: prefix, id) else {
            throw fail("\(path).id", "'\(id)' is not an IdP ID of the form \(prefix.rawValue)_<26-character ULID>")
        }
        return id
    }

    func readRoles(_ value: JSONValue?) throws(FixtureError) -> [Role] {
        let entries = try array(value, "roles")
        if entries.isEmpty {
            return [
                Role(slug: "owner", name: "Owner", permissions: ["org:manage", "members:write", "credentials:write", "credentials:read"]),
                Role(slug: "admin", name: "Admin", permissions: ["members:write", "credentials:write", "credentials:read"]),
                Role(slug: "member", name: "Member", permissions: ["credentials:read"]),
            ]
        }
        var roles: [Role] = []
        for (index, entry) in entries.enumerated() {
            let path = "roles[\(index)]"
            try checkKeys(entry, ["slug", "name", "permissions"], path)
            let slug = try string(entry, "slug", path, required: true) ?? ""
            let permissions = try array(entry["permissions"], "\(path).permissions")
            var names: [String] = []
            for (permissionIndex, permission) in permissions.enumerated() {
                guard let name = permission.stringValue else { throw fail("\(path).permissions[\(permissionIndex)]", "must be a string") }
                names.append(name)
            }
            roles.append(Role(slug: slug, name: try string(entry, "name", path) ?? slug.capitalized, permissions: names))
        }
        return roles
    }

    mutating func timestamp() -> Int64 {
        createdAt += 1
        return createdAt
    }

    mutating func readOrganization(_ value: JSONValue, path: String, directory: Directory) throws(FixtureError) -> Organization {
        try checkKeys(value, OrganizationField.fixtureNames.union(["ref", "id"]), path)
        let id = try pinnedID(value, path, prefix: .organization)
        if directory.organizations[id] != nil { throw fail("\(path).id", "'\(id)' is used twice") }
        let ref = try string(value, "ref", path)
        if let ref, directory.organization(ref: ref) != nil { throw fail("\(path).ref", "'\(ref)' is used twice") }
        var domains: [OrganizationDomain] = []
        for (index, domain) in try array(value[OrganizationField.domains.rawValue], "\(path).domains").enumerated() {
            guard let name = domain.stringValue, !name.isEmpty else { throw fail("\(path).domains[\(index)]", "must be a domain name string") }
            domains.append(OrganizationDomain(id: loader.ids.id(.organizationDomain), domain: name.lowercased()))
        }
        let created = timestamp()
        return Organization(
            id: id, name: try string(value, OrganizationField.name.rawValue, path, required: true) ?? "",
            externalID: try string(value, OrganizationField.externalID.rawValue, path), domains: domains,
            metadata: value[OrganizationField.metadata.rawValue]?.objectValue ?? [:], createdAt: created, updatedAt: created, ref: ref)
    }

    mutating func readUser(_ value: JSONValue, path: String, directory: Directory) throws(FixtureError) -> User {
        try checkKeys(value, UserField.names.union(["ref", "id", "memberships"]), path)
        let id = try pinnedID(value, path, prefix: .user)
        if directory.users[id] != nil { throw fail("\(path).id", "'\(id)' is used twice") }
        func text(_ field: UserField, required: Bool = false) throws(FixtureError) -> String? {
            try string(value, field.rawValue, path, required: required)
        }
        let email = (try text(.email, required: true) ?? "").lowercased()
        guard email.contains("@") else { throw fail("\(path).email", "'\(email)' is not an email address") }
        if directory.user(email: email) != nil { throw fail("\(path).email", "'\(email)' is used twice") }
        let ref = try string(value, "ref", path)
        if let ref, directory.user(ref: ref) != nil { throw fail("\(path).ref", "'\(ref)' is used twice") }
        let created = timestamp()
        return User(
            id: id, email: email, emailVerified: value[UserField.emailVerified.rawValue]?.boolValue ?? true,
            firstName: try text(.firstName), lastName: try text(.lastName), profilePictureURL: try text(.profilePictureURL),
            externalID: try text(.externalID), metadata: value[UserField.metadata.rawValue]?.objectValue ?? [:],
            locale: try text(.locale), password: try text(.password),
            lastSignInAt: nil, createdAt: created, updatedAt: created, ref: ref)
    }

    mutating func readMembership(_ value: JSONValue, path: String, user: User, directory: Directory) throws(FixtureError) -> Membership {
        try checkKeys(value, ["organization", "role", "roles", "status"], path)
        let reference = try string(value, "organization", path, required: true) ?? ""
        guard let organization = directory.resolveOrganization(reference) else {
            throw fail("\(path).organization", "no organization with ref or id '\(reference)'")
        }
        var roles: [String] = []
        if let role = try string(value, "role", path) { roles.append(role) }
        for (index, role) in try array(value["roles"], "\(path).roles").enumerated() {
            guard let slug = role.stringValue else { throw fail("\(path).roles[\(index)]", "must be a string") }
            if !roles.contains(slug) { roles.append(slug) }
        }
        if roles.isEmpty { roles = ["member"] }
        for slug in roles where directory.role(slug) == nil {
            throw fail("\(path).role", "unknown role '\(slug)'; defined roles: \(directory.roles.map(\.slug).joined(separator: ", "))")
        }
        let statusText = try string(value, "status", path) ?? "active"
        guard let status = MembershipStatus(rawValue: statusText) else {
            throw fail("\(path).status", "'\(statusText)' is not one of active, inactive, pending")
        }
        if directory.membership(userID: user.id, organizationID: organization.id) != nil {
            throw fail("\(path).organization", "\(user.email) is already a member of '\(reference)'")
        }
        let created = timestamp()
        return Membership(
            id: loader.ids.id(.membership), userID: user.id, organizationID: organization.id,
            roleSlugs: roles, status: status, createdAt: created, updatedAt: created)
    }
}
