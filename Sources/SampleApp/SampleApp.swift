#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import HTTP
import JOSE
import JSON
import Synchronization
import Essentials

/// The reference app: a small backend that signs users in with a WorkOS-compatible IdP the
/// way production apps do (bearer access token → verified claims → IdP user and memberships →
/// atomic provisioning, replayable by idempotency key), plus organization-scoped credentials.
///
/// Handlers are synchronous and run on the HTTP server's connection threads; shared state sits
/// behind a `Mutex`, and no lock is held across a network call.
public final class SampleApp: Sendable {
    public let configuration: SampleAppConfiguration
    /// The route table, for callers that want to serve the app themselves (or in-process).
    public let responder: RouterResponder

    private let database = DatabaseBox()
    private let directory: IdPDirectoryClient
    private let keys: JWKSCache
    private let verifier: TokenVerifier
    private let server: HTTPServer

    public init(configuration: SampleAppConfiguration) throws(SampleAppConfigurationError) {
        try configuration.validate()
        self.configuration = configuration
        let directory = IdPDirectoryClient(configuration: configuration)
        self.directory = directory
        let forever = configuration.bug == .jwksCachedForever
        keys = JWKSCache(
            ttlMilliseconds: forever ? nil : configuration.jwksTTLMilliseconds,  // BUG (jwks-cached-forever) when nil
            cooldownMilliseconds: configuration.jwksCooldownMilliseconds,
            mergeForever: forever,
            fetch: { () throws(UpstreamError) -> JSONValue in try directory.jwks() })
        verifier = TokenVerifier(keys: keys, issuer: configuration.issuer, leeway: configuration.leewaySeconds,
                                 bug: configuration.bug, clock: configuration.clock)
        // Routes are registered by a static function over the parts, not `self`, because `self`
        // is not fully initialized yet; the closures capture a `Handlers` value instead.
        let handlers = Handlers(configuration: configuration, database: database, directory: directory, verifier: verifier, keys: keys,
                                lastLogin: SharedSlot())
        var router = Router()
        router.get("/health") { _ in .json(["status": "ok"]) }
        router.post("/v1/auth/web/callback") { try handlers.callback($0) }
        router.get("/v1/organizations/{org_id}/credentials") { try handlers.listCredentials($0) }
        router.post("/v1/organizations/{org_id}/credentials") { try handlers.createCredential($0) }
        router.delete("/v1/organizations/{org_id}/credentials/{credential_id}") { try handlers.deleteCredential($0) }
        if configuration.testMode {
            router.get("/_test/introspect") { try handlers.introspect($0) }
            router.post("/_test/faults") { try handlers.armFault($0) }
            router.delete("/_test/faults") { handlers.clearFaults($0) }
            router.post("/_test/seed") { try handlers.seed($0) }
            router.post("/_test/reset") { handlers.reset($0) }
        }
        responder = router.freeze()
        server = HTTPServer(responder: responder)
    }

    /// Binds and serves; returns the bound port (0 picks a free one).
    @discardableResult
    public func start(host: String = "127.0.0.1", port: UInt16 = 0) throws(HTTPServerError) -> UInt16 {
        try server.start(host: host, port: port)
    }

    public func stop() { server.stop() }

    /// How many times the JWKS was fetched (for tests and diagnostics).
    public var jwksFetchCount: Int { keys.fetchCount }
}

/// The app's tables behind one lock. A class because `Mutex` cannot be copied into the
/// handler value the routes capture.
final class DatabaseBox: Sendable {
    private let mutex = Mutex(Database())

    func withLock<T>(_ body: (inout Database) -> T) -> T {
        mutex.withLock { body(&$0) }
    }
}

/// One stored answer shared by every request (the response-from-shared-variable bug).
final class SharedSlot: Sendable {
    private let mutex = Mutex<StoredResponse?>(nil)

    func withLock<T>(_ body: (inout StoredResponse?) -> T) -> T { mutex.withLock { body(&$0) } }
}

