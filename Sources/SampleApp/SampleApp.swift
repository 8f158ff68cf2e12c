import Essentials
import HTTP
import JOSE
import JSON
import Synchronization

/// The reference app: a small backend that signs users in with a WorkOS-compatible IdP the
/// way production apps do (bearer access token → verified claims → IdP user and memberships →
/// atomic provisioning, replayable by idempotency key), plus organization-scoped credentials.
/// `--shape web` serves the same sign-in as a server-rendered app instead (WebRoutes: the code
/// flow and a cookie session); both shapes share the verifier, JWKS cache, provisioning and
/// tables, and meet the IdP only over HTTP.
///
/// Handlers are synchronous and run on the HTTP server's connection threads; shared state sits
/// behind a `Mutex`, and no lock is held across a network call.
package final class SampleApp: Sendable {
    package let configuration: SampleAppConfiguration
    /// The route table, for callers that want to serve the app themselves (or in-process).
    package let responder: RouterResponder

    private let database = DatabaseBox()
    private let directory: IdPDirectoryClient
    private let keys: JWKSCache
    private let verifier: TokenVerifier
    private let server: HTTPServer
    private let origin = AppOrigin()

    package init(configuration: SampleAppConfiguration) throws(SampleAppConfigurationError) {
        try configuration.validate()
        self.configuration = configuration
        let idp = IdPConnection(configuration: configuration)
        let directory = IdPDirectoryClient(connection: idp, jwksURL: configuration.jwksURL)
        self.directory = directory
        let forever = configuration.bug == .jwksCachedForever
        keys = JWKSCache(
            ttlMilliseconds: forever ? nil : configuration.jwksTTLMilliseconds,  // BUG (jwks-cached-forever) when nil
            cooldownMilliseconds: configuration.jwksCooldownMilliseconds,
            mergeForever: forever,
            servesStaleOnFailure: configuration.bug != .jwksOutageCrashes,  // BUG (jwks-outage-crashes) when false
            fetch: { () throws(UpstreamError) -> JSONValue in try directory.jwks() })
        verifier = TokenVerifier(
            keys: keys, issuer: configuration.issuer, leeway: configuration.leewaySeconds,
            bug: configuration.bug, clock: configuration.clock,
            fetchDocument: { url in try? directory.document(url: url) })
        // Routes are registered by a static function over the parts, not `self`, because `self`
        // is not fully initialized yet; the closures capture a `Handlers` value instead.
        let provisioner = LoginProvisioner(
            configuration: configuration, database: database, directory: directory,
            lastLogin: SharedSlot())
        var router = Router()
        router.get("/health") { _ in .json(["status": "ok"]) }
        var sessions: WebSessionStore?
        switch configuration.shape {
        case .api:
            let handlers = Handlers(configuration: configuration, database: database, verifier: verifier, provisioner: provisioner)
            router.post("/v1/auth/web/callback") { try handlers.callback($0) }
            router.get("/v1/organizations/{org_id}/credentials") { try handlers.listCredentials($0) }
            router.post("/v1/organizations/{org_id}/credentials") { try handlers.createCredential($0) }
            router.delete("/v1/organizations/{org_id}/credentials/{credential_id}") { try handlers.deleteCredential($0) }
        case .web:
            let store = WebSessionStore(capacity: 10_000)
            sessions = store
            WebRoutes(
                configuration: configuration, database: database, keys: keys, verifier: verifier, provisioner: provisioner,
                sessions: store, origin: origin, idp: idp
            ).register(into: &router)
        }
        if configuration.testMode {
            TestHooks(database: database, keys: keys, sessions: sessions).register(into: &router)
        }
        responder = router.freeze()
        server = HTTPServer(responder: responder)
        // A configured origin holds from the start, so an in-process responder (never bound)
        // names the same redirect URI as a started app.
        if let publicBaseURL = configuration.publicBaseURL { origin.set(publicBaseURL) }
    }

    /// Binds and serves; returns the bound port (0 picks a free one).
    @discardableResult
    package func start(host: String = "127.0.0.1", port: UInt16 = 0) throws(HTTPServerError) -> UInt16 {
        // The web shape's redirect URI names the app itself; with port 0 only the bind tells it,
        // and it must hold before the first request (a login right after the health check).
        let reachable = ["0.0.0.0", "::", ""].contains(host) ? "127.0.0.1" : host
        return try server.start(host: host, port: port) { [origin, configuration] bound in
            origin.set(configuration.publicBaseURL ?? "http://\(reachable.contains(":") ? "[\(reachable)]" : reachable):\(bound)")
        }
    }

    package func stop() { server.stop() }

    /// How many times the JWKS was fetched (for tests and diagnostics).
    package var jwksFetchCount: Int { keys.fetchCount }
}

