import Dispatch
import FoundationEssentials
import Glibc
import HTTP
import IdP
import JSON

package struct RunOptions: Sendable {
    package var repeatCount = 1
    /// Scenarios run at once; those that touch shared mock state always run alone, and a
    /// profile that restarts its app between scenarios runs them one by one.
    package var jobs = 1
    /// Waits longer than this skip the scenario with a reason (never cut short quietly).
    package var maxWait: Double = 120
    /// Run the scenarios in a seeded random order: verdicts must not depend on order.
    package var shuffleSeed: UInt64?
    /// Told when a scenario is taken up (its iteration), from whichever thread runs it.
    package var started: @Sendable (Scenario, Int) -> Void = { _, _ in }
    /// Mock and app pairs at once, the shared one included: each exclusive scenario gets a fresh
    /// mock and a fresh app of its own (a lane) when the profile starts its app. 1: every
    /// exclusive scenario runs alone against the shared pair, one after another.
    package var lanes = 1
    package init() {}
}

/// Starts the mock IdP in-process and the app from its profile, runs scenarios one by one
/// (each from a reset mock and app), and stops both.
package final class ConformanceRunner {
    package let profile: TargetProfile
    package let idp: MockIdP
    let server: IdPServer
    /// The attacker IdP and the canary listener, started with the mock.
    private(set) var sides = SideServers()
    package private(set) var app: AppTarget?
    /// A scenario rotated keys and the app may cache them until then (no cache-clearing reset).
    private var cacheSettlesAt: Date?
    /// The family of the previous scenario, for `start.restart: family`.
    private var lastFamily: String?
    private var maxWait: Double = 120
    /// A lane's runner: its app was started for the one scenario it runs, so that scenario
    /// needs no restart first.
    var freshApp = false
    /// Slept in `isolate` waiting out a rotated key's cache, counted into the next result's waits.
    private var settledSeconds: Double = 0
    let extraPlaceholders: [String: String]
    let executable: String

    package init(
        profile: TargetProfile, idpConfiguration: IdPConfiguration = IdPConfiguration(), placeholders: [String: String] = [:],
        executable: String = ProjectFiles.executable
    ) throws {
        self.profile = profile
        var configuration = idpConfiguration
        configuration.prefetchKeys = true
        idp = try MockIdP(configuration: configuration)
        server = IdPServer(idp: idp)
        extraPlaceholders = placeholders
        self.executable = executable
    }

    /// The values a profile's `{placeholders}` take once the mock is listening.
    package var placeholders: [String: String] {
        var values = [
            "mockidp": executable, "idp_base_url": idp.baseURL, "issuer": idp.issuer, "jwks_url": idp.jwksURL,
            "client_id": idp.configuration.clientID, "api_key": idp.configuration.apiKey,
            // The profile's own folder, so a profile can name files beside it wherever it is run from.
            "profile_dir": URL(fileURLWithPath: profile.file).standardizedFileURL.deletingLastPathComponent().path,
        ]
        for (name, value) in extraPlaceholders { values[name] = value }
        return values
    }

    /// Starts the mock and the app; throws when the app cannot be reached.
    package func start() throws {
        try server.start(host: "127.0.0.1", port: 0)
        startSideServers()
        let target = AppTarget(profile: profile, placeholders: placeholders)
        try target.checkPlaceholders()
        app = target
        // The app's registered callback: an authorize request naming another is flagged.
        if let flow = profile.codeFlow {
            idp.authorizeHygiene.register(
                redirectURIs: [flow.redirectURI.map { AppTarget.fill($0, target.placeholders) } ?? target.baseURL + profile.callback.path])
        }
        try target.start()
    }

    /// Neither failing stops the run: only the scenarios that need one end in a harness error.
    private func startSideServers() {
        do {
            sides.canary = .success(try Canary())
        } catch {
            sides.canary = .failure(SideServers.StartProblem(message: "\(error)"))
        }
        do {
            sides.attacker = .success(try AttackerIdP(seed: idp.configuration.seed))
        } catch {
            sides.attacker = .failure(SideServers.StartProblem(message: "\(error)"))
        }
    }

    package func stop() {
        app?.stop()
        sides.stop()
        server.stop()
        idp.keys.finishPending()
    }

    /// Runs every scenario (each `repeatCount` times), reporting each result as it finishes.
    package func run(_ scenarios: [Scenario], options: RunOptions = RunOptions(), progress: (ScenarioResult) -> Void = { _ in }) -> RunReport {
        let started = Date()
        var results: [ScenarioResult] = []
        maxWait = options.maxWait
        var ordered = scenarios
        if let seed = options.shuffleSeed {
            var generator = SeededGenerator(seed: seed)
            ordered.shuffle(using: &generator)
        }
        // Restarting the app between scenarios and sharing it between threads do not mix.
        let jobs = (profile.start?.restart ?? .never) == .never ? options.jobs : 1
        let lanes = options.lanes > 1 && profile.laneRefusal(placeholders: extraPlaceholders) == nil ? options.lanes : 1
        for iteration in 1...max(1, options.repeatCount) {
            if lanes > 1 || jobs > 1 {
                let started = options.started
                let numbered = { (result: ScenarioResult) in
                    var numbered = result
                    numbered.iteration = iteration
                    progress(numbered)
                }
                let batch =
                    lanes > 1
                    ? runInLanes(ordered, jobs: options.jobs, lanes: lanes, started: { started($0, iteration) }, progress: numbered)
                    : runConcurrently(ordered, jobs: jobs, started: { started($0, iteration) }, progress: numbered)
                for var result in batch {
                    result.iteration = iteration
                    results.append(result)
                }
                continue
            }
            for scenario in ordered {
                options.started(scenario, iteration)
                var result = runOne(scenario)
                result.iteration = iteration
                results.append(result)
                progress(result)
            }
        }
        return RunReport(
            targetName: profile.name, targetURL: app?.baseURL ?? profile.baseURL, results: results,
            seconds: Date().timeIntervalSince(started), startedAtMillis: Int64(started.timeIntervalSince1970 * 1000))
    }

    /// Scenarios that share nothing run on `jobs` threads against one reset mock and app; then
    /// each exclusive one runs alone from its own reset. Results come back in `scenarios` order;
    /// `progress` sees them as they finish.
    func runConcurrently(
        _ scenarios: [Scenario], jobs: Int, slots given: JobSlots? = nil, started: @escaping @Sendable (Scenario) -> Void = { _ in },
        progress: (ScenarioResult) -> Void
    ) -> [ScenarioResult] {
        var results = [ScenarioResult?](repeating: nil, count: scenarios.count)
        let shared = scenarios.indices.filter { scenarios[$0].exclusiveReason == nil }
        if !shared.isEmpty, let app, app.isRunning {
            // One reset for the whole batch: a reset between shared scenarios would wipe rows
            // another one is still using.
            let setupError: String?
            if let unsettled = isolate(scenarios[shared[0]], app) {
                setupError = unsettled.description
            } else {
                do {
                    try prepare(scenarios[shared[0]], ScenarioContext(scenario: scenarios[shared[0]], idp: idp, app: app, sides: sides))
                    setupError = nil
                } catch {
                    setupError = "\(error)"
                }
            }
            let arrivals = IndexedResults<ScenarioResult>(count: scenarios.count)
            let next = TicketCounter()
            let box = SharedRunner(runner: self)
            // Sleepers first, so their waits overlap with the rest of the batch; one thread more
            // per sleeper, so `jobs` scenarios still work while they sleep.
            let ordered = shared.map { (index: $0, scenario: scenarios[$0]) }.sorted { $0.scenario.waits && !$1.scenario.waits }
            let sleepers = ordered.count { $0.scenario.waits }
            let slots = given ?? JobSlots(jobs)
            let workers = (0..<min(jobs + sleepers, shared.count)).map { _ -> @Sendable () -> Void in
                {
                    while true {
                        let position = next.take()
                        guard position < ordered.count else { return }
                        let (index, scenario) = ordered[position]
                        slots.acquire()
                        started(scenario)
                        let result =
                            setupError.map {
                                ScenarioEnding(started: false, stop: ScenarioStop.harness("setup failed: \($0)")).result(
                                    scenario, seconds: 0, transcript: []
                                ) { "" }
                            }
                            ?? box.runner.runOne(scenario, reset: false, slots: slots)
                        slots.release()
                        arrivals.put(index, result)
                    }
                }
            }
            for worker in workers { BackgroundThread.start(stackSize: 1 << 20, worker) }
            var received = 0
            while received < shared.count {
                for (index, result) in arrivals.takeArrived() {
                    results[index] = result
                    received += 1
                    progress(result)
                }
            }
        }
        for index in scenarios.indices where results[index] == nil {
            started(scenarios[index])
            let result = runOne(scenarios[index])
            results[index] = result
            progress(result)
        }
        return results.compactMap { $0 }
    }

    package func runOne(_ scenario: Scenario) -> ScenarioResult { runOne(scenario, reset: true) }

    /// Runs one scenario in a lane of its own: a fresh mock (same configuration and seed, so the
    /// same initial keys and fixtures, on a port of its own) and a fresh app started against it,
    /// both stopped before this returns. The lane's app fetches the lane's JWKS, so whatever the
    /// scenario does to keys, clock, faults or the template, no other scenario sees it, and no
    /// cache needs to settle afterwards. Called from a lane's thread, which outlives the app it starts.
    func runInLane(_ scenario: Scenario, slots: JobSlots) -> ScenarioResult {
        if let stop = unrunnable(scenario) {
            return ScenarioEnding(started: false, stop: stop).result(scenario, seconds: 0, transcript: []) { "" }
        }
        var lane: ConformanceRunner?
        defer { lane?.stop() }
        do {
            let fresh = try ConformanceRunner(
                profile: profile, idpConfiguration: idp.configuration, placeholders: extraPlaceholders, executable: executable)
            fresh.maxWait = maxWait
            fresh.freshApp = true
            lane = fresh
            let starting = DispatchTime.now().uptimeNanoseconds
            try fresh.start()
            var result = fresh.runOne(scenario, reset: true, slots: slots)
            // Starting the lane's app is this scenario's work, as a restart is without lanes.
            if result.seconds > 0 { result.seconds = Double(DispatchTime.now().uptimeNanoseconds - starting) / 1e9 }
            return result
        } catch {
            let reason = "\(error)".hasPrefix("app unreachable") ? "\(error)" : "app unreachable: a lane's mock or app did not start: \(error)"
            return ScenarioEnding(started: false, stop: ScenarioStop.harness(reason)).result(scenario, seconds: 0, transcript: []) { "" }
        }
    }

    /// `reset: false` runs in a shared batch: no reset, restart or cache wait for the mock or
    /// the app, which other scenarios are using at the same moment.
    func runOne(_ scenario: Scenario, reset: Bool, slots: JobSlots? = nil) -> ScenarioResult {
        let started = DispatchTime.now().uptimeNanoseconds
        func seconds() -> Double { Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9 }
        let logTail = { self.app?.logTail() ?? "" }
        let stop = precondition(scenario, reset: reset)
        guard stop == nil, let app else {
            let reason = stop ?? .harness("app unreachable: the app is not running")
            return ScenarioEnding(started: false, stop: reason).result(scenario, seconds: 0, transcript: [], appLog: logTail)
        }
        let context = ScenarioContext(scenario: scenario, idp: idp, app: app, sides: sides)
        context.maxWait = maxWait
        context.jobSlots = slots
        context.waitedSeconds = settledSeconds
        settledSeconds = 0
        defer { if reset { noteKeyChanges(context) } }
        var ending = ScenarioEnding(started: true)
        do {
            if reset { try prepare(scenario, context) }
            try StepExecutor(context: context).run(scenario.steps)
        } catch {
            ending.stop = error
        }
        ending.findings = context.findings
        ending.appExited = !app.isRunning
        var result = ending.result(scenario, seconds: seconds(), transcript: context.wire.transcript, appLog: logTail)
        result.waitedSeconds = context.waitedSeconds
        return result
    }

    /// Why the scenario cannot start here and now: a capability the profile lacks, a wait over
    /// --max-wait, an app that is not running or could not be isolated; nil when it can.
    private func precondition(_ scenario: Scenario, reset: Bool) -> ScenarioStop? {
        if let stop = unrunnable(scenario) { return stop }
        guard let app else { return .harness("app unreachable: the app is not running") }
        if reset, let unsettled = isolate(scenario, app) { return unsettled }
        guard app.isRunning else { return .harness("app unreachable: the app is not running\n\(app.logTail())") }
        return nil
    }

    /// Why the scenario cannot run against this profile at all (a capability it lacks, a wait
    /// over --max-wait), whatever mock and app it gets; nil when it can.
    private func unrunnable(_ scenario: Scenario) -> ScenarioStop? {
        let missing = scenario.requires.filter { !profile.capabilities.contains($0) }.map(\.rawValue)
        if !missing.isEmpty {
            return .notApplicable("the profile offers no \(missing.joined(separator: ", ")) (requires: \(missing.joined(separator: ", ")))")
        }
        if let unmapped = UnmappedFields.reason(scenario, profile: profile) { return .notApplicable(unmapped) }
        do {
            try StepExecutor.checkWaits(scenario.steps, profile: profile, maxWait: maxWait)
        } catch let stop as ScenarioStop {
            return stop
        } catch {
            return .tooLong("\(error)")
        }
        return nil
    }

    /// Restarts the app when the profile asks for it, and otherwise lets a JWKS cache filled by
    /// an earlier rotation expire. A result when the scenario cannot start clean.
    private func isolate(_ scenario: Scenario, _ app: AppTarget) -> ScenarioStop? {
        let restart: Bool
        switch profile.start?.restart ?? .never {
        case .scenario: restart = true
        case .family: restart = lastFamily != nil && lastFamily != scenario.family
        case .never: restart = false
        }
        lastFamily = scenario.family
        if freshApp {
            freshApp = false
            return nil
        }
        if restart {
            do {
                try app.restart()
            } catch {
                return .harness(error.description)
            }
            cacheSettlesAt = nil
        }
        guard let settles = cacheSettlesAt else { return nil }
        let remaining = settles.timeIntervalSinceNow
        if remaining > maxWait, profile.start != nil {
            // Waiting the cache out would take too long: a fresh process has no cache at all.
            do {
                try app.restart()
            } catch {
                return .harness(error.description)
            }
            cacheSettlesAt = nil
            return nil
        }
        if remaining > maxWait {
            return .tooLong(
                "an earlier scenario rotated the mock's keys and the app may cache them for \(StepExecutor.format(remaining)) s more (capabilities.jwks_cache_ttl_seconds in \(profile.file)), longer than --max-wait \(StepExecutor.format(maxWait)) s: use start.restart, a reset hook with clears_jwks_cache, or raise --max-wait"
            )
        }
        // The mock is back to its original keys; an app without a cache-clearing reset sees
        // them only once its cache expires.
        if remaining > 0 {
            usleep(useconds_t(remaining * 1_000_000))
            settledSeconds = remaining
        }
        cacheSettlesAt = nil
        return nil
    }

    private func noteKeyChanges(_ context: ScenarioContext) {
        guard context.keysChanged, !profile.resetClearsJWKSCache, profile.start?.restart != .scenario, let ttl = profile.jwksCacheTTLSeconds else {
            return
        }
        cacheSettlesAt = Date().addingTimeInterval(ttl + (profile.jwksCooldownSeconds ?? 0) + 0.1)
    }

    /// One plain login (a fresh user, a valid token) must be accepted before the suite runs:
    /// otherwise every scenario would fail for the same reason. Throws, quoting what the app and
    /// the mock answered.
    package func preflight() throws(AppUnreachable) {
        guard let app else { return }
        let steps: [Step] = [
            .user(UserStep(name: "u", fixture: nil)),
            .mint(MintStep(name: "t", request: ["user": "u"])),
            .callback(CallbackStep(name: "r", token: "t", noToken: false)),
        ]
        let scenario = Scenario(file: profile.file, id: "preflight", family: "preflight", title: "one plain login is accepted", steps: steps)
        let context = ScenarioContext(scenario: scenario, idp: idp, app: app, sides: sides)
        let mark = idp.journal.lastSequence
        var problem: String?
        do {
            try prepare(scenario, context)
            try StepExecutor(context: context).run(steps)
            if let response = context.bindings.responses["r"] {
                let judge = OutcomeJudge(profile: profile)
                do {
                    problem = try judge.failure(.accepted, response, label: "the login")
                } catch ScenarioStop.notApplicable {
                    problem = try judge.failure(.not5xx, response, label: "the login")
                }
            }
        } catch {
            problem = "\(error)"
        }
        let answers = context.wire.idpAnswers(since: mark)
        guard let problem else { return }
        var message =
            "preflight: a plain login of a fresh user with a valid token was not accepted, so every scenario would fail the same way.\n  \(problem)"
        message +=
            answers.isEmpty
            ? "\n  the mock refused nothing the app asked for"
            : "\n  the mock answered the app:\n" + answers.prefix(5).map { "    " + $0 }.joined(separator: "\n")
        let tail = app.logTail()
        if !tail.isEmpty { message += "\n" + tail }
        throw AppUnreachable(message)
    }

    /// Every scenario starts from the same place: fixtures in its ID-space mode, original keys,
    /// no faults, a clean app seeded with the app-side organizations.
    private func prepare(_ scenario: Scenario, _ context: ScenarioContext) throws {
        do {
            try idp.reset(idSpaces: scenario.idSpaces)
        } catch {
            throw ScenarioStop.harness("cannot load fixtures for id_spaces \(scenario.idSpaces.rawValue): \(error)")
        }
        guard let app else { return }
        if let reset = profile.reset {
            try expectSetup(
                context.wire.send(
                    app.request(method: reset.method, path: reset.path, token: nil, body: reset.body), step: "setup: reset app", token: nil), "reset")
        }
        if let hook = profile.faultHook {
            _ = context.wire.send(
                app.request(method: profile.faultClearMethod ?? "DELETE", path: hook.path, token: nil, body: nil), step: "setup: clear app faults",
                token: nil)
        }
        if let seeding = profile.seeding {
            let organizations = idp.directory.organizations.values.sorted { $0.id < $1.id }.compactMap { organization -> JSONValue? in
                guard let external = organization.externalID else { return nil }
                return ["id": .string(external), "name": .string(organization.name)]
            }
            try expectSetup(
                context.wire.send(
                    app.request(method: seeding.method, path: seeding.path, token: nil, body: ["organizations": .array(organizations)]),
                    step: "setup: seed app organizations", token: nil), "seeding")
        }
        // Setup calls are the harness's own; keep the transcript to what the scenario did.
        context.wire.forgetTranscript()
    }

    private func expectSetup(_ captured: Captured, _ what: String) throws {
        guard let status = captured.status, (200..<300).contains(status) else {
            throw ScenarioStop.harness("the app's \(what) hook answered \(captured.status.map(String.init) ?? captured.error ?? "nothing")")
        }
    }
}
