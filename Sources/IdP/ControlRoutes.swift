import HTTP
import JOSE
import JSON

/// The `/_mock` control API: a thin HTTP layer over the same `MockIdP` methods the runner
/// calls in-process. Requests to it are not journaled: the journal is what the app sent.
struct ControlRoutes {
    let idp: MockIdP

    func register(into router: inout Router) {
        let idp = self.idp
        router.post("/_mock/tokens") { request in
            let minted = try idp.mintToken(try TokenRequest(json: try jsonBody(request)))
            var answer: JSONObject = ["access_token": .string(minted.token)]
            answer["session_id"] = minted.sessionID.map(JSONValue.string) ?? .null
            answer["header"] = .object(minted.header)
            answer["claims"] = .object(minted.claims)
            return .json(.object(answer))
        }
        router.get("/_mock/journal") { request in
            var filter = Journal.Filter(method: request.query["method"], pathPrefix: request.query["path_prefix"])
            if let since = request.query["since"] {
                guard let value = Int(since) else { throw IdPError.invalidRequest(code: "invalid_request_parameters", message: "since must be a sequence number") }
                filter.sinceSequence = value
            }
            if let flag = request.query["flag"] {
                guard let kind = JournalFlag.Kind(rawValue: flag) else {
                    throw IdPError.invalidRequest(code: "invalid_request_parameters", message: "flag must be id_space_violation or fault_injected")
                }
                filter.flag = kind
            }
            let entries = idp.journal.entries(filter)
            return .json(["object": "list", "data": .array(entries.map(\.json)), "last_sequence": .int(Int64(idp.journal.lastSequence))])
        }
        router.delete("/_mock/journal") { _ in
            idp.journal.clear()
            return .empty(status: 204)
        }

        router.post("/_mock/reset") { _ in
            idp.reset()
            return .json(["status": "reset"])
        }
        router.get("/_mock/directory") { _ in .json(idp.directorySnapshot()) }
        router.crud("/_mock/users", CRUD.users(idp, allowPinned: true).forControlAPI())
        router.crud("/_mock/organizations", CRUD.organizations(idp, allowPinned: true).forControlAPI())
        router.crud("/_mock/memberships", CRUD.memberships(idp).forControlAPI())

        router.get("/_mock/keys") { _ in .json(idp.keysSummary()) }
        router.post("/_mock/keys") { request in
            try { () throws(IdPError) -> HTTPResponse in
                let fields = try BodyFields(try jsonBody(request))
                let action = try fields.requiredString("action")
                let kid = try fields.string("kid")
                func requireKid() throws(IdPError) -> String {
                    guard let kid else { throw .invalidRequest(code: "invalid_request_parameters", message: "action '\(action)' needs a kid") }
                    return kid
                }
                let made: SigningKey?
                switch action {
                case "add":
                    let algorithm = try fields.string("algorithm").map { (text) throws(IdPError) -> JWSAlgorithm in
                        guard let parsed = JWSAlgorithm(rawValue: text), parsed != .hs256 else {
                            throw .invalidRequest(code: "invalid_request_parameters", message: "algorithm must be RS256 or ES256")
                        }
                        return parsed
                    } ?? idp.configuration.signingAlgorithm
                    made = try idp.keys.apply(.add(algorithm: algorithm))
                case "remove": made = try idp.keys.apply(.remove(kid: try requireKid()))
                case "replace": made = try idp.keys.apply(.replace(kid: try requireKid()))
                case "activate":
                    try idp.keys.activate(kid: try requireKid())
                    made = nil
                case "publish-unparseable": made = try idp.keys.apply(.publishUnparseable)
                case "clear-unparseable": made = try idp.keys.apply(.clearUnparseable)
                default:
                    throw .invalidRequest(code: "invalid_request_parameters",
                                          message: "action must be add, remove, replace, activate, publish-unparseable or clear-unparseable")
                }
                var summary = idp.keysSummary().objectValue ?? [:]
                summary["kid"] = made.map { .string($0.kid) } ?? .null
                return .json(.object(summary))
            }()
        }

        router.get("/_mock/clock") { _ in .json(["now": .int(idp.clock.now()), "offset": .int(idp.clock.offset)]) }
        router.post("/_mock/clock") { request in
            let fields = try BodyFields(try jsonBody(request))
            if let offset = try fields.int("offset") { idp.clock.setOffset(offset) }
            if let advance = try fields.int("advance") { idp.clock.advance(advance) }
            return .json(["now": .int(idp.clock.now()), "offset": .int(idp.clock.offset)])
        }

        router.get("/_mock/faults") { _ in .json(["data": .array(idp.faults.armed.map(\.json))]) }
        router.post("/_mock/faults") { request in
            let rule = try FaultRule(json: try jsonBody(request), id: idp.ids.id(.fault))
            idp.faults.arm(rule)
            return .json(rule.json, status: 201)
        }
        router.delete("/_mock/faults") { _ in
            idp.faults.clear()
            return .empty(status: 204)
        }
        router.delete("/_mock/faults/{id}") { request in
            idp.faults.clear(id: request.pathParameters["id"])
            return .empty(status: 204)
        }
    }
}

