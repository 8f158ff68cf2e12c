import JSON

/// An OAuth client of the mock's OpenID Connect provider: the environment client, a fixture
/// client, one added through `/_mock/clients`, or one registered by RFC 7591.
package struct OIDCClient: Sendable, Equatable {
    package enum Kind: String, Sendable {
        case confidential, `public`
    }

    package var id: String
    /// nil for a public client.
    package var secret: String?
    package var name: String?
    package var kind: Kind
    package var redirectURIs: [String]
    package var postLogoutRedirectURIs: [String] = []
    package var grantTypes: [String] = ["authorization_code", "refresh_token"]
    package var authMethod: String
    /// The environment client takes any loopback URL and the configured ones, as `/user_management/authorize` does.
    package var acceptsAnyLoopbackRedirect = false
    package var issuedAt: Int64 = 0
    package var ref: String?

    package static let authMethods = ["client_secret_basic", "client_secret_post", "none"]
    package static let grants = ["authorization_code", "refresh_token"]

    /// Exact match, except that the port of a loopback IP literal is ignored (RFC 8252 §7.3).
    func allowsRedirect(_ uri: String, among registered: [String]) -> Bool {
        if registered.contains(uri) { return true }
        guard let given = Self.loopbackIPParts(uri) else { return acceptsAnyLoopbackRedirect && MockIdP.isLoopbackHTTPURL(uri) }
        if acceptsAnyLoopbackRedirect, MockIdP.isLoopbackHTTPURL(uri) { return true }
        return registered.contains { Self.loopbackIPParts($0).map { $0 == given } ?? false }
    }

    func allowsRedirect(_ uri: String) -> Bool { allowsRedirect(uri, among: redirectURIs) }

    func allowsPostLogoutRedirect(_ uri: String) -> Bool { allowsRedirect(uri, among: postLogoutRedirectURIs) }

    /// `http://127.0.0.1:5000/cb?x` as (scheme, host, path-and-query) without the port, for an
    /// `http` URL on `127.0.0.1` or `[::1]`; nil for anything else (`localhost` is a name, not a
    /// literal, so RFC 8252 leaves its port fixed).
    static func loopbackIPParts(_ uri: String) -> [String]? {
        guard uri.lowercased().hasPrefix("http://"), !uri.contains("#"), uri.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else { return nil }
        let rest = uri.dropFirst("http://".count)
        let authority = rest.prefix { $0 != "/" && $0 != "?" }
        let tail = String(rest.dropFirst(authority.count))
        guard MockIdP.isLoopbackAuthority(authority) else { return nil }
        let host: Substring = authority.hasPrefix("[") ? authority.prefix { $0 != "]" } : authority.prefix { $0 != ":" }
        guard host == "127.0.0.1" || host == "[::1" else { return nil }
        return ["http", String(host), tail.isEmpty ? "/" : tail]
    }

    /// The registration answer (RFC 7591 §3.2.1), also what `/_mock/clients` shows.
    var json: JSONValue {
        var object: JSONObject = [
            "client_id": .string(id),
            "client_id_issued_at": .int(issuedAt),
        ]
        if let secret {
            object["client_secret"] = .string(secret)
            object["client_secret_expires_at"] = 0
        }
        object["client_name"] = name.map(JSONValue.string) ?? .null
        object["type"] = .string(kind.rawValue)
        object["redirect_uris"] = .array(redirectURIs.map(JSONValue.string))
        object["post_logout_redirect_uris"] = .array(postLogoutRedirectURIs.map(JSONValue.string))
        object["grant_types"] = .array(grantTypes.map(JSONValue.string))
        object["response_types"] = ["code"]
        object["token_endpoint_auth_method"] = .string(authMethod)
        if let ref { object["ref"] = .string(ref) }
        return .object(object)
    }
}

/// Why a client's metadata was refused, in RFC 7591 §3.2.2 terms.
struct ClientMetadataError: Error {
    var error: String
    var description: String
}

/// Reads client metadata from the three places it comes from. One reader, so a fixture, the
/// control API and Dynamic Client Registration accept the same things.
struct OIDCClientReader {
    enum Source { case fixture, control, registration }

    static let fixtureFields: Set<String> = [
        "ref", "client_id", "client_secret", "name", "type", "redirect_uris", "post_logout_redirect_uris",
        "grant_types", "token_endpoint_auth_method",
    ]
    static let controlFields: Set<String> = fixtureFields.subtracting(["ref"])

    let source: Source
    let ids: IDGenerator