/// The route handlers, as a value the route closures can capture.
private struct Handlers: Sendable {
    let configuration: SampleAppConfiguration
    let database: DatabaseBox
    let directory: IdPDirectoryClient
    let verifier: TokenVerifier
    let keys: JWKSCache
    /// Only used by the response-from-shared-variable bug.
    let lastLogin: SharedSlot

    var bug: SeededBug? { configuration.bug }

    // MARK: - Callback

    func callback(_ request: HTTPRequest) throws -> HTTPResponse {
        guard let token = request.bearerToken else { throw AppFailure.invalidToken("missing bearer token") }
        let verified = try verifier.verify(token)
        let claims = verified.claims
        let subject = verified.subject

        // Step 2: a login needs a token or session ID to be idempotent on.
        let idempotencyKey: String
        switch callbackKey(claims: claims, subject: subject, issuer: verified.issuer ?? "") {
        case .some(let key): idempotencyKey = key
        case .none: throw AppFailure.invalidToken("missing token_id or session_id")
        }
        // BUG (unused-idempotency-key): computed above, then ignored.
        let usedKey: String? = bug == .unusedIdempotencyKey ? nil : idempotencyKey

        // Step 3: a replay answers exactly what the first call answered.
        if let usedKey, let stored = database.withLock({ $0.idempotency[usedKey] }) { return Self.respond(stored) }

        // Step 4: identity, keyed by sub.
        let claimedEmail = claims[configuration.emailClaim]?.nonBlankString
        let email: String?
        if let claimedEmail {
            email = claimedEmail
        } else {
            guard let user = try directory.user(id: subject) else { throw AppFailure.invalidToken("unknown_user") }
            // The IdP's answer must be about the token's subject, or nothing can be trusted.
            guard user.id == subject else { throw AppFailure.invalidToken("user_id_mismatch") }
            email = user.email
        }

        // Step 5: memberships, mapped to app organizations through external_id.
        var candidates: [MembershipCandidate] = []
        for membership in try directory.activeMemberships(userID: subject) {
            let appOrganizationID: String?
            if bug == .idSpaceConfusion {
                // BUG (id-space-confusion): an IdP org ID is looked up among app org IDs.
                appOrganizationID = membership.organizationID
            } else {
                appOrganizationID = try directory.organizationExternalID(id: membership.organizationID)
            }
            if bug == .appIDSentToIdP, let appOrganizationID {
                // BUG (app-id-sent-to-idp): "refresh" the name by the app's own org ID; the
                // IdP answers 404 for an ID that is not its own, and the result is ignored.
                _ = try? directory.organizationExternalID(id: appOrganizationID)
            }
            candidates.append(MembershipCandidate(appOrganizationID: appOrganizationID, idpOrganizationID: membership.organizationID,
                                                  role: membership.role))
        }

        // Steps 6 and 7: provision and answer.
        let input = LoginInput(idpUserID: subject, email: email, memberships: candidates, idempotencyKey: usedKey,
                               now: configuration.clock(),
                               resolveByEmail: bug == .emailClaimSkipsMismatch ? claimedEmail : nil)
        return try provision(input)
    }

    /// The idempotency key, or nil when the token has no usable jti or sid.
    private func callbackKey(claims: JSONObject, subject: String, issuer: String) -> String? {
        if bug == .emptySidJtiAccepted {
            // BUG (empty-sid-jti-accepted): `typeof x === "string"` presence, truthiness for the
            // key, and a fallback key shared by every user ("workos-session:undefined").
            let jti = claims["jti"], sid = claims["sid"]
            guard jti?.stringValue != nil || sid?.stringValue != nil else { return nil }
            if let value = jti?.stringValue, !value.isEmpty { return Identifiers.digest(fields: [issuer, subject, "jti", value]) }
            return "workos-session:" + Self.javaScriptString(sid)
        }
        // Blank strings and non-strings are missing; "undefined" or "null" are ordinary IDs.
        if let jti = claims["jti"], jti.nonBlankString != nil, let value = jti.stringValue {
            return Identifiers.digest(fields: [issuer, subject, "jti", value])
        }
        if let sid = claims["sid"], sid.nonBlankString != nil, let value = sid.stringValue {
            return Identifiers.digest(fields: [issuer, subject, "sid", value])
        }
        return nil
    }

