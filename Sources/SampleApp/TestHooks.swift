import Essentials
import FoundationEssentials
import Glibc
import HTTP
import JSON

/// The `/_test` routes (`--test-mode` only), the same in both shapes: introspection counts per
/// IdP user, the `api_key.create` fault, seeding app organizations, and a full reset.
struct TestHooks: Sendable {
    let database: DatabaseBox
    let keys: JWKSCache
    /// The web shape's cookie sessions, which a reset must forget too.
    let sessions: WebSessionStore?

    func register(into router: inout Router) {
        let hooks = self
        router.get("/_test/introspect") { try Self.refusal($0) ?? hooks.introspect($0) }
        router.post("/_test/faults") { try Self.refusal($0) ?? hooks.armFault($0) }
        router.delete("/_test/faults") { Self.refusal($0) ?? hooks.clearFaults($0) }
        router.post("/_test/seed") { try Self.refusal($0) ?? hooks.seed($0) }
        router.post("/_test/reset") { Self.refusal($0) ?? hooks.reset($0) }
    }

    /// The hooks reset and rewrite the app's tables, so, as the mock's `/_mock`, they answer only
    /// a loopback `Host` (DNS rebinding), no other `Origin`, and a body only as
    /// `application/json` (a page's cross-site `text/plain` POST needs no preflight).
    static func refusal(_ request: HTTPRequest) -> HTTPResponse? {
        guard let host = request.headers["host"], Loopback.isHost(host) else {
            return refuse(403, "the /_test routes answer only a loopback Host (localhost, 127.0.0.1, [::1])")
        }
        if let origin = request.headers["origin"], !Loopback.isOrigin(origin) {
            return refuse(403, "the /_test routes refuse cross-origin requests")
        }
        let contentType = request.headers["content-type"]
        if contentType != nil || !request.body.isEmpty {
            let mediaType = (contentType ?? "").split(separator: ";").first.map { $0.trimmingWhitespace().lowercased() }
            guard mediaType == "application/json" else { return refuse(415, "the /_test routes take Content-Type: application/json bodies") }
        }
        return nil
    }

    private static func refuse(_ status: Int, _ message: String) -> HTTPResponse {
        .json(["error": "test_hook_refused", "message": .string(message)], status: status)
    }

    func introspect(_ request: HTTPRequest) throws -> HTTPResponse {
        guard let idpUserID = request.query["idp_user_id"], !idpUserID.isEmpty else {
            throw AppFailure.badRequest("idp_user_id is required")
        }
        return .json(database.withLock { $0.introspect(idpUserID: idpUserID) })
    }

    func armFault(_ request: HTTPRequest) throws -> HTTPResponse {
        let body: JSONValue
        do {
            body = try request.json()
        } catch {
            throw AppFailure.badRequest("the body is not JSON: \(error)")
        }
        guard let name = body["point"]?.stringValue, let point = FaultPoint(rawValue: name) else {
            throw AppFailure.badRequest("point must be one of \(FaultPoint.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        var times: Int?
        if let value = body["times"], value != .null {
            guard let count = value.intValue, count >= 1, count <= 1_000_000 else {
                throw AppFailure.badRequest("times must be a positive integer (omit it to fail until cleared)")
            }
            times = Int(count)
        }
        database.withLock { $0.faults[point] = .some(times) }
        return .json(["point": .string(point.rawValue), "times": times.map { .int(Int64($0)) } ?? .null], status: 201)
    }

    func clearFaults(_ request: HTTPRequest) -> HTTPResponse {
        database.withLock { $0.faults.removeAll() }
        return .empty(status: 204)
    }

    func seed(_ request: HTTPRequest) throws -> HTTPResponse {
        let body: JSONValue
        do {
            body = try request.json()
        } catch {
            throw AppFailure.badRequest("the body is not JSON: \(error)")
        }
        guard let entries = body["organizations"]?.arrayValue else { throw AppFailure.badRequest("organizations must be an array") }
        var organizations: [AppOrganization] = []
        for (index, entry) in entries.enumerated() {
            // App org IDs are whatever the caller says: normally the IdP orgs' external_id UUIDs,
            // in adversarial runs deliberately IdP-looking strings.
            guard let id = entry["id"]?.stringValue, !id.isEmpty else {
                throw AppFailure.badRequest("organizations[\(index)].id must be a non-empty string")
            }
            if let name = entry["name"], name.stringValue == nil, name != .null {
                throw AppFailure.badRequest("organizations[\(index)].name must be a string")
            }
            organizations.append(AppOrganization(id: id, name: entry["name"]?.stringValue ?? id))
        }
        let all = database.withLock { database -> [AppOrganization] in
            for organization in organizations { database.organizations[organization.id] = organization }
            return database.organizations.values.sorted { $0.id < $1.id }
        }
        return .json(["organizations": .array(all.map { ["id": .string($0.id), "name": .string($0.name)] })])
    }

    func reset(_ request: HTTPRequest) -> HTTPResponse {
        // Everything, the JWKS cache included: the runner resets the mock's keys between
        // scenarios, and a cache carried over would judge one scenario by another's keys.
        database.withLock { $0 = Database() }
        keys.clear()
        sessions?.clear()
        return .json(["status": "reset"])
    }
}