    func read(_ value: JSONValue, now: Int64) throws(ClientMetadataError) -> OIDCClient {
        guard let object = value.objectValue else {
            throw ClientMetadataError(error: "invalid_client_metadata", description: "must be a JSON object")
        }
        func fail(_ message: String, _ error: String = "invalid_client_metadata") -> ClientMetadataError {
            ClientMetadataError(error: error, description: message)
        }
        // RFC 7591 §2: a server ignores metadata it does not know; the mock's own inputs refuse typos.
        if source != .registration {
            let known = source == .fixture ? Self.fixtureFields : Self.controlFields
            if let problem = UnknownFields.problem(keys: object.keys, known: known) { throw fail(problem) }
        }
        func string(_ name: String) throws(ClientMetadataError) -> String? {
            guard let member = object[name], !member.isNull else { return nil }
            guard let text = member.stringValue else { throw fail("\(name) must be a string, found \(member.typeName)") }
            return text
        }
        func strings(_ name: String) throws(ClientMetadataError) -> [String]? {
            guard let member = object[name], !member.isNull else { return nil }
            guard let array = member.arrayValue else { throw fail("\(name) must be an array of strings, found \(member.typeName)") }
            var result: [String] = []
            for item in array {
                guard let text = item.stringValue else { throw fail("\(name) must be an array of strings") }
                result.append(text)
            }
            return result
        }
        // A pinned ID draws nothing from the seeded generator, so fixtures leave later IDs as they were.
        let id: String
        if let pinned = try string("client_id"), source != .registration {
            guard IdPID.has(prefix: .client, pinned) else {
                throw fail("client_id '\(pinned)' is not a client ID of the form client_<26-character ULID> (the journal flags any other shape)")
            }
            id = pinned
        } else {
            id = ids.id(.client)
        }
        let method = try string("token_endpoint_auth_method")
        let typeName = try string("type")
        var kind: OIDCClient.Kind
        switch typeName {
        case nil: kind = method == "none" ? .public : .confidential
        case let name?:
            guard let parsed = OIDCClient.Kind(rawValue: name) else { throw fail("type must be confidential or public, got '\(name)'") }
            kind = parsed
        }
        if let method, !OIDCClient.authMethods.contains(method) {
            throw fail("token_endpoint_auth_method '\(method)' is not supported; use one of \(OIDCClient.authMethods.joined(separator: ", "))")
        }
        if kind == .public, let method, method != "none" {
            throw fail("a public client authenticates with token_endpoint_auth_method none, not \(method)")
        }
        if kind == .confidential, method == "none" { throw fail("a confidential client needs client_secret_basic or client_secret_post, not none") }
        let redirects = try strings("redirect_uris") ?? []
        guard !redirects.isEmpty else {
            throw fail("redirect_uris is required: the code flow sends the user back to one of them", "invalid_redirect_uri")
        }
        for uri in redirects {
            if let problem = Self.redirectProblem(uri) { throw fail("redirect_uri '\(uri)': \(problem)", "invalid_redirect_uri") }
        }
        let logoutRedirects = try strings("post_logout_redirect_uris") ?? []
        for uri in logoutRedirects {
            if let problem = Self.redirectProblem(uri) { throw fail("post_logout_redirect_uri '\(uri)': \(problem)") }
        }
        let grants = try strings("grant_types") ?? OIDCClient.grants
        for grant in grants where !OIDCClient.grants.contains(grant) {
            throw fail("grant_type '\(grant)' is not supported; use \(OIDCClient.grants.joined(separator: ", "))")
        }
        if let responseTypes = try strings("response_types"), responseTypes.contains(where: { $0 != "code" }) {
            throw fail("response_types may only be [\"code\"]")
        }
        var secret: String?
        if kind == .confidential {
            secret = try string("client_secret") ?? "secret_" + ids.opaque(length: 32)
        } else if try string("client_secret") != nil {
            throw fail("a public client has no client_secret")
        }
        let name = try string(source == .registration ? "client_name" : "name")
        return OIDCClient(
            id: id, secret: secret, name: name, kind: kind,
            redirectURIs: redirects, postLogoutRedirectURIs: logoutRedirects, grantTypes: grants,
            authMethod: method ?? (kind == .public ? "none" : "client_secret_basic"), issuedAt: now,
            ref: source == .fixture ? try string("ref") : nil)
    }

    /// Absolute, no fragment; plain http only on loopback (RFC 8252 §7.3, OAuth 2.1 §2.3.1).
    static func redirectProblem(_ uri: String) -> String? {
        guard uri.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else { return "contains spaces or control characters" }
        guard let colon = uri.firstIndex(of: ":"), colon != uri.startIndex else { return "is not an absolute URI" }
        if uri.contains("#") { return "must not have a fragment" }
        let scheme = uri[..<colon].lowercased()
        if ["javascript", "data", "file", "vbscript"].contains(scheme) { return "the \(scheme): scheme is not a redirect" }
        if scheme == "http", !MockIdP.isLoopbackHTTPURL(uri) { return "plain http is only allowed on localhost, 127.0.0.1 or [::1]; use https" }
        return nil
    }
}

/// An SSO connection of the directory (`conn_…`): which organization it belongs to and what
/// kind of identity provider it stands for.
package struct Connection: Sendable, Equatable {
    package var id: String
    package var organizationID: String?
    package var type: String
    package var name: String
    package var ref: String?
}

extension Directory {
    package func resolveClient(_ reference: String) -> OIDCClient? {
        clients[reference] ?? clients.values.first { $0.ref == reference }
    }

    package func resolveConnection(_ reference: String) -> Connection? {
        connections[reference] ?? connections.values.first { $0.ref == reference }
    }
}

