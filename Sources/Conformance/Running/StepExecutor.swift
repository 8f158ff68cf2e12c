import Dispatch
import Essentials
import FoundationEssentials
import Glibc
import HTTP
import IdP
import JSON

/// Runs a scenario's steps against the in-process mock and the app.
struct StepExecutor {
    let context: ScenarioContext

    var idp: MockIdP { context.idp }
    var app: AppTarget { context.app }

    func run(_ steps: [Step]) throws {
        for step in steps {
            try run(step)
            if let overdue = context.wire.overdue { throw ScenarioStop.harness(overdue) }
        }
    }

    func run(_ step: Step) throws {
        switch step {
        case .user(let user): try bindUser(user)
        case .mint(let mint): try bindToken(mint)
        case .callback(let callback):
            context.bindings.responses[callback.name] = try LoginDriver(context: context).login(callback, step: "callback \(callback.name)")
        case .probe(let probe): try runProbe(probe)
        case .cookies(let snapshot):
            guard let browser = context.bindings.browserLogins[snapshot.token] else {
                // A token-shape login keeps no browser between steps: nothing to replay.
                if app.profile.codeFlow == nil { throw ScenarioStop.notApplicable("cookies: a token-shape login has no browser session to save") }
                throw ScenarioStop.harness("cookies \(snapshot.name): '\(snapshot.token)' has no browser login (a callback step first)")
            }
            context.bindings.cookieSnapshots[snapshot.name] = snapshot.beforeCallback ? browser.cookiesBeforeCallback : browser.jar.all
        case .logout(let name, let token):
            if app.profile.logout != nil, app.profile.codeFlow == nil {
                throw ScenarioStop.notApplicable("logout: a token-shape login has no browser session to sign out of")
            }
            context.bindings.responses[name] = try LoginDriver(context: context).logout(tokenName: token, step: "logout \(name)")
        case .revokeSession(let token): try revokeSessions(of: token)
        case .parallel(let parallel): try runParallel(parallel)
        case .request(let request):
            let token = try request.token.map { (name: String) throws -> String in try tokenText(name) }
            let body = try request.body.map { (value: JSONValue) throws -> JSONValue in try context.resolve(value) }
            context.bindings.responses[request.name] = context.wire.send(
                app.request(method: request.method, path: try context.text(request.path), token: token, body: body),
                step: "request \(request.name)", token: token)
        case .credentials(let step): try runCredentials(step)
        case .keys(let keys): try runKeys(keys)
        case .idpFault(let fault): try armIdPFault(fault)
        case .appFault(let fault): try armAppFault(fault)
        case .clock(let seconds): idp.clock.advance(seconds)
        case .wait(let seconds, let ttlPlus, let cooldownPlus, let leewayPlus):
            let total = try Self.waitSeconds(
                seconds: seconds, ttlPlus: ttlPlus, cooldownPlus: cooldownPlus, leewayPlus: leewayPlus, profile: app.profile, maxWait: context.maxWait
            )
            // A scenario-level wait for the app's declared cache TTL or leeway: the behaviour under
            // test is time.
            sleepReleasingSlot(total)
        case .waitUntilExpired(let name): try waitUntilExpired(name)
        case .mark(let name):
            context.bindings.marks[name] = idp.journal.lastSequence
            context.bindings.markTimes[name] = DispatchTime.now().uptimeNanoseconds
        case .jwtTemplate(let content):
            do { _ = try idp.setJWTTemplate(try context.text(content)) } catch { throw ScenarioStop.harness("jwt_template: \(error)") }
        case .repeatBlock(let times, let steps):
            for _ in 0..<times { try run(steps) }
        case .expect(let expectation):
            let evaluator = ExpectationEvaluator(context: context)
            if app.profile.codeFlow?.tokenRole == .idToken, let relaxed = expectation.relaxedForDirectIDToken,
                (try? evaluator.failure(of: expectation)) != nil
            {
                // The app took an id_token whose signature it did not check: allowed for one
                // received directly from the token endpoint, as long as nothing answered 5xx.
                try context.findings.record(relaxed) { try evaluator.failure(of: relaxed) }
                context.findings.note(
                    "\(expectation.step): the app accepted an id_token whose signature does not verify; allowed for one received directly from the token endpoint (OIDC Core §3.1.3.7 rule 6), a failure on a bearer access token"
                )
            } else {
                try context.findings.record(expectation) { try evaluator.failure(of: expectation) }
            }
        case .deadline(let plus):
            guard let plus else {
                context.wire.setDeadline(nil, client: nil)
                return
            }
            let timeout = try Self.declaredIdPTimeout(app.profile)
            context.wire.setDeadline(timeout + plus, client: app.client(waitingAtMost: timeout + plus))
        case .tokenOverride(let body):
            guard app.profile.codeFlow?.tokenRole == .idToken else {
                throw ScenarioStop.notApplicable("token_override forges /oauth2/token answers: the profile's callback.token_role is not id_token")
            }
            do { _ = try idp.addTokenOverride(try context.resolve(.object(body))) } catch let error as IdPError {
                throw ScenarioStop.harness("token_override: \(error)")
            }
        case .replayRefresh(let token): try replayRefresh(of: token)
        }
    }