extension MockIdP {
    public func keysSummary() -> JSONValue {
        let active = keys.activeKey.kid
        return [
            "active_kid": .string(active),
            "published": .array(keys.publishedKeys.map { ["kid": .string($0.kid), "alg": .string($0.algorithm.rawValue)] }),
        ]
    }

    /// The directory with fixture handles, for people and for the runner's ID-space checks.
    public func directorySnapshot() -> JSONValue {
        let directory = self.directory
        return [
            "organizations": .array(directory.organizations.values.sorted { $0.id < $1.id }.map { organization in
                var object = WorkOSShape.organization(organization).objectValue ?? [:]
                object["ref"] = organization.ref.map(JSONValue.string) ?? .null
                return .object(object)
            }),
            "users": .array(directory.users.values.sorted { $0.id < $1.id }.map { user in
                var object = WorkOSShape.user(user).objectValue ?? [:]
                object["ref"] = user.ref.map(JSONValue.string) ?? .null
                return .object(object)
            }),
            "memberships": .array(directory.memberships.values.sorted { $0.id < $1.id }.map { WorkOSShape.membership($0, in: directory) }),
        ]
    }
}

extension TokenRequest {
    /// The `/_mock/tokens` body (README, "Control API").
    public init(json: JSONValue) throws(IdPError) {
        let fields = try BodyFields(json)
        let known: Set<String> = ["user", "organization", "claims", "omit", "header", "omit_header", "sign", "kid", "expires_in",
                                  "not_before_in", "issued_at_offset", "raw_payload", "impersonator"]
        for key in fields.object.keys where !known.contains(key) {
            throw .invalidRequest(code: "invalid_request_parameters", message: "unknown field '\(key)'; expected one of \(known.sorted().joined(separator: ", "))")
        }
        self.init(user: try fields.requiredString("user"), organization: try fields.string("organization"))
        claims = try fields.object("claims") ?? [:]
        header = try fields.object("header") ?? [:]
        omit = try Self.strings(fields, "omit")
        omitHeader = try Self.strings(fields, "omit_header")
        if let sign = try fields.string("sign") {
            guard let mode = SignMode(rawValue: sign) else {
                throw .invalidRequest(code: "invalid_request_parameters", message: "sign must be one of \(SignMode.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            self.sign = mode
        }
        kid = try fields.string("kid")
        expiresIn = try fields.int("expires_in")
        notBeforeIn = try fields.int("not_before_in")
        issuedAtOffset = try fields.int("issued_at_offset") ?? 0
        rawPayload = try fields.string("raw_payload")
        impersonatorEmail = try fields.string("impersonator")
    }

    private static func strings(_ fields: BodyFields, _ name: String) throws(IdPError) -> [String] {
        var result: [String] = []
        for value in try fields.array(name) ?? [] {
            guard let text = value.stringValue else { throw .invalidRequest(code: "invalid_request_parameters", message: "\(name) must be an array of strings") }
            result.append(text)
        }
        return result
    }
}

extension FaultRule {
    /// `{"path": "/sso/jwks/*", "method"?, "status"?, "body"?, "latency_ms"?, "drop"?, "times"?}`
    public init(json: JSONValue, id: String) throws(IdPError) {
        let fields = try BodyFields(json)
        let path = try fields.requiredString("path")
        let action: Action
        if try fields.bool("drop") == true {
            action = .drop
        } else if let status = try fields.int("status") {
            guard (100...599).contains(status) else { throw .invalidRequest(code: "invalid_request_parameters", message: "status must be 100-599") }
            action = .respond(status: Int(status), body: fields.object["body"])
        } else if let latency = try fields.int("latency_ms") {
            guard (0...60_000).contains(latency) else { throw .invalidRequest(code: "invalid_request_parameters", message: "latency_ms must be 0-60000") }
            action = .delay(milliseconds: Int(latency))
        } else {
            throw .invalidRequest(code: "invalid_request_parameters", message: "a fault needs status, latency_ms or drop")
        }
        var times: Int?
        if let count = try fields.int("times") {
            guard count >= 1 else { throw .invalidRequest(code: "invalid_request_parameters", message: "times must be at least 1 (omit it for until-cleared)") }
            times = Int(count)
        }
        self.init(id: id, method: try fields.string("method"), path: path, action: action, times: times)
    }
}