extension MockIdP {
    /// The environment client (`--client-id`, secret = the API key) or a registered one.
    package func oidcClient(_ id: String) -> OIDCClient? {
        if id == configuration.clientID { return environmentClient }
        return state.withLock { $0.directory.clients[id] }
    }

    var environmentClient: OIDCClient {
        OIDCClient(
            id: configuration.clientID, secret: configuration.apiKey, name: "environment client", kind: .confidential,
            redirectURIs: configuration.redirectURIs,
            postLogoutRedirectURIs: configuration.redirectURIs + [configuration.logoutRedirect].compactMap { $0 },
            authMethod: "client_secret_post", acceptsAnyLoopbackRedirect: true)
    }

    /// Adds a client (control API or Dynamic Client Registration); a taken ID is a conflict.
    package func registerClient(_ client: OIDCClient) throws(IdPError) -> OIDCClient {
        try state.withLock { (state) throws(IdPError) -> OIDCClient in
            guard client.id != configuration.clientID, state.directory.clients[client.id] == nil else {
                throw .conflict(code: "client_exists", message: "client_id '\(client.id)' is already registered")
            }
            guard state.directory.clients.count < Limits.registeredClients else {
                throw .invalidParameters("\(Limits.registeredClients) clients are registered already; reset the mock")
            }
            state.directory.clients[client.id] = client
            return client
        }
    }

    package func removeClient(_ id: String) throws(IdPError) {
        try state.withLock { (state) throws(IdPError) in
            guard state.directory.clients.removeValue(forKey: id) != nil else { throw .notFound(entity: "Client", id: id) }
        }
    }

    package var registeredClients: [OIDCClient] { state.withLock { $0.directory.clients.values.sorted { $0.id < $1.id } } }
}

extension Limits {
    /// Clients added at run time (`/_mock/clients`, Dynamic Client Registration) until a reset.
    package static let registeredClients = 10_000
}

extension OIDCClient {
    /// A `clients` entry of a fixtures file.
    static func fixture(
        _ value: JSONValue, path: String, file: String, ids: IDGenerator, now: Int64,
        directory: Directory
    ) throws(FixtureError) -> OIDCClient {
        let client: OIDCClient
        do {
            client = try OIDCClientReader(source: .fixture, ids: ids).read(value, now: now)
        } catch {
            throw FixtureError(file: file, path: path, message: error.description)
        }
        if directory.clients[client.id] != nil { throw FixtureError(file: file, path: "\(path).client_id", message: "'\(client.id)' is used twice") }
        if let ref = client.ref, directory.resolveClient(ref) != nil {
            throw FixtureError(file: file, path: "\(path).ref", message: "'\(ref)' is used twice")
        }
        return client
    }
}

extension Connection {
    static let fields: Set<String> = ["ref", "id", "organization", "type", "name"]

    /// A `connections` entry of a fixtures file: `{ref?, id?, organization?, type, name?}`.
    static func fixture(_ value: JSONValue, path: String, file: String, ids: IDGenerator, directory: Directory) throws(FixtureError) -> Connection {
        func fail(_ at: String, _ message: String) -> FixtureError { FixtureError(file: file, path: at, message: message) }
        guard let object = value.objectValue else { throw fail(path, "must be an object, found \(value.typeName)") }
        if let problem = UnknownFields.problem(keys: object.keys, known: fields) { throw fail(path, problem) }
        func string(_ name: String) throws(FixtureError) -> String? {
            guard let member = object[name], !member.isNull else { return nil }
            guard let text = member.stringValue else { throw fail("\(path).\(name)", "must be a string, found \(member.typeName)") }
            return text
        }
        let id: String
        if let pinned = try string("id") {
            guard IdPID.has(prefix: .connection, pinned) else {
                throw fail("\(path).id", "'\(pinned)' is not a connection ID of the form conn_<26-character ULID>")
            }
            id = pinned
        } else {
            id = ids.id(.connection)
        }
        if directory.connections[id] != nil { throw fail("\(path).id", "'\(id)' is used twice") }
        var organizationID: String?
        if let reference = try string("organization") {
            guard let organization = directory.resolveOrganization(reference) else {
                throw fail("\(path).organization", "no organization with ref or id '\(reference)'")
            }
            organizationID = organization.id
        }
        guard let type = try string("type"), !type.isEmpty else { throw fail("\(path).type", "is required (GenericSAML, OktaSAML, GoogleOAuth, …)") }
        let ref = try string("ref")
        if let ref, directory.resolveConnection(ref) != nil { throw fail("\(path).ref", "'\(ref)' is used twice") }
        return Connection(id: id, organizationID: organizationID, type: type, name: try string("name") ?? type, ref: ref)
    }
}

extension ClientMetadataError: CustomStringConvertible {}

extension Connection {
    /// As `/_mock/directory` shows it (WorkOS's connection object, trimmed to what the mock keeps).
    var json: JSONValue {
        [
            "object": "connection", "id": .string(id), "organization_id": organizationID.map(JSONValue.string) ?? .null,
            "connection_type": .string(type), "name": .string(name), "state": "active", "ref": ref.map(JSONValue.string) ?? .null,
        ]
    }
}
