import HTTP
import JSON

/// The IdP did not answer usefully (down, 5xx, unparseable). The callback answers 502: the
/// login cannot be completed, but the token itself was fine.
enum UpstreamError: Error, Sendable, Equatable, CustomStringConvertible {
    case unreachable(String)
    case badStatus(path: String, status: Int)
    case malformed(path: String, why: String)

    var description: String {
        switch self {
        case .unreachable(let why): return "IdP unreachable: \(why)"
        case .badStatus(let path, let status): return "IdP answered \(status) to \(path)"
        case .malformed(let path, let why): return "IdP answer to \(path) is malformed: \(why)"
        }
    }
}

/// A user as the IdP reports it.
struct IdPUser: Sendable {
    let id: String
    let email: String?
}

/// One active membership as the IdP reports it, still in the IdP's ID space.
struct IdPMembership: Sendable {
    let organizationID: String
    let role: String
}

/// The slice of the WorkOS management API the app reads, plus the public JWKS.
struct IdPDirectoryClient: Sendable {
    let baseURL: String
    let apiKey: String
    let jwksURL: String
    let http: HTTPClient

    init(connection: IdPConnection, jwksURL: String) {
        baseURL = connection.baseURL
        apiKey = connection.apiKey
        self.jwksURL = jwksURL
        http = connection.http
    }

    func jwks() throws(UpstreamError) -> JSONValue {
        try get(url: jwksURL, path: "/sso/jwks", authorized: false) ?? .null
    }

    /// Any JSON document by absolute URL, without the API key; only seeded bugs fetch what a
    /// token names.
    func document(url: String) throws(UpstreamError) -> JSONValue? {
        try get(url: url, path: url, authorized: false)
    }

    /// nil when the IdP has no such user.
    func user(id: String) throws(UpstreamError) -> IdPUser? {
        let path = "/user_management/users/\(percentEncodeSegment(id))"
        guard let body = try get(url: baseURL + path, path: path, authorized: true) else { return nil }
        guard let returnedID = body["id"]?.stringValue else { throw .malformed(path: path, why: "no string id") }
        return IdPUser(id: returnedID, email: body["email"]?.stringValue)
    }

    /// Every active membership of the user, following pagination.
    func activeMemberships(userID: String) throws(UpstreamError) -> [IdPMembership] {
        var memberships: [IdPMembership] = []
        var after: String?
        // Bounded: 100 pages of 100 is far past any fixture; a cursor loop cannot spin forever.
        for _ in 0..<100 {
            var query: [(name: String, value: String)] = [("user_id", userID), ("limit", "100")]
            if let after { query.append(("after", after)) }
            let path = "/user_management/organization_memberships?" + QueryParameters.encode(query)
            guard let body = try get(url: baseURL + path, path: "/user_management/organization_memberships", authorized: true) else {
                return memberships
            }
            guard let data = body["data"]?.arrayValue else { throw .malformed(path: path, why: "no data array") }
            for entry in data {
                // The default filter is `active` already; checking again costs nothing.
                if let status = entry["status"]?.stringValue, status != "active" { continue }
                guard let organizationID = entry["organization_id"]?.stringValue else {
                    throw .malformed(path: path, why: "a membership has no organization_id")
                }
                let role = entry["role"]?["slug"]?.stringValue ?? entry["roles"]?[0]?["slug"]?.stringValue ?? "member"
                memberships.append(IdPMembership(organizationID: organizationID, role: role))
            }
            guard let next = body["list_metadata"]?["after"]?.stringValue, !data.isEmpty else { return memberships }
            after = next
        }
        return memberships
    }

    /// The organization's `external_id` (the app's own org ID), nil when it has none or the
    /// organization is gone.
    func organizationExternalID(id: String) throws(UpstreamError) -> String? {
        let path = "/organizations/\(percentEncodeSegment(id))"
        guard let body = try get(url: baseURL + path, path: path, authorized: true) else { return nil }
        return body["external_id"]?.stringValue
    }

    /// The parsed body of a 200, nil for a 404; anything else is an upstream failure.
    private func get(url: String, path: String, authorized: Bool) throws(UpstreamError) -> JSONValue? {
        var headers: HTTPHeaders = ["Accept": "application/json"]
        if authorized { headers.add("Authorization", "Bearer \(apiKey)") }
        let response: ClientResponse
        do {
            response = try http.send(ClientRequest(method: "GET", url: url, headers: headers))
        } catch {
            throw .unreachable(error.description)
        }
        if response.status == 404 { return nil }
        guard response.status == 200 else { throw .badStatus(path: path, status: response.status) }
        do {
            return try response.json()
        } catch {
            throw .malformed(path: path, why: error.description)
        }
    }
}
