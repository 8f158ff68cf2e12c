import JSON

/// A forgery for the next answers of `/oauth2/token` (`POST /_mock/oauth2/token_overrides`):
/// each token is minted as the login would get it, then changed as a `/_mock/tokens` request
/// changes its token (claims, omit, header, sign, kid, lifetimes).
struct TokenOverride: Sendable {
    static let fields: Set<String> = ["times", "client_id", "id_token", "access_token"]
    static let tokenFields = TokenRequest.fields.subtracting(["user", "organization", "impersonator"])

    var remaining: Int
    var clientID: String?
    var idToken: TokenRequest?
    var accessToken: TokenRequest?

    init(json: JSONValue) throws(IdPError) {
        let fields = try BodyFields(json)
        try fields.refuseUnknown(Self.fields)
        remaining = Int(try fields.int("times", in: Limits.faultTimes) ?? 1)
        clientID = try fields.string("client_id")
        idToken = try Self.request(fields, "id_token")
        accessToken = try Self.request(fields, "access_token")
        guard idToken != nil || accessToken != nil else {
            throw .invalidParameters("give id_token and/or access_token: {\"sign\": \"bad-signature\"}, {\"claims\": {…}}, …")
        }
    }

    private static func request(_ fields: BodyFields, _ name: String) throws(IdPError) -> TokenRequest? {
        guard let object = try fields.object(name) else { return nil }
        if let problem = UnknownFields.problem(keys: object.keys, known: tokenFields) {
            throw .invalidParameters("\(name): \(problem)")
        }
        var withUser = object
        // TokenRequest requires a user; the override only changes a token minted for the login's own.
        withUser["user"] = "(the login's user)"
        return try TokenRequest(json: .object(withUser))
    }

    var json: JSONValue {
        [
            "times": .int(Int64(remaining)), "client_id": clientID.map(JSONValue.string) ?? .null,
            "id_token": .bool(idToken != nil), "access_token": .bool(accessToken != nil),
        ]
    }
}

extension MockIdP {
    package func addTokenOverride(_ json: JSONValue) throws(IdPError) -> JSONValue {
        let override = try TokenOverride(json: json)
        return try state.withLock { (state) throws(IdPError) -> JSONValue in
            guard state.flows.oidc.overrides.count < Limits.armedFaults else {
                throw .invalidParameters("\(Limits.armedFaults) overrides are armed already; DELETE /_mock/oauth2/token_overrides")
            }
            state.flows.oidc.overrides.append(override)
            return ["data": .array(state.flows.oidc.overrides.map(\.json))]
        }
    }

    package func clearTokenOverrides() { state.withLock { $0.flows.oidc.overrides = [] } }

    package var tokenOverrides: JSONValue { state.withLock { ["data": .array($0.flows.oidc.overrides.map(\.json))] } }

    /// The first armed override for `clientID`, used up by one answer.
    static func takeOverride(_ state: inout State, clientID: String) -> TokenOverride? {
        guard let index = state.flows.oidc.overrides.firstIndex(where: { $0.clientID == nil || $0.clientID == clientID }) else { return nil }
        let override = state.flows.oidc.overrides[index]
        if override.remaining <= 1 {
            state.flows.oidc.overrides.remove(at: index)
        } else {
            state.flows.oidc.overrides[index].remaining -= 1
        }
        return override
    }
}
