import Essentials
import FoundationEssentials
import Glibc
import JOSE
import JSON
import Synchronization

/// Why the mock could not start, with what to change.
package enum StartupError: Error, Sendable, CustomStringConvertible {
    case fixtures(FixtureError)
    case keys(String)

    package var description: String {
        switch self {
        case .fixtures(let error): return "fixtures: \(error.description)"
        case .keys(let message): return "keys: \(message)"
        }
    }
}

/// The one in-process handle on the mock IdP. The HTTP routes (WorkOS surface and `/_mock`)
/// and the conformance runner both call it, so there is exactly one implementation of each
/// behaviour.
package final class MockIdP: Sendable {
    package let configuration: IdPConfiguration
    package let ids: IDGenerator
    package let clock: MockClock
    package let journal: Journal
    package let faults = FaultInjector()
    package let keys: KeyRing
    /// Judges the authorize requests apps send (journal flags); kept across resets.
    package let authorizeHygiene = AuthorizeHygiene()

    struct State {
        var directory: Directory
        /// What `reset()` returns to: the fixtures in the current ID-space mode.
        var initialDirectory: Directory
        var idSpaces: IDSpaceMode
        var template: JWTTemplate?
        var baseURL = "http://127.0.0.1"
        var flows = AuthFlowState()
    }

    let state: Mutex<State>
    /// The fixtures as read, before an ID-space mode was applied, so the mode can change.
    private let fixtures: (raw: Directory, file: String)
    /// The fixtures with each mode applied, made once: the runner resets before every scenario,
    /// and the disjointness check walks every ID.
    private let applied = Mutex<[IDSpaceMode: Directory]>([:])
    let minterLifetime: Int64

    package init(configuration: IdPConfiguration = IdPConfiguration()) throws(StartupError) {
        self.configuration = configuration
        ids = IDGenerator(seed: configuration.seed)
        clock = MockClock()
        journal = Journal(byteBudget: configuration.journalBytes)
        let loader = FixtureLoader(ids: ids, clock: clock, mode: configuration.idSpaces)
        let raw: Directory
        let directory: Directory
        let file = configuration.fixturesFile ?? "(embedded) \(DefaultFixtures.fileName)"
        do {
            let bytes: [UInt8]
            if let path = configuration.fixturesFile {
                guard let data = FileManager.default.contents(atPath: path) else {
                    throw FixtureError(file: path, path: "", message: "cannot read the file")
                }
                bytes = Array(data)
            } else {
                bytes = Array(DefaultFixtures.json.utf8)
            }
            raw = try loader.loadUnchecked(bytes: bytes, file: file)
            directory = try FixtureLoader.apply(configuration.idSpaces, to: raw, file: file)
        } catch let error as FixtureError {
            throw .fixtures(error)
        } catch {
            throw .fixtures(FixtureError(file: file, path: "", message: "\(error)"))
        }
        fixtures = (raw: raw, file: file)
        state = Mutex(State(directory: directory, initialDirectory: directory, idSpaces: configuration.idSpaces))
        minterLifetime = configuration.tokenLifetime
        do {
            let factory = KeyFactory(seed: configuration.seed, prefetch: configuration.prefetchKeys)
            keys = try KeyRing(keys: try Self.loadKeys(configuration, factory: factory, ids: ids), ids: ids, factory: factory)
            if configuration.prefetchKeys { factory.warm(configuration.signingAlgorithm) }
        } catch let error as StartupError {
            throw error
        } catch {
            throw .keys("\(error)")
        }
    }

    static func loadKeys(_ configuration: IdPConfiguration, factory: KeyFactory, ids: IDGenerator) throws -> [SigningKey] {
        let wanted = configuration.signingAlgorithm
        var pems: [(kid: String, pem: String)] = []
        switch configuration.keysDirectory {
        case nil:
            pems = DefaultKeys.pems.filter { $0.algorithm == wanted }.map { (kid: $0.kid, pem: $0.pem) }
        case "generate":
            return [try KeyRing.signingKey(factory.make(wanted), kid: ids.id(.keyPair))]
        case let folder?:
            let names: [String]
            do {
                names = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".pem") }.sorted()
            } catch {
                throw StartupError.keys("cannot read the folder \(folder): \(FileErrorText.reading(folder, error))")
            }
            for name in names {
                let path = folder.hasSuffix("/") ? folder + name : folder + "/" + name
                guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                    throw StartupError.keys("cannot read \(path)")
                }
                pems.append((kid: String(name.dropLast(4)), pem: text))
            }
        }
        var keys: [SigningKey] = []
        for entry in pems {
            let privateKey: PrivateKey
            do {
                privateKey = try PrivateKey(pem: entry.pem)
            } catch {
                throw StartupError.keys("\(entry.kid).pem: \(error)")
            }
            guard privateKey.algorithm == wanted else { continue }
            keys.append(try SigningKey(privateKey: privateKey, kid: entry.kid))
        }
        if keys.isEmpty {
            if configuration.keysDirectory == nil || configuration.keysDirectory == "generate" {
                return [try KeyRing.signingKey(factory.make(wanted), kid: ids.id(.keyPair))]
            }
            throw StartupError.keys(
                "no \(wanted.rawValue) key in \(configuration.keysDirectory ?? "the embedded keys"); add a PEM or use --keys generate")
        }
        return keys
    }

    // MARK: - Addresses

    /// Set once the server knows its port; the issuer and discovery document follow it.
    package func setBaseURL(_ url: String) { state.withLock { $0.baseURL = url } }

    package var baseURL: String { state.withLock { $0.baseURL } }

    package var issuer: String {
        switch configuration.issuer {
        case .mockBaseURL: return baseURL
        case .workos: return "https://api.workos.com"
        case .workosClient: return "https://api.workos.com/user_management/\(configuration.clientID)"
        case .custom(let value): return value
        }
    }

    package var jwksURL: String { "\(baseURL)/sso/jwks/\(configuration.clientID)" }

    /// What a WorkOS SDK needs to talk to this mock, as environment variables.
    package func sdkEnvironment() -> [(name: String, value: String)] {
        let base = baseURL
        let hostAndPort = base.split(separator: "/").last.map(String.init) ?? ""
        let port = hostAndPort.split(separator: ":").last.map(String.init) ?? ""
        let host =
            hostAndPort.hasPrefix("[") ? String(hostAndPort.prefix { $0 != "]" }.dropFirst()) : String(hostAndPort.split(separator: ":").first ?? "")
        return [
            ("WORKOS_BASE_URL", base + "/"),
            ("WORKOS_API_HOSTNAME", host),
            ("WORKOS_API_PORT", port),
            ("WORKOS_API_HTTPS", "false"),
            ("WORKOS_CLIENT_ID", configuration.clientID),
            ("WORKOS_API_KEY", configuration.apiKey),
            ("WORKOS_ISSUER", issuer),
            ("WORKOS_JWKS_URL", jwksURL),
        ]
    }

    // MARK: - Directory

    package var directory: Directory { state.withLock { $0.directory } }

    /// Changes the directory atomically: the body sees and edits one consistent copy.
    package func update<T>(_ body: (inout Directory) throws(IdPError) -> T) throws(IdPError) -> T {
        try state.withLock { (state) throws(IdPError) -> T in try body(&state.directory) }
    }

    /// Back to the fixtures as loaded: directory, template, codes, sessions, keys, journal, faults, clock.
    package func reset() {
        keys.restoreInitialKeys()
        state.withLock { state in
            state.directory = state.initialDirectory
            state.template = nil
            state.flows = AuthFlowState()
        }
        journal.clear()
        faults.clear()
        clock.setOffset(0)
    }

    package var idSpaces: IDSpaceMode { state.withLock { $0.idSpaces } }

    /// Resets to the fixtures arranged for `mode` (strict or adversarial). Scenarios use this to
    /// run some cases against adversarial fixtures without restarting the mock.
    package func reset(idSpaces mode: IDSpaceMode) throws(FixtureError) {
        let directory: Directory
        if let known = applied.withLock({ $0[mode] }) {
            directory = known
        } else {
            directory = try FixtureLoader.apply(mode, to: fixtures.raw, file: fixtures.file)
            applied.withLock { $0[mode] = directory }
        }
        state.withLock { state in
            state.initialDirectory = directory
            state.idSpaces = mode
        }
        reset()
    }

    package var jwtTemplate: JWTTemplate? { state.withLock { $0.template } }

    package func setJWTTemplate(_ content: String) throws(IdPError) -> JWTTemplate {
        let template = try JWTTemplate(content: content, updatedAt: clock.nowMillis())
        state.withLock { $0.template = template }
        return template
    }

    // MARK: - Tokens

    var minter: TokenMinter { TokenMinter(issuer: issuer, lifetime: minterLifetime, ids: ids) }

    /// Mints an access token for a fixture user, creating the session its `sid` names, then
    /// applies the request's overrides and forgery. The control API and the runner call this.
    package func mintToken(_ request: TokenRequest) throws(IdPError) -> MintedToken {
        let now = clock.now()
        let (user, membership, organization, role, session, template) = try state.withLock { (state) throws(IdPError) in
            // Read through `state.directory` without binding a copy: a live copy would make the
            // session insert below copy the whole sessions table on every mint.
            guard let user = state.directory.resolveUser(request.user) else { throw IdPError.notFound(entity: "User", id: request.user) }
            var membership: Membership?
            var organization: Organization?
            if let reference = request.organization {
                guard let found = state.directory.resolveOrganization(reference) else {
                    throw IdPError.notFound(entity: "Organization", id: reference)
                }
                organization = found
                // A user outside the org still gets a token scoped to it (role member): scenarios
                // forge cross-tenant tokens this way.
                membership =
                    state.directory.membership(userID: user.id, organizationID: found.id)
                    ?? Membership(id: "", userID: user.id, organizationID: found.id, roleSlugs: ["member"], createdAt: 0, updatedAt: 0)
            }
            let role = membership.flatMap { state.directory.role($0.primaryRole) }
            let session = Session(
                id: ids.id(.session), userID: user.id, organizationID: organization?.id,
                impersonatorEmail: request.impersonatorEmail, createdAt: now * 1000, updatedAt: now * 1000,
                expiresAt: (now + 86_400) * 1000)
            state.directory.insertSession(session)
            return (user, membership, organization, role, session, state.template)
        }
        let templateClaims = try template?.render(context: templateContext(user: user, organization: organization, membership: membership)) ?? [:]
        let claims = minter.claims(
            user: user, membership: membership, organization: organization, role: role,
            sessionID: session.id, now: now, template: templateClaims, impersonator: request.impersonatorEmail)
        return try minter.sign(claims: claims, request: request, keys: keys, now: now)
    }

    func templateContext(user: User, organization: Organization?, membership: Membership?) -> JSONValue {
        let directory = self.directory
        return [
            "user": WorkOSShape.user(user),
            "organization": organization.map(WorkOSShape.organization) ?? .null,
            "organization_membership": membership.map { WorkOSShape.membership($0, in: directory) } ?? .null,
        ]
    }
}
