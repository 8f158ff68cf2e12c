import Foundation
import HTTP
import IdP
import JSON

public struct RunOptions: Sendable {
    public var repeatCount = 1
    /// Scenarios run at once; those that touch shared mock state always run alone.
    public var jobs = 1
    public init() {}
}

/// Starts the mock IdP in-process and the app from its profile, runs scenarios one by one
/// (each from a reset mock and app), and stops both.
public final class ConformanceRunner {
    public let profile: TargetProfile
    public let idp: MockIdP
    let server: IdPServer
    public private(set) var app: AppTarget?
    /// The previous scenario rotated keys: the app may still cache them.
    private var keysChangedByLastScenario = false
    let extraPlaceholders: [String: String]
    let executable: String

    public init(profile: TargetProfile, idpConfiguration: IdPConfiguration = IdPConfiguration(), placeholders: [String: String] = [:],
                executable: String = CommandLine.arguments[0]) throws {
        self.profile = profile
        idp = try MockIdP(configuration: idpConfiguration)
        server = IdPServer(idp: idp)
        extraPlaceholders = placeholders
        self.executable = executable
    }

    /// The values a profile's `{placeholders}` take once the mock is listening.
    public var placeholders: [String: String] {
        var values = [
            "mockidp": executable, "idp_base_url": idp.baseURL, "issuer": idp.issuer, "jwks_url": idp.jwksURL,
            "client_id": idp.configuration.clientID, "api_key": idp.configuration.apiKey,
        ]
        for (name, value) in extraPlaceholders { values[name] = value }
        return values
    }

    /// Starts the mock and the app; throws when the app cannot be reached.
    public func start() throws {
        try server.start(host: "127.0.0.1", port: 0)
        let target = AppTarget(profile: profile, placeholders: placeholders)
        app = target
        try target.start()
    }

    public func stop() {
        app?.stop()
        server.stop()
    }

    /// Runs every scenario (each `repeatCount` times), reporting each result as it finishes.
    public func run(_ scenarios: [Scenario], options: RunOptions = RunOptions(), progress: (ScenarioResult) -> Void = { _ in }) -> RunReport {
        let started = Date()
        var results: [ScenarioResult] = []
        for iteration in 1...max(1, options.repeatCount) {
            if options.jobs > 1 {
                for var result in runConcurrently(scenarios, jobs: options.jobs, progress: { result in
                    var numbered = result
                    numbered.iteration = iteration
                    progress(numbered)
                }) {
                    result.iteration = iteration
                    results.append(result)
                }
                continue
            }
            for scenario in scenarios {
                var result = runOne(scenario)
                result.iteration = iteration
                results.append(result)
                progress(result)
            }
        }
        return RunReport(targetName: profile.name, targetURL: app?.baseURL ?? profile.baseURL, results: results,
                         seconds: Date().timeIntervalSince(started), startedAtMillis: Int64(started.timeIntervalSince1970 * 1000))
    }

    /// Scenarios that share nothing run on `jobs` threads against one reset mock and app; then
    /// each exclusive one runs alone from its own reset. Results come back in `scenarios` order;
    /// `progress` sees them as they finish.
    func runConcurrently(_ scenarios: [Scenario], jobs: Int, progress: (ScenarioResult) -> Void) -> [ScenarioResult] {
        var results = [ScenarioResult?](repeating: nil, count: scenarios.count)
        let shared = scenarios.indices.filter { scenarios[$0].exclusiveReason == nil }
        if !shared.isEmpty, let app, app.isRunning {
            // One reset for the whole batch: a reset between shared scenarios would wipe rows
            // another one is still using.
            let setupError: String?
            do {
                try prepare(scenarios[shared[0]], ScenarioContext(scenario: scenarios[shared[0]], idp: idp, app: app))
                setupError = nil
            } catch {
                setupError = "\(error)"
            }
            keysChangedByLastScenario = false
            let queue = ResultQueue()
            let next = TicketCounter()
            let box = SharedRunner(runner: self)
            let ordered = shared.map { (index: $0, scenario: scenarios[$0]) }
            let workers = (0..<min(jobs, shared.count)).map { _ in
                Thread {
                    while true {
                        let position = next.take()
                        guard position < ordered.count else { return }
                        let (index, scenario) = ordered[position]
                        let result = setupError.map { ScenarioResult(scenario: scenario, verdict: .error, seconds: 0, reason: "setup failed: \($0)") }
                            ?? box.runner.runOne(scenario, reset: false)
                        queue.push(index, result)
                    }
                }
            }
            for worker in workers {
                worker.stackSize = 1 << 20
                worker.start()
            }
            var received = 0
            while received < shared.count {
                for (index, result) in queue.takeAll() {
                    results[index] = result
                    received += 1
                    progress(result)
                }
            }
        }
        for index in scenarios.indices where results[index] == nil {
            let result = runOne(scenarios[index])
            results[index] = result
            progress(result)
        }
        return results.compactMap { $0 }
    }

    public func runOne(_ scenario: Scenario) -> ScenarioResult { runOne(scenario, reset: true) }

