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
            answering { () throws(IdPError) -> HTTPResponse in
                let minted = try idp.mintToken(try TokenRequest(json: try jsonBody(request)))
                var answer: JSONObject = ["access_token": .string(minted.token)]
                answer["session_id"] = minted.sessionID.map(JSONValue.string) ?? .null
                answer["header"] = .object(minted.header)
                answer["claims"] = .object(minted.claims)
                return .json(.object(answer))
            }
        }
        router.get("/_mock/journal") { request in
            answering { () throws(IdPError) -> HTTPResponse in
                var filter = Journal.Filter(method: request.query["method"], pathPrefix: request.query["path_prefix"])
                filter.sinceSequence = try request.query.int("since", in: Limits.journalSince)
                let limit = try request.query.int("limit", in: Limits.journalPage) ?? Limits.journalPageDefault
                if let flag = request.query["flag"] {
                    guard let kind = JournalFlag.Kind(rawValue: flag) else {
                        throw .invalidRequest(code: "invalid_request_parameters", message: "flag must be id_space_violation or fault_injected")
                    }
                    filter.flag = kind
                }
                return .json(JournalPage(journal: idp.journal, filter: filter, limit: limit).json)
            }
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
        router.post("/_mock/users") { request in
            answering { () throws(IdPError) -> HTTPResponse in .json(try idp.createUser(try controlBody(request, known: ControlFields.user), allowPinned: true), status: 201) }
        }
        router.put("/_mock/users/{id}") { request in
            answering { () throws(IdPError) -> HTTPResponse in .json(try idp.updateUser(request.pathParameters["id"] ?? "", try controlBody(request, known: ControlFields.user))) }
        }
        router.delete("/_mock/users/{id}") { request in
            answering { () throws(IdPError) -> HTTPResponse in
                try idp.deleteUser(request.pathParameters["id"] ?? "")
                return .empty(status: 204)
            }
        }
        router.post("/_mock/organizations") { request in
            answering { () throws(IdPError) -> HTTPResponse in .json(try idp.createOrganization(try controlBody(request, known: ControlFields.organization), allowPinned: true), status: 201) }
        }
        router.put("/_mock/organizations/{id}") { request in
            answering { () throws(IdPError) -> HTTPResponse in .json(try idp.updateOrganization(request.pathParameters["id"] ?? "", try controlBody(request, known: ControlFields.organization))) }
        }
        router.delete("/_mock/organizations/{id}") { request in
            answering { () throws(IdPError) -> HTTPResponse in
                try idp.deleteOrganization(request.pathParameters["id"] ?? "")
                return .empty(status: 204)
            }
        }
        router.post("/_mock/memberships") { request in
            answering { () throws(IdPError) -> HTTPResponse in .json(try idp.createMembership(try controlBody(request, known: ControlFields.membership)), status: 201) }
        }
        router.put("/_mock/memberships/{id}") { request in
            answering { () throws(IdPError) -> HTTPResponse in .json(try idp.updateMembership(request.pathParameters["id"] ?? "", try controlBody(request, known: ControlFields.membership))) }
        }
        router.delete("/_mock/memberships/{id}") { request in
            answering { () throws(IdPError) -> HTTPResponse in
                try idp.deleteMembership(request.pathParameters["id"] ?? "")
                return .empty(status: 204)
            }
        }

        router.get("/_mock/keys") { _ in .json(idp.keysSummary()) }
        router.post("/_mock/keys") { request in
            answering { () throws(IdPError) -> HTTPResponse in
                let fields = try BodyFields(try jsonBody(request))
                try fields.refuseUnknown(["action", "kid", "algorithm"])
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
            }
        }

        router.get("/_mock/clock") { _ in .json(["now": .int(idp.clock.now()), "offset": .int(idp.clock.offset)]) }
        router.post("/_mock/clock") { request in
            answering { () throws(IdPError) -> HTTPResponse in
                let fields = try BodyFields(try jsonBody(request))
                try fields.refuseUnknown(["offset", "advance"])
                let offset = try fields.int("offset", in: Limits.timeOffsetSeconds)
                let advance = try fields.int("advance", in: Limits.timeOffsetSeconds)
                if let offset { idp.clock.setOffset(offset) }
                if let advance { idp.clock.advance(advance) }
                return .json(["now": .int(idp.clock.now()), "offset": .int(idp.clock.offset)])
            }
        }

        router.get("/_mock/faults") { _ in .json(["data": .array(idp.faults.armed.map(\.json))]) }
        router.post("/_mock/faults") { request in
            answering { () throws(IdPError) -> HTTPResponse in
                let rule = try FaultRule(json: try jsonBody(request), id: idp.ids.id(.fault))
                guard idp.faults.armed.count < Limits.armedFaults else {
                    throw .invalidRequest(code: "invalid_request_parameters", message: "\(Limits.armedFaults) faults are armed already: clear some first (DELETE /_mock/faults)")
                }
                idp.faults.arm(rule)
                return .json(rule.json, status: 201)
            }
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
        try fields.refuseUnknown(["user", "organization", "claims", "omit", "header", "omit_header", "sign", "kid", "expires_in",
                                  "not_before_in", "issued_at_offset", "raw_payload", "impersonator"])
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
        expiresIn = try fields.int("expires_in", in: Limits.timeOffsetSeconds)
        notBeforeIn = try fields.int("not_before_in", in: Limits.timeOffsetSeconds)
        issuedAtOffset = try fields.int("issued_at_offset", in: Limits.timeOffsetSeconds) ?? 0
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
        try fields.refuseUnknown(["path", "method", "status", "body", "latency_ms", "drop", "times"])
        let path = try fields.requiredString("path")
        let action: Action
        if try fields.bool("drop") == true {
            action = .drop
        } else if let status = try fields.int("status", in: Limits.faultStatus) {
            action = .respond(status: Int(status), body: fields.object["body"])
        } else if let latency = try fields.int("latency_ms", in: Limits.faultLatencyMillis) {
            action = .delay(milliseconds: Int(latency))
        } else {
            throw .invalidRequest(code: "invalid_request_parameters", message: "a fault needs status, latency_ms or drop")
        }
        var times: Int?
        if let count = try fields.int("times", in: Limits.faultTimes) { times = Int(count) }
        self.init(id: id, method: try fields.string("method"), path: path, action: action, times: times)
    }
}
