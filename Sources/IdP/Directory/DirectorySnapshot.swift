import JSON

extension MockIdP {
    /// The directory with fixture handles, for people and for the runner's ID-space checks.
    package func directorySnapshot() -> JSONValue {
        let directory = self.directory
        return [
            "organizations": .array(
                directory.organizations.values.sorted { $0.id < $1.id }.map { organization in
                    var object = WorkOSShape.organization(organization).objectValue ?? [:]
                    object["ref"] = organization.ref.map(JSONValue.string) ?? .null
                    return .object(object)
                }),
            "users": .array(
                directory.users.values.sorted { $0.id < $1.id }.map { user in
                    var object = WorkOSShape.user(user).objectValue ?? [:]
                    object["ref"] = user.ref.map(JSONValue.string) ?? .null
                    return .object(object)
                }),
            "memberships": .array(directory.memberships.values.sorted { $0.id < $1.id }.map { WorkOSShape.membership($0, in: directory) }),
            "connections": .array(directory.connections.values.sorted { $0.id < $1.id }.map(\.json)),
            "clients": .array(directory.clients.values.sorted { $0.id < $1.id }.map(\.json)),
        ]
    }
}