    /// `reset: false` runs in a shared batch: no reset of the mock or the app, which other
    /// scenarios are using at the same moment.
    func runOne(_ scenario: Scenario, reset: Bool) -> ScenarioResult {
        let started = DispatchTime.now().uptimeNanoseconds
        func seconds() -> Double { Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9 }
        let missing = scenario.requires.filter { !profile.capabilities.contains($0) }
        if !missing.isEmpty {
            return ScenarioResult(scenario: scenario, verdict: .skipped, seconds: 0, reason: "requires capability: \(missing.joined(separator: ", "))")
        }
        guard let app, app.isRunning else {
            return ScenarioResult(scenario: scenario, verdict: .error, seconds: 0, reason: "app unreachable: the app is not running\n\(self.app?.logTail() ?? "")")
        }
        let context = ScenarioContext(scenario: scenario, idp: idp, app: app)
        defer { if reset { keysChangedByLastScenario = context.keysChanged } }
        do {
            if reset { try prepare(scenario, context) }
            try StepExecutor(context: context).run(scenario.steps)
        } catch {
            let unreachable = !app.isRunning
            let reason = unreachable ? "app unreachable: the app exited during the scenario (\(error))\n\(app.logTail())" : "\(error)"
            return ScenarioResult(scenario: scenario, verdict: .error, seconds: seconds(), findings: context.findings, reason: reason, transcript: context.transcript)
        }
        if !app.isRunning {
            return ScenarioResult(scenario: scenario, verdict: .error, seconds: seconds(), findings: context.findings,
                                  reason: "app unreachable: the app exited during the scenario\n\(app.logTail())", transcript: context.transcript)
        }
        return ScenarioResult(scenario: scenario, verdict: context.findings.isEmpty ? .pass : .fail, seconds: seconds(),
                              findings: context.findings, transcript: context.transcript)
    }

    /// Every scenario starts from the same place: fixtures in its ID-space mode, original keys,
    /// no faults, a clean app seeded with the app-side organizations.
    private func prepare(_ scenario: Scenario, _ context: ScenarioContext) throws {
        do {
            try idp.reset(idSpaces: scenario.idSpaces)
        } catch {
            throw StepError("cannot load fixtures for id_spaces \(scenario.idSpaces.rawValue): \(error)")
        }
        guard let app else { return }
        if keysChangedByLastScenario, !profile.resetClearsJWKSCache, let ttl = profile.jwksCacheTTLSeconds {
            // The mock is back to its original keys; an app without a cache-clearing reset sees
            // them only once its cache expires.
            usleep(useconds_t(min(30, ttl + (profile.jwksCooldownSeconds ?? 0) + 0.1) * 1_000_000))
        }
        if let reset = profile.reset {
            try expectSetup(context.send(app.request(method: reset.method, path: reset.path, token: nil, body: reset.body), step: "setup: reset app", token: nil), "reset")
        }
        if let hook = profile.faultHook {
            _ = context.send(app.request(method: profile.faultClearMethod ?? "DELETE", path: hook.path, token: nil, body: nil), step: "setup: clear app faults", token: nil)
        }
        if let seeding = profile.seeding {
            let organizations = idp.directory.organizations.values.sorted { $0.id < $1.id }.compactMap { organization -> JSONValue? in
                guard let external = organization.externalID else { return nil }
                return ["id": .string(external), "name": .string(organization.name)]
            }
            try expectSetup(context.send(app.request(method: seeding.method, path: seeding.path, token: nil, body: ["organizations": .array(organizations)]),
                                         step: "setup: seed app organizations", token: nil), "seeding")
        }
        // Setup calls are the harness's own; keep the transcript to what the scenario did.
        context.transcript.removeAll()
    }

    private func expectSetup(_ captured: Captured, _ what: String) throws {
        guard let status = captured.status, (200..<300).contains(status) else {
            throw StepError("the app's \(what) hook answered \(captured.status.map(String.init) ?? captured.error ?? "nothing")")
        }
    }
}

/// Finds, filters and shards scenario files.
public enum ScenarioSuite {
    /// Every `*.json` below `directory`, parsed; errors name the file, step and field.
    public static func load(directory: String) throws(ConfigError) -> [Scenario] {
        guard let enumerator = FileManager.default.enumerator(atPath: directory) else {
            throw ConfigError(file: directory, field: "", message: "no such scenario folder")
        }
        var files: [String] = []
        while let relative = enumerator.nextObject() as? String {
            if relative.hasSuffix(".json") { files.append((directory as NSString).appendingPathComponent(relative)) }
        }
        var scenarios: [Scenario] = []
        var seen: [String: String] = [:]
        for file in files.sorted() {
            for scenario in try ScenarioLoader.loadAll(file: file) {
                if let other = seen[scenario.id] {
                    throw ConfigError(file: file, field: "id", message: "'\(scenario.id)' is also the id of \(other)")
                }
                seen[scenario.id] = file
                scenarios.append(scenario)
            }
        }
        return scenarios.sorted { ($0.family, $0.id) < ($1.family, $1.id) }
    }

    /// `pattern` matches an id, family or file by substring, or by glob with `*`; a pattern that
    /// is exactly a scenario's id selects only that scenario (what a reproduce command uses).
    public static func filter(_ scenarios: [Scenario], pattern: String?) -> [Scenario] {
        guard let pattern, !pattern.isEmpty else { return scenarios }
        let exact = scenarios.filter { $0.id == pattern }
        if !exact.isEmpty { return exact }
        return scenarios.filter { scenario in
            [scenario.id, scenario.family, scenario.file].contains { (text: String) -> Bool in
                pattern.contains("*") ? fnmatch(pattern, text, 0) == 0 : text.contains(pattern)
            }
        }
    }

    /// Shard `index` of `count` (1-based), by position in the sorted list, so a CI matrix
    /// covers every scenario exactly once.
    public static func shard(_ scenarios: [Scenario], index: Int, count: Int) -> [Scenario] {
        scenarios.enumerated().filter { $0.offset % count == index - 1 }.map(\.element)
    }
}