    private func bindToken(_ mint: MintStep) throws {
        var spec = mint.request
        if let other = spec["login_user"]?.stringValue {
            // Only a code-flow login carries a user object beside the token: it shows this user.
            guard let user = context.bindings.users[other] ?? idp.directory.resolveUser(other) else {
                throw ScenarioStop.harness("mint.login_user: '\(other)' is not a bound or fixture user")
            }
            context.bindings.userObjects[mint.name] = user.id
            spec["login_user"] = nil
        }
        let (request, token) = try self.mint(spec)
        context.bindings.tokens[mint.name] = token
        context.bindings.tokenRequests[mint.name] = request
        context.bindings.foreignIssuers[mint.name] = spec["issuer"] == "attacker" ? try context.sides.attackerIdP() : nil
        // A new token is a new login: a repeat block must not replay the last one's callback.
        context.bindings.browserLogins[mint.name] = nil
    }

    private func runProbe(_ probe: ProbeStep) throws {
        let driver = LoginDriver(context: context)
        if let snapshot = probe.cookies {
            guard let cookies = context.bindings.cookieSnapshots[snapshot] else {
                throw ScenarioStop.harness("probe \(probe.name): no cookies step saved '\(snapshot)'")
            }
            context.bindings.responses[probe.name] = try driver.probe(cookies: cookies, step: "probe \(probe.name) (cookies \(snapshot))")
        } else if let token = probe.token {
            context.bindings.responses[probe.name] = try driver.probeAgain(tokenName: token, step: "probe \(probe.name)")
        }
    }

    /// The login's session is the minted token's `sid` (the id_token role keeps it through the
    /// code exchange): a refresh token of it that the app rotated away is presented again.
    private func replayRefresh(of token: String) throws {
        guard app.profile.codeFlow?.tokenRole == .idToken else {
            throw ScenarioStop.notApplicable(
                "replay_refresh replays an OpenID Connect refresh token: the profile's callback.token_role is not id_token")
        }
        let minted = try context.bindings.token(token, for: "replay_refresh")
        guard let sid = minted.sessionID ?? minted.claims["sid"]?.stringValue else {
            throw ScenarioStop.harness("replay_refresh: token '\(token)' carries no sid")
        }
        guard let answer = idp.replayRotatedRefreshToken(sessionID: sid) else {
            throw ScenarioStop.notApplicable("the app has not rotated a refresh token of this login yet (no refresh before replay_refresh)")
        }
        guard answer.error == "invalid_grant" else {
            throw ScenarioStop.harness("replay_refresh: the mock answered \(answer.error), not invalid_grant")
        }
    }