    /// How a JavaScript template literal prints a claim value (for the empty-sid-jti bug).
    private static func javaScriptString(_ value: JSONValue?) -> String {
        switch value {
        case nil: return "undefined"
        case .string(let text)?: return text
        case .null?: return "null"
        case .array?: return ""  // close enough: only the shared-key behaviour matters
        case .object?: return "[object Object]"
        case let other?: return other.serializedString()
        }
    }

    private func provision(_ input: LoginInput) throws -> HTTPResponse {
        if bug == .concurrentDuplicateProvisioning {
            // BUG (concurrent-duplicate-provisioning): check, release the lock, then insert without
            // checking again. The pause widens the window the way an async DB round trip would;
            // 25 ms keeps the race reliable even when the callbacks' arrival is spread by a busy
            // machine (5 ms was not enough under a parallel test run).
            let existing = database.withLock { database -> (replay: StoredResponse?, exists: Bool) in
                if let key = input.idempotencyKey, let stored = database.idempotency[key] { return (stored, true) }
                return (nil, database.userIndex(for: input) != nil)
            }
            if let replay = existing.replay { return Self.respond(replay) }
            if !existing.exists {
                sched_yield()
                usleep(25_000)
                let result = database.withLock { $0.firstLogin(input, halfProvisioned: false) }
                return Self.respond(try result.get())
            }
        }
        var sawNoAccount = false
        if bug == .secretResentToRacers {
            // BUG (secret-resent-to-racers): "first login?" is read outside the critical section;
            // the pause stands in for the IdP round trips that separate the two in the original.
            sawNoAccount = database.withLock { $0.userIndex(for: input) == nil }
            usleep(25_000)
        }
        let result = database.withLock { database -> Result<StoredResponse, ProvisioningFailure>? in
            // Inside one critical section: the replay check, the uniqueness check and every
            // insert, so concurrent first logins of one user create exactly one of each.
            if let key = input.idempotencyKey, let stored = database.idempotency[key] { return .success(stored) }
            if let index = database.userIndex(for: input) {
                return database.existingLogin(userIndex: index, input, revealKey: sawNoAccount).map { .success($0) }
            }
            return database.firstLogin(input, halfProvisioned: bug == .halfProvisionedMember)
        }
        guard let result else {
            // A user row without workspace or member cannot be produced by this code; say so.
            throw AppFailure(status: 500, "inconsistent_state")
        }
        if bug == .responseFromSharedVariable, case .success(let stored) = result {
            // BUG (response-from-shared-variable): written here, read back after a pause in
            // which another login may have written its own answer. The pause stands in for the
            // async work (audit log, analytics) between the two in the original.
            lastLogin.withLock { $0 = stored }
            usleep(25_000)
            return Self.respond(lastLogin.withLock { $0 } ?? stored)
        }
        return Self.respond(try result.get())
    }

    // MARK: - Organization credentials

    private enum Access {
        case read
        case write
    }

    /// The verified caller's app user ID, or the refusal (thrown) when it may not have `access`
    /// to the organization.
    @discardableResult
    private func authorize(_ request: HTTPRequest, _ access: Access) throws -> String {
        guard let token = request.bearerToken else { throw AppFailure.invalidToken("missing bearer token") }
        let verified = try verifier.verify(token)
        let organizationID = try request.pathParameters.require("org_id")
        let bug = self.bug
        return try database.withLock { database -> Result<String, AppFailure> in
            guard let user = database.users.first(where: { $0.idpUserID == verified.subject }) else {
                return .failure(.forbidden("user not provisioned; sign in first"))
            }
            // Non-members learn nothing about the organization: 404, as if it did not exist.
            guard database.organizations[organizationID] != nil,
                let membership = database.memberships.first(where: { $0.userID == user.id && $0.organizationID == organizationID })
            else {
                return .failure(.notFound)
            }
            // The role comes from the app's membership rows (synced from the IdP at login), never
            // from the token's `role` claim.
            if access == .write, bug != .memberWritesOrgCredentials, !["owner", "admin"].contains(membership.role) {
                return .failure(.forbidden("role '\(membership.role)' cannot change credentials"))
            }
            // BUG (member-writes-org-credentials): with the bug, membership alone was enough.
            return .success(user.id)
        }.get()
    }

