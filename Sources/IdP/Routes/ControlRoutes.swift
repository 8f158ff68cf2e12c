import Glibc
import HTTP
import JOSE
import JSON

/// The `/_mock` control API: a thin HTTP layer over the same `MockIdP` methods the runner
/// calls in-process. Requests to it are not journaled: the journal is what the app sent.
struct ControlRoutes {
    static let prefix = "/_mock/"
    let idp: MockIdP

    func register(into router: inout Router) {
        router.group(prefix: Self.prefix, idp.configuration.controlGuard) { control in registerGuarded(into: &control) }
    }

    private func registerGuarded(into router: inout Router) {
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
            filter.sinceSequence = try request.query.int("since", in: Limits.journalSince)
            let limit = try request.query.int("limit", in: Limits.journalPage) ?? Limits.journalPageDefault
            if let flag = request.query["flag"] {
                guard let kind = JournalFlag.Kind(rawValue: flag) else {
                    let kinds = JournalFlag.Kind.allCases.map(\.rawValue).joined(separator: ", ")
                    throw IdPError.invalidParameters("flag must be one of \(kinds)")
                }
                filter.flag = kind
            }
            return HTTPResponse(
                status: 200, headers: ["Content-Type": "application/json"],
                body: JournalPage(journal: idp.journal, filter: filter, limit: limit).response)
        }
        router.delete("/_mock/journal") { _ in
            idp.journal.clear()
            return .empty(status: 204)
        }

        router.post("/_mock/reset") { _ in
            idp.reset()
            // glibc keeps freed pages in its arenas: give them back, so a reset after a bulk load
            // lowers the RSS. Only here: the runner's in-process reset before each scenario skips it.
            releaseFreedMemory()
            return .json(["status": "reset"])
        }
        router.get("/_mock/directory") { _ in .json(idp.directorySnapshot()) }
        router.get("/_mock/sessions/{id}") { request in
            let id = try request.pathParameters.require("id")
            let standing = idp.sessionStanding(id)
            guard standing.exists else { throw IdPError.notFound(entity: "Session", id: id) }
            return .json(["id": .string(id), "ended": .bool(standing.ended), "refresh_tokens": .int(Int64(standing.refreshTokens.count))])
        }
        router.crud("/_mock/users", CRUD.users(idp, allowPinned: true).forControlAPI(known: ControlFields.user))
        router.crud("/_mock/organizations", CRUD.organizations(idp, allowPinned: true).forControlAPI(known: ControlFields.organization))
        router.crud("/_mock/memberships", CRUD.memberships(idp).forControlAPI(known: ControlFields.membership))

        router.get("/_mock/keys") { _ in .json(idp.keys.summary) }
        router.post("/_mock/keys") { request in
            let fields = try BodyFields(try jsonBody(request))
            try fields.refuseUnknown(["action", "kid", "algorithm"])
            let change = try KeyRing.Change(
                action: try fields.requiredString("action"), kid: try fields.string("kid"),
                algorithm: try fields.string("algorithm"), default: idp.configuration.signingAlgorithm)
            let made = try idp.keys.apply(change)
            var summary = idp.keys.summary.objectValue ?? [:]
            summary["kid"] = made.map { .string($0.kid) } ?? .null
            return .json(.object(summary))
        }

        router.get("/_mock/clock") { _ in clockJSON(idp.clock) }
        router.post("/_mock/clock") { request in
            let fields = try BodyFields(try jsonBody(request))
            try fields.refuseUnknown(["offset", "advance"])
            let offset = try fields.int("offset", in: Limits.timeOffsetSeconds)
            let advance = try fields.int("advance", in: Limits.timeOffsetSeconds)
            if let offset { idp.clock.setOffset(offset) }
            if let advance { idp.clock.advance(advance) }
            return clockJSON(idp.clock)
        }

        router.get("/_mock/faults") { _ in .json(["data": .array(idp.faults.armed.map(\.json))]) }
        router.post("/_mock/faults") { request in
            let rule = try FaultRule(json: try jsonBody(request), id: idp.ids.id(.fault))
            guard idp.faults.armed.count < Limits.armedFaults else {
                throw IdPError.invalidParameters("\(Limits.armedFaults) faults are armed already: clear some first (DELETE /_mock/faults)")
            }
            idp.faults.arm(rule)
            return .json(rule.json, status: 201)
        }
        router.delete("/_mock/faults") { _ in
            idp.faults.clear()
            return .empty(status: 204)
        }
        router.delete("/_mock/faults/{id}") { request in
            idp.faults.clear(id: try request.pathParameters.require("id"))
            return .empty(status: 204)
        }
    }
}

/// The mock clock as `/_mock/clock` shows it, before and after a change.
private func clockJSON(_ clock: MockClock) -> HTTPResponse {
    .json(["now": .int(clock.now()), "offset": .int(clock.offset)])
}

/// glibc's `malloc_trim(0)`, looked up at run time: <malloc.h> is not part of the Glibc module.
private func releaseFreedMemory() {
    typealias Trim = @convention(c) (Int) -> Int32
    guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc_trim") else { return }
    _ = unsafeBitCast(symbol, to: Trim.self)(0)
}