    private func revokeSessions(of token: String) throws {
        guard let subject = context.bindings.tokens[token]?.claims["sub"]?.stringValue else {
            throw ScenarioStop.harness("revoke_session: token '\(token)' has no sub whose sessions to revoke")
        }
        // The login's session is the token's sid, or one the code exchange opened for the
        // user (a token minted without sid): every active session of that user ends.
        let active = idp.directory.sessions.values.filter { $0.userID == subject && $0.status == .active }.map(\.id)
        guard !active.isEmpty else { throw ScenarioStop.harness("revoke_session: the mock holds no active session of \(subject) (sign in first)") }
        for id in active {
            do { try idp.endSession(id) } catch { throw ScenarioStop.harness("revoke_session: the mock cannot end \(id): \(error)") }
        }
    }

    private func waitUntilExpired(_ name: String) throws {
        let token = try context.bindings.token(name, for: "wait.until_expired")
        guard let exp = token.claims["exp"]?.doubleValue else {
            throw ScenarioStop.notApplicable("token '\(name)' carries no numeric exp to wait out")
        }
        let leeway = try Self.declaredLeeway(app.profile)
        // On the mock's clock, which minted exp: a scenario may have moved it.
        let remaining = exp + leeway + 1 - Double(idp.clock.nowMillis()) / 1000
        if remaining > context.maxWait {
            throw ScenarioStop.tooLong(
                "needs a \(Self.format(remaining)) s wait (token \(name)'s exp plus capabilities.leeway_seconds = "
                    + "\(Self.format(leeway)) in \(app.profile.file)), longer than --max-wait \(Self.format(context.maxWait)) s")
        }
        sleepReleasingSlot(remaining)
    }

    /// `waitSeconds` kept the wait within --max-wait; a declared TTL may well pass the 30 s a
    /// scenario's own `seconds` may ask for, and cutting it short would fail a correct app.
    static func sleepSeconds(_ total: Double) -> Double { Limits.maxWait.range.clamp(total) }

    /// Asleep, the scenario needs no job slot: other scenarios of the batch work meanwhile.
    private func sleepReleasingSlot(_ seconds: Double) {
        guard seconds > 0 else { return }
        context.jobSlots?.release()
        let slept = Self.sleepSeconds(seconds)
        usleep(useconds_t(slept * 1_000_000))
        context.waitedSeconds += slept
        context.jobSlots?.acquire()
    }

    static func declaredIdPTimeout(_ profile: TargetProfile) throws -> Double {
        guard let timeout = profile.idpTimeoutSeconds else {
            throw ScenarioStop.notApplicable(
                "the profile declares no capabilities.idp_timeout_seconds (how long the app waits for one IdP call): "
                    + "without it a slow IdP cannot be told from a hung app")
        }
        return timeout
    }

    static func declaredLeeway(_ profile: TargetProfile) throws -> Double {
        guard let leeway = profile.leewaySeconds else {
            throw ScenarioStop.notApplicable("the profile declares no capabilities.leeway_seconds (the app's clock-skew leeway; 0 if none)")
        }
        return leeway
    }

    /// How long a wait step waits; over `maxWait` it throws `WaitTooLong` naming the profile value.
    static func waitSeconds(
        seconds: Double?, ttlPlus: Double?, cooldownPlus: Double?, leewayPlus: Double? = nil, profile: TargetProfile, maxWait: Double
    ) throws -> Double {
        var total = seconds ?? 0
        var source = "the scenario's wait"
        if let ttlPlus {
            guard let ttl = profile.jwksCacheTTLSeconds else {
                throw ScenarioStop.notApplicable("the profile declares no capabilities.jwks_cache_ttl_seconds")
            }
            if ttl + ttlPlus > total {
                (total, source) = (ttl + ttlPlus, "capabilities.jwks_cache_ttl_seconds = \(Self.format(ttl)) in \(profile.file)")
            }
        }
        if let cooldownPlus {
            let cooldown = profile.jwksCooldownSeconds ?? 0
            if cooldown + cooldownPlus > total {
                (total, source) = (
                    cooldown + cooldownPlus, "capabilities.jwks_refetch_cooldown_seconds = \(Self.format(cooldown)) in \(profile.file)"
                )
            }
        }
        if let leewayPlus {
            // Past exp plus every second of clock-skew leeway the app allows, a token is expired for it.
            let leeway = try declaredLeeway(profile)
            if leeway + leewayPlus > total {
                (total, source) = (leeway + leewayPlus, "capabilities.leeway_seconds = \(Self.format(leeway)) in \(profile.file)")
            }
        }
        if total > maxWait {
            throw ScenarioStop.tooLong(
                "needs a \(Self.format(total)) s wait (\(source)), longer than --max-wait \(Self.format(maxWait)) s: raise --max-wait, or give the app a reset hook that clears its JWKS cache or restart isolation"
            )
        }
        return total
    }

