import IdP
import JSON

/// A second issuer beside the mock: a MockIdP of its own on another loopback port, with keys
/// it generated, its own JWKS and discovery document, torn down with the run. It stands for
/// any other IdP (or tenant) whose tokens an app must never take for the mock's: it signs
/// tokens for the mock's users' `sub` and `email`, which a correct app refuses.
final class AttackerIdP: Sendable {
    let idp: MockIdP
    private let server: IdPServer

    /// `seed`: the run's; the attacker's keys come from a seed of their own so they never equal
    /// a key the mock generates.
    init(seed: UInt64?) throws {
        var configuration = IdPConfiguration()
        configuration.keysDirectory = "generate"
        configuration.seed = seed.map { $0 ^ 0xA77A_C4E5_1D9B_0001 }
        idp = try MockIdP(configuration: configuration)
        server = IdPServer(idp: idp)
        try server.start(host: "127.0.0.1", port: 0)
    }

    var issuer: String { idp.issuer }
    var baseURL: String { idp.baseURL }

    /// A token this issuer signs for `victim` of the mock: the victim's `sub` and `email` over
    /// one of the attacker's own users (so the rest is a token this IdP really issues), then the
    /// scenario's own claims and header on top (`iss` set to the mock's, say).
    func mint(_ request: TokenRequest, victim: User) throws(IdPError) -> MintedToken {
        guard let own = idp.directory.users.values.min(by: { $0.id < $1.id }) else {
            throw .invalidRequest(code: "attacker_without_users", message: "the attacker IdP has no user to sign for")
        }
        var forged = request
        forged.user = own.id
        forged.organization = nil
        var claims: JSONObject = ["sub": .string(victim.id), "email": .string(victim.email)]
        for member in request.claims { claims[member.key] = member.value }
        forged.claims = claims
        return try idp.mintToken(forged)
    }

    func stop() { server.stop() }
}

/// The listeners a run owns beside the mock; each may have failed to start, which makes the
/// scenarios that need it a harness error, never a failure.
struct SideServers: Sendable {
    var attacker: Result<AttackerIdP, StartProblem>?
    var canary: Result<Canary, StartProblem>?

    struct StartProblem: Error, Sendable {
        let message: String
    }

    func attackerIdP() throws -> AttackerIdP {
        switch attacker {
        case .success(let running): return running
        case .failure(let problem): throw ScenarioStop.harness("the attacker IdP could not start: \(problem.message)")
        case nil: throw ScenarioStop.harness("no attacker IdP in this run (the runner starts one with the mock)")
        }
    }

    func canaryListener() throws -> Canary {
        switch canary {
        case .success(let running): return running
        case .failure(let problem): throw ScenarioStop.harness("the canary listener could not start: \(problem.message)")
        case nil: throw ScenarioStop.harness("no canary listener in this run (the runner starts one with the mock)")
        }
    }

    func stop() {
        if case .success(let running) = attacker { running.stop() }
        if case .success(let running) = canary { running.stop() }
    }
}
