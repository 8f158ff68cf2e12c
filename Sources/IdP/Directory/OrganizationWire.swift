import JSON

/// An organization's WorkOS wire fields, spelled here only: the create and update bodies
/// (`NewOrganization`, `OrganizationChanges`), the answer (`WorkOSShape.organization`), the
/// fixtures, the control API's known fields and the journal's documented body members all read these names.
package enum OrganizationField: String, CaseIterable, Sendable {
    case name
    case externalID = "external_id"
    case metadata
    /// `[{"domain": …, "state": …}]`, read instead of `domains` when both are sent.
    case domainData = "domain_data"
    /// Domain names, added verified; the answer's domain objects and the fixtures' names.
    case domains

    /// Every field's wire name.
    package static let names: Set<String> = Set(allCases.map(\.rawValue))
    /// A fixture organization lists its domains by name only.
    package static let fixtureNames: Set<String> = names.subtracting([domainData.rawValue])
}

/// The members of a `domain_data` entry, which the answer's domain objects carry too.
package enum OrganizationDomainField: String, CaseIterable, Sendable {
    case domain
    case state
}

/// A domain an organization is given: its name (the body's, lowercased) and verification state.
/// A nil `id` is drawn when the organization is stored.
package struct NewDomain: Sendable, Equatable {
    package var domain: String
    package var state: String
    package var id: String?

    package init(_ domain: String, state: String = "verified", id: String? = nil) {
        self.domain = domain
        self.state = state
        self.id = id
    }

    /// `domain_data`, else `domains`, else none; `ids` draws each domain's ID as it is read.
    static func list(in body: BodyFields, ids: IDGenerator?) throws(IdPError) -> [NewDomain] {
        var result: [NewDomain] = []
        if let data = try body.array(OrganizationField.domainData.rawValue) {
            for (index, entry) in data.enumerated() {
                guard let domain = entry[OrganizationDomainField.domain.rawValue]?.stringValue else {
                    throw .invalidParameters("domain_data[\(index)].domain is required")
                }
                let state = entry[OrganizationDomainField.state.rawValue]?.stringValue ?? "verified"
                result.append(NewDomain(domain.lowercased(), state: state, id: ids?.id(.organizationDomain)))
            }
        } else if let plain = try body.array(OrganizationField.domains.rawValue) {
            for entry in plain {
                guard let domain = entry.stringValue else { throw .invalidParameters("domains must be strings") }
                result.append(NewDomain(domain.lowercased(), id: ids?.id(.organizationDomain)))
            }
        }
        return result
    }
}

/// What creating an organization takes. `id` and `ref` are the control API's (pinned IDs,
/// fixture handles); the WorkOS API never sets them. A nil `id` is drawn when it is stored.
package struct NewOrganization: Sendable, Equatable {
    package var name: String
    package var id: String?
    package var ref: String?
    package var externalID: String?
    package var metadata: JSONObject
    package var domains: [NewDomain]

    package init(
        name: String, id: String? = nil, ref: String? = nil, externalID: String? = nil, metadata: JSONObject = [:],
        domains: [NewDomain] = []
    ) {
        self.name = name
        self.id = id
        self.ref = ref
        self.externalID = externalID
        self.metadata = metadata
        self.domains = domains
    }

    /// A WorkOS create body; `allowPinned` reads `id` and `ref` as well. The first problem in
    /// this order is the answer: name, id, external_id, metadata, domains, ref. `ids` draws the
    /// organization's and its domains' IDs as the body is read, so a body refused part-way uses
    /// up the seeded IDs it always has and a seeded run's later IDs stay as they were.
    package init(json body: JSONValue, allowPinned: Bool = false, ids: IDGenerator? = nil) throws(IdPError) {
        let body = try BodyFields(body)
        name = try body.requiredString(OrganizationField.name.rawValue)
        let pinned = allowPinned ? try body.string("id") : nil
        id = pinned ?? ids?.id(.organization)
        if let pinned, !IdPID.has(prefix: .organization, pinned) {
            throw .invalidParameters("id '\(pinned)' is not of the form org_<ULID>")
        }
        externalID = try body.string(OrganizationField.externalID.rawValue)
        metadata = try body.object(OrganizationField.metadata.rawValue) ?? [:]
        domains = try NewDomain.list(in: body, ids: ids)
        ref = allowPinned ? try body.string("ref") : nil
    }
}