/// The app's tables behind one lock. A class because `Mutex` cannot be copied into the
/// handler value the routes capture.
final class DatabaseBox: Sendable {
    private let mutex = Mutex(Database())

    func withLock<T, Failure: Error>(_ body: (inout Database) throws(Failure) -> T) throws(Failure) -> T {
        try mutex.withLock { (database) throws(Failure) -> T in try body(&database) }
    }
}

/// One stored answer shared by every request (the response-from-shared-variable bug).
final class SharedSlot: Sendable {
    private let mutex = Mutex<StoredResponse?>(nil)

    func withLock<T>(_ body: (inout StoredResponse?) -> T) -> T { mutex.withLock { body(&$0) } }
}

/// The API shape's route handlers, as a value the route closures can capture.
private struct Handlers: Sendable {
    let configuration: SampleAppConfiguration
    let database: DatabaseBox
    let verifier: TokenVerifier
    let provisioner: LoginProvisioner

    var bug: SeededBug? { configuration.bug }

    // MARK: - Callback

    func callback(_ request: HTTPRequest) throws -> HTTPResponse {
        guard let token = request.bearerToken else { throw AppFailure.invalidToken("missing bearer token") }
        let verified = try verifier.verify(token)
        switch provisioner.login(verified) {
        case .answered(let stored): return Self.respond(stored)
        case .refused(let reason): throw AppFailure.invalidToken(reason)
        case .upstream(let error): throw error
        case .failed: throw AppFailure(status: 503, "provisioning_failed")
        case .inconsistent: throw AppFailure(status: 500, "inconsistent_state")
        }
    }

    // MARK: - Organization credentials

    private enum Access {
        case read
        case write
    }

    /// Returns when the verified caller's role in the organization allows `access`; throws the refusal.
    private func authorize(_ request: HTTPRequest, _ access: Access, organizationID: String) throws {
        guard let token = request.bearerToken else { throw AppFailure.invalidToken("missing bearer token") }
        let verified = try verifier.verify(token)
        let bug = self.bug
        try database.withLock { database throws(AppFailure) in
            guard let user = database.user(idpUserID: verified.subject) else {
                throw .forbidden("user not provisioned; sign in first")
            }
            // Non-members learn nothing about the organization: 404, as if it did not exist.
            guard database.organizations[organizationID] != nil,
                let membership = database.memberships.first(where: { $0.userID == user.id && $0.organizationID == organizationID })
            else {
                throw .notFound
            }
            // The role comes from the app's membership rows (synced from the IdP at login), never
            // from the token's `role` claim.
            if access == .write, bug != .memberWritesOrgCredentials, !["owner", "admin"].contains(membership.role) {
                throw .forbidden("role '\(membership.role)' cannot change credentials")
            }
            // BUG (member-writes-org-credentials): with the bug, membership alone was enough.
        }
    }

    func listCredentials(_ request: HTTPRequest) throws -> HTTPResponse {
        let organizationID = try request.pathParameters.require("org_id")
        try authorize(request, .read, organizationID: organizationID)
        let rows = database.withLock { $0.credentials.filter { $0.organizationID == organizationID } }
        return .json([
            "data": .array(
                rows.map { credential in
                    [
                        "id": .string(credential.id), "name": .string(credential.name),
                        "created_at": .string(WallClock.iso8601(milliseconds: credential.createdAt)),
                    ]
                })
        ])
    }

    func createCredential(_ request: HTTPRequest) throws -> HTTPResponse {
        let organizationID = try request.pathParameters.require("org_id")
        try authorize(request, .write, organizationID: organizationID)
        let body: JSONValue
        do {
            body = request.body.isEmpty ? [:] : try request.json()
        } catch {
            throw AppFailure.badRequest("the body is not JSON: \(error)")
        }
        guard let name = body["name"]?.nonBlankString else { throw AppFailure.badRequest("name must be a non-empty string") }
        let credential = OrganizationCredential(
            id: Identifiers.uuid(), organizationID: organizationID,
            name: name, secret: Identifiers.secret(prefix: "oc_"), createdAt: configuration.clock())
        database.withLock { $0.credentials.append(credential) }
        return .json(["id": .string(credential.id), "name": .string(credential.name), "secret": .string(credential.secret)], status: 201)
    }

    func deleteCredential(_ request: HTTPRequest) throws -> HTTPResponse {
        let organizationID = try request.pathParameters.require("org_id")
        let credentialID = try request.pathParameters.require("credential_id")
        try authorize(request, .write, organizationID: organizationID)
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

    // MARK: - Responses

    static func respond(_ stored: StoredResponse) -> HTTPResponse {
        HTTPResponse(status: stored.status, headers: ["Content-Type": "application/json"], body: stored.body)
    }
}