    /// Before anything runs: every wait the steps will need fits in `maxWait`.
    static func checkWaits(_ steps: [Step], profile: TargetProfile, maxWait: Double) throws {
        for step in steps {
            switch step {
            case .wait(let seconds, let ttlPlus, let cooldownPlus, let leewayPlus):
                _ = try waitSeconds(
                    seconds: seconds, ttlPlus: ttlPlus, cooldownPlus: cooldownPlus, leewayPlus: leewayPlus, profile: profile, maxWait: maxWait)
            case .waitUntilExpired:
                // At least the leeway and its one-second margin, whatever the token's lifetime.
                _ = try waitSeconds(seconds: nil, ttlPlus: nil, cooldownPlus: nil, leewayPlus: 1, profile: profile, maxWait: maxWait)
            case .repeatBlock(_, let inner):
                try checkWaits(inner, profile: profile, maxWait: maxWait)
            default:
                continue
            }
        }
    }

    static func format(_ seconds: Double) -> String {
        seconds == seconds.rounded() ? String(Int(seconds)) : String(cFormat: "%.1f", seconds)
    }

    private func tokenText(_ name: String) throws -> String { try context.tokenText(name) }

    private func bindUser(_ step: UserStep) throws {
        if let fixture = step.fixture {
            guard let user = idp.directory.resolveUser(fixture) else { throw ScenarioStop.harness("user: no fixture user '\(fixture)'") }
            context.bindings.users[step.name] = user
            return
        }
        context.bindings.freshCounter += 1
        let email = "fresh-\(context.runID)-\(context.bindings.freshCounter)-\(step.name)@example.test"
        do {
            var fields = UserChanges()
            fields.firstName = "Fresh"
            fields.lastName = .some(step.name)
            fields.externalID = .some(idp.ids.uuid())
            // Lowercased as the WorkOS API stores an email (a step name may have capitals).
            let user = try idp.createUser(NewUser(email: email.lowercased(), fields: fields))
            for membership in step.memberships {
                guard let organization = idp.directory.resolveOrganization(try context.text(membership.organization)) else {
                    throw ScenarioStop.harness("user.memberships: no organization '\(membership.organization)'")
                }
                _ = try idp.createMembership(NewMembership(userID: user.id, organizationID: organization.id, roleSlugs: [membership.role]))
            }
            context.bindings.users[step.name] = user
        } catch let error as IdPError {
            throw ScenarioStop.harness("user: the mock refused: \(error)")
        }
    }