    func listCredentials(_ request: HTTPRequest) throws -> HTTPResponse {
        try authorize(request, .read)
        let organizationID = try request.pathParameters.require("org_id")
        let rows = database.withLock { $0.credentials.filter { $0.organizationID == organizationID } }
        return .json(["data": .array(rows.map { credential in
            ["id": .string(credential.id), "name": .string(credential.name),
             "created_at": .string(WallClock.iso8601(milliseconds: credential.createdAt))]
        })])
    }

    func createCredential(_ request: HTTPRequest) throws -> HTTPResponse {
        try authorize(request, .write)
        let body: JSONValue = try request.body.isEmpty ? [:] : Self.jsonBody(request)
        guard let name = body["name"]?.nonBlankString else { throw AppFailure.badRequest("name must be a non-empty string") }
        let credential = OrganizationCredential(id: Identifiers.uuid(), organizationID: try request.pathParameters.require("org_id"),
                                                name: name, secret: Identifiers.secret(prefix: "oc_"), createdAt: configuration.clock())
        database.withLock { $0.credentials.append(credential) }
        return .json(["id": .string(credential.id), "name": .string(credential.name), "secret": .string(credential.secret)], status: 201)
    }

    func deleteCredential(_ request: HTTPRequest) throws -> HTTPResponse {
        try authorize(request, .write)
        let organizationID = try request.pathParameters.require("org_id")
        let credentialID = try request.pathParameters.require("credential_id")
        let removed = database.withLock { database -> Bool in
            guard let index = database.credentials.firstIndex(where: { $0.id == credentialID && $0.organizationID == organizationID }) else {
                return false
            }
            database.credentials.remove(at: index)
            return true
        }
        guard removed else { throw AppFailure.notFound }
        return .empty(status: 204)
    }

    // MARK: - Test mode

    func introspect(_ request: HTTPRequest) throws -> HTTPResponse {
        guard let idpUserID = request.query["idp_user_id"], !idpUserID.isEmpty else {
            throw AppFailure.badRequest("idp_user_id is required")
        }
        return .json(database.withLock { $0.introspect(idpUserID: idpUserID) })
    }

    func armFault(_ request: HTTPRequest) throws -> HTTPResponse {
        let body = try Self.jsonBody(request)
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
        let body = try Self.jsonBody(request)
        guard let entries = body["organizations"]?.arrayValue else { throw AppFailure.badRequest("organizations must be an array") }
        var organizations: [AppOrganization] = []
        for (index, entry) in entries.enumerated() {
            // App org IDs are whatever the caller says: normally the IdP orgs' external_id UUIDs,
            // in adversarial runs deliberately IdP-looking strings.
            guard let id = entry["id"]?.stringValue, !id.isEmpty else { throw AppFailure.badRequest("organizations[\(index)].id must be a non-empty string") }
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
        return .json(["status": "reset"])
    }

    // MARK: - Responses

    static func respond(_ stored: StoredResponse) -> HTTPResponse {
        HTTPResponse(status: stored.status, headers: ["Content-Type": "application/json"], body: stored.body)
    }

    static func jsonBody(_ request: HTTPRequest) throws(AppFailure) -> JSONValue {
        do {
            return try request.json()
        } catch {
            throw .badRequest("the body is not JSON: \(error)")
        }
    }
}