/// What updating an organization changes. A nil member leaves the field as it is;
/// `externalID == .some(nil)` clears it; `domains` replaces them all.
package struct OrganizationChanges: Sendable, Equatable {
    package var name: String?
    package var externalID: String??
    package var metadata: JSONObject?
    package var domains: [NewDomain]?

    package init() {}

    /// A WorkOS update body, every field.
    package init(json body: JSONValue) throws(IdPError) {
        let body = try BodyFields(body)
        try self.init(readBeforeLookup: body, ids: nil)
        try read(afterLookup: body)
    }

    /// The fields whose problems win over an unknown organization: domains, then external_id.
    /// A `domain_data` or `domains` member, even null, replaces the domains; `ids` draws their IDs as they are read.
    init(readBeforeLookup body: BodyFields, ids: IDGenerator?) throws(IdPError) {
        if body.has(OrganizationField.domainData.rawValue) || body.has(OrganizationField.domains.rawValue) {
            domains = try NewDomain.list(in: body, ids: ids)
        }
        if body.has(OrganizationField.externalID.rawValue) { externalID = .some(try body.string(OrganizationField.externalID.rawValue)) }
    }

    /// The fields an unknown organization wins over: name (never empty), then metadata (null is empty).
    mutating func read(afterLookup body: BodyFields) throws(IdPError) {
        if body.has(OrganizationField.name.rawValue) { name = try body.requiredString(OrganizationField.name.rawValue) }
        if body.has(OrganizationField.metadata.rawValue) { metadata = try body.object(OrganizationField.metadata.rawValue) ?? [:] }
    }
}

extension WorkOSShape {
    static func organization(_ organization: Organization) -> JSONValue {
        [
            "object": "organization",
            "id": .string(organization.id),
            OrganizationField.name.rawValue: .string(organization.name),
            "allow_profiles_outside_organization": false,
            OrganizationField.domains.rawValue: .array(
                organization.domains.map { domain in
                    [
                        "object": "organization_domain",
                        "id": .string(domain.id),
                        "organization_id": .string(organization.id),
                        OrganizationDomainField.domain.rawValue: .string(domain.domain),
                        OrganizationDomainField.state.rawValue: .string(domain.state),
                        "verification_strategy": "manual",
                        "created_at": timestamp(organization.createdAt),
                        "updated_at": timestamp(organization.updatedAt),
                    ]
                }),
            OrganizationField.metadata.rawValue: .object(organization.metadata),
            OrganizationField.externalID.rawValue: optional(organization.externalID),
            "created_at": timestamp(organization.createdAt),
            "updated_at": timestamp(organization.updatedAt),
        ]
    }
}

/// The WorkOS JSON forms of the organization commands: a body in, the WorkOS answer out.
extension MockIdP {
    package func createOrganization(_ body: JSONValue, allowPinned: Bool = false) throws(IdPError) -> JSONValue {
        WorkOSShape.organization(try createOrganization(try NewOrganization(json: body, allowPinned: allowPinned, ids: ids)))
    }

    package func updateOrganization(_ id: String, _ body: JSONValue) throws(IdPError) -> JSONValue {
        let body = try BodyFields(body)
        // The order the answers have always had: a domains or external_id problem, then an
        // unknown organization, then a name or metadata problem.
        var changes = try OrganizationChanges(readBeforeLookup: body, ids: ids)
        if let external = changes.externalID { try checkExternalID(external) }
        _ = try organization(id)
        try changes.read(afterLookup: body)
        return WorkOSShape.organization(try updateOrganization(id, changes))
    }
}