    func mint(_ spec: JSONObject) throws -> (TokenRequest, MintedToken) {
        var resolved = try context.resolve(.object(spec)).objectValue ?? [:]
        if let user = spec["user"]?.stringValue, let bound = context.bindings.users[user] { resolved["user"] = .string(bound.id) }
        if let filler = resolved["filler"] {
            // A claim of an exact size, generated here so scenario files carry no large literals.
            resolved["filler"] = nil
            guard let claim = filler["claim"]?.stringValue, let bytes = filler["bytes"]?.intValue, (1...1_048_576).contains(bytes) else {
                throw ScenarioStop.harness("mint.filler: needs a claim name and bytes from 1 to 1048576")
            }
            var claims = resolved["claims"]?.objectValue ?? [:]
            claims[claim] = .string(String(repeating: "x", count: Int(bytes)))
            resolved["claims"] = .object(claims)
        }
        if let audience = app.audience {
            // A resource server refuses a token for anyone else (RFC 9068 §4): every token is minted
            // for it, unless the scenario sets or omits aud itself.
            if let raw = resolved["raw_payload"]?.stringValue {
                resolved["raw_payload"] = .string(Self.addingAudience(audience, toRawPayload: raw))
            } else {
                var claims = resolved["claims"]?.objectValue ?? [:]
                if claims["aud"] == nil { claims["aud"] = .string(audience) }
                resolved["claims"] = .object(claims)
            }
        }
        let issuer = resolved["issuer"]
        resolved["issuer"] = nil
        do {
            var request = try TokenRequest(json: .object(resolved))
            if app.profile.codeFlow != nil, resolved["organization"] == nil, let only = soleActiveOrganization(of: request.user) {
                // The mock's authenticate scopes a session to a user's one active membership
                // (WorkOS selects it implicitly); a bound login must carry the org_id it would.
                request.organization = only
            }
            switch issuer {
            case nil: return (request, try idp.mintToken(request))
            case "attacker":
                // The code flow binds the code to `request` (the mock's user); the token is the attacker's.
                guard let victim = idp.directory.resolveUser(request.user) else {
                    throw ScenarioStop.harness("mint: no user '\(request.user)' in the mock")
                }
                return (request, try context.sides.attackerIdP().mint(request, victim: victim))
            case let other?: throw ScenarioStop.harness("mint.issuer: '\(other.stringValue ?? other.serializedString())' is not 'attacker'")
            }
        } catch let stop as ScenarioStop {
            throw stop
        } catch {
            throw ScenarioStop.harness("mint: \(error)")
        }
    }

    /// An exact payload keeps its bytes (duplicate keys, spacing); `aud` goes first when it has none.
    static func addingAudience(_ audience: String, toRawPayload raw: String) -> String {
        guard !raw.contains(#""aud""#), let open = raw.firstIndex(of: "{"), raw[..<open].allSatisfy(\.isWhitespace) else { return raw }
        let rest = raw[raw.index(after: open)...]
        let member = #""aud":"# + JSONValue.string(audience).serializedString()
        return raw[...open] + member + (rest.drop(while: \.isWhitespace).hasPrefix("}") ? "" : ",") + rest
    }

    /// The organization of the user's only active membership; nil with none or several.
    private func soleActiveOrganization(of user: String) -> String? {
        let directory = idp.directory
        guard let found = directory.resolveUser(user) else { return nil }
        let active = directory.activeMemberships(userID: found.id)
        return active.count == 1 ? active[0].organizationID : nil
    }

    private func runParallel(_ step: ParallelStep) throws {
        if let snapshot = step.cookies {
            guard let cookies = context.bindings.cookieSnapshots[snapshot] else {
                throw ScenarioStop.harness("parallel \(step.name): no cookies step saved '\(snapshot)'")
            }
            let race = try LoginDriver(context: context).probeConcurrently(cookies: cookies, count: step.count, step: "parallel \(step.name)")
            context.bindings.responseLists[step.name] = race.answers
            for (index, jar) in race.jars.enumerated() { context.bindings.cookieSnapshots["\(step.name)#\(index + 1)"] = jar.all }
            return
        }
        var names: [String] = []
        if var spec = step.mint {
            for index in 1...step.count {
                let name = "\(step.name)#\(index)"
                if step.freshUsers {
                    let user = "\(step.name)_\(index)"
                    try bindUser(UserStep(name: user, fixture: nil))
                    spec["user"] = .string(user)
                }
                let (request, token) = try mint(spec)
                context.bindings.tokens[name] = token
                context.bindings.tokenRequests[name] = request
                context.bindings.browserLogins[name] = nil
                names.append(name)
            }
        } else if let name = step.token {
            names = Array(repeating: name, count: step.count)
        }
        context.bindings.responseLists[step.name] = try LoginDriver(context: context).loginConcurrently(
            tokenNames: names, step: "parallel \(step.name)")
    }

    private func runCredentials(_ step: CredentialsStep) throws {
        guard let credentials = app.profile.credentials else {
            throw ScenarioStop.notApplicable("the profile declares no capabilities.organization_credentials")
        }
        let call: HTTPCall?
        switch step.action {
        case "list": call = credentials.list
        case "create": call = credentials.create
        default: call = credentials.delete
        }
        guard let call else { throw ScenarioStop.notApplicable("the profile's capabilities.organization_credentials has no '\(step.action)' route") }
        let organization = try context.text(step.organization)
        let appOrgID = idp.directory.resolveOrganization(organization)?.externalID ?? organization
        var path = call.path.replacing("{org_id}", with: appOrgID)
        if let credential = step.credential { path = path.replacing("{credential_id}", with: try context.text(credential)) }
        let token = try tokenText(step.token)
        context.bindings.responses[step.name] = context.wire.send(
            app.request(method: call.method, path: path, token: token, body: call.body),
            step: "credentials \(step.action) \(step.name)", token: token)
    }

    private func runKeys(_ step: KeysStep) throws {
        let kid = try step.kid.map { (reference: String) throws -> String in try context.text(reference) }
        context.keysChanged = true
        let made: String?
        do {
            let change = try KeyRing.Change(action: step.action, kid: kid, default: idp.configuration.signingAlgorithm)
            made = try idp.keys.apply(change)?.kid
        } catch {
            throw ScenarioStop.harness("keys \(step.action): \(error)")
        }
        if let name = step.name { context.bindings.kids[name] = made ?? kid ?? idp.keys.activeKey.kid }
    }

    private func armIdPFault(_ fault: JSONObject) throws {
        if fault["clear"]?.boolValue == true {
            idp.faults.clear()
            return
        }
        var resolved = try context.resolve(.object(fault)).objectValue ?? [:]
        if let past = resolved["past_app_timeout_ms"]?.intValue {
            // Held past the app's own timeout: the app must give up on the IdP, not on its user.
            let latency = Int64((try Self.declaredIdPTimeout(app.profile) * 1000).rounded()) + past
            guard Limits.faultLatencyMillis.contains(latency) else {
                throw ScenarioStop.harness(
                    "idp_fault.past_app_timeout_ms: \(latency) ms is past the mock's \(Limits.faultLatencyMillis.range.upperBound) ms latency limit")
            }
            resolved["latency_ms"] = .int(latency)
            resolved["past_app_timeout_ms"] = nil
        }
        // `body_user: "v"` answers with user v's WorkOS JSON: the mock then says a different
        // user lives at the requested ID (the user_id_mismatch case).
        if let other = resolved["body_user"] {
            guard let reference = other.stringValue, let user = context.bindings.users[reference] ?? idp.directory.resolveUser(reference) else {
                throw ScenarioStop.harness("idp_fault.body_user: '\(other)' is not a bound or fixture user")
            }
            do { resolved["body"] = WorkOSShape.user(try idp.user(user.id)) } catch { throw ScenarioStop.harness("idp_fault.body_user: \(error)") }
            resolved["body_user"] = nil
            if resolved["status"] == nil { resolved["status"] = 200 }
        }
        do {
            idp.faults.arm(try FaultRule(json: .object(resolved), id: "scenario_\(idp.faults.armed.count + 1)"))
        } catch {
            throw ScenarioStop.harness("idp_fault: \(error)")
        }
    }

    private func armAppFault(_ fault: JSONObject) throws {
        guard let hook = app.profile.faultHook else { throw ScenarioStop.notApplicable("the profile declares no capabilities.fault_hook") }
        if fault["clear"]?.boolValue == true {
            _ = context.wire.send(
                app.request(method: app.profile.faultClearMethod ?? "DELETE", path: hook.path, token: nil, body: nil), step: "app_fault clear",
                token: nil)
            return
        }
        let response = context.wire.send(
            app.request(method: hook.method, path: hook.path, token: nil, body: try context.resolve(.object(fault))),
            step: "app_fault", token: nil)
        guard let status = response.status, (200..<300).contains(status) else {
            throw ScenarioStop.harness("app_fault: the app's fault hook answered \(response.status.map(String.init) ?? response.error ?? "nothing")")
        }
    }
}
