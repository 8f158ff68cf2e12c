import Arguments
import Benchmarks
import Conformance
import Essentials
import FoundationEssentials
import Glibc
import IdP

enum BenchCommand: Subcommand {
    static let spec = CommandSpec(
        name: "bench",
        summary: "Measure signing, minting, startup and HTTP throughput (build with -c release first).",
        options: [
            .value("seconds", placeholder: "N", default: "3", help: "Length of each HTTP load run."),
            .value("iterations", placeholder: "N", default: "2000", help: "RSA signatures per signing measurement."),
            .flag("suite", help: "Only time the built-in suite against the target, without lanes (--lanes 1) and with the default lanes."),
            .flag("targets", help: "Only the four target ratios (ES256 mint, JWKS with a log file, startup, headless login)."),
            .value("target", placeholder: "FILE", help: "Target profile for the suite timing (default: the reference app)."),
        ])

    static func run(_ arguments: ParsedArguments) throws -> Int32 {
        let seconds = try arguments.integer("seconds", in: 1...60) ?? 3
        let iterations = try arguments.integer("iterations", in: 10...1_000_000) ?? 2000
        #if DEBUG
            print("warning: this is a debug build; figures are meaningless. Run: swift run -c release mockidp bench")
        #endif
        if arguments.has("suite") { return try SuiteBench.run(target: arguments.value("target")) }
        print(
            "mockidp bench — \(ProcessInfo.processInfo.activeProcessorCount) cores, load tool: \(LoadGenerator.wrkPath != nil ? "wrk" : "built-in (install wrk for fairer numbers)")"
        )
        print("")

        let signing = try Benchmarks.signing(iterations: iterations)
        let login = try Benchmarks.headlessLogin(iterations: 300)
        let startup = try Benchmarks.startup(executable: CommandLine.arguments[0], runs: 5)
        let jwks = try JWKSComparison.run(executable: CommandLine.arguments[0], seconds: seconds)
        if arguments.has("targets") {
            printTargets(signing: signing, login: login, startupMillis: startup.millis, jwks: jwks)
            return ExitCode.success
        }
        print("signing (one core, thread CPU time)")
        print(String(cFormat: "  RSA-2048 raw OpenSSL sign   %9.0f /s", signing.rawRSA))
        print(
            String(cFormat: "  RS256 JWT mint (mintToken)  %9.0f /s   %5.1f %% of raw", signing.rs256Mint, 100 * signing.rs256Mint / signing.rawRSA))
        print(String(cFormat: "  P-256 raw OpenSSL sign      %9.0f /s", signing.rawEC))
        print(String(cFormat: "  ES256 JWT mint (mintToken)  %9.0f /s   %5.1f %% of raw", signing.es256Mint, 100 * signing.es256Mint / signing.rawEC))
        print(
            String(cFormat: "  IdP mint, org-scoped        %9.0f /s   %5.1f %% of raw RSA", signing.idpMint, 100 * signing.idpMint / signing.rawRSA))
        print("")

        print("auth flow (loopback, one keep-alive connection, \(login.iterations) logins)")
        print(String(cFormat: "  headless login (authorize → authenticate)   p50 %6.0f µs   p99 %6.0f µs", login.p50Micros, login.p99Micros))
        let oidc = try Benchmarks.oidcSignIn(iterations: 300)
        print(String(cFormat: "  OIDC sign-in (/oauth2/authorize → token)    p50 %6.0f µs   p99 %6.0f µs", oidc.p50Micros, oidc.p99Micros))
        // The sign-in signs twice (the ID token's at_hash needs the signed access token), so its
        // floor is two signatures; each sign-in is timed beside one raw signature, as the login.
        print(
            String(
                cFormat: "  OIDC sign-in p50 = %.2f × one RSA-2048 signature (two signatures per sign-in)", oidc.p50Micros / oidc.signatureP50Micros))
        print("")

        print("process")
        print(String(cFormat: "  startup to first answer     %9.1f ms (median of 5)", startup.millis))
        print("  idle RSS                    \(String(cFormat: "%9.1f", Double(startup.idleRSSKiB) / 1024)) MB")
        print("")

        let idp = try MockIdP()
        let server = IdPServer(idp: idp)
        try server.start(host: "127.0.0.1", port: 0)
        defer { server.stop() }
        let routes = [
            ("GET /health (small JSON)", idp.baseURL + "/health"),
            ("GET /sso/jwks/{client_id}", idp.jwksURL),
        ]
        print("http (loopback, keep-alive, \(seconds) s per run)")
        for (name, url) in routes {
            for connections in [1, 50, 256] {
                let result = LoadGenerator.run(url: url, connections: connections, seconds: seconds)
                print(
                    String(
                        cFormat: "  " + name.padded(to: 26) + " c=%-3d %9.0f req/s   p50 %7.0f µs   p99 %7.0f µs   errors %d", connections,
                        result.requestsPerSecond, result.p50Micros, result.p99Micros, result.errors))
            }
        }
        print("")
        printTargets(signing: signing, login: login, startupMillis: startup.millis, jwks: jwks)
        print("")
        return try SuiteBench.run(target: arguments.value("target"))
    }

    /// The hot-path targets of the README's performance table, each a ratio of two figures
    /// measured side by side in this run, so it holds on a loaded or slower machine.
    static func printTargets(
        signing: Benchmarks.SigningFigures, login: Benchmarks.LatencyFigures, startupMillis: Double,
        jwks: JWKSComparison.Figures
    ) {
        func verdict(_ met: Bool) -> String { met ? "met" : "NOT MET" }
        print("targets (each ratio measured side by side in this run)")
        let es256 = 100 * signing.es256Mint / signing.rawEC
        print(String(cFormat: "  ES256 mint / raw P-256 sign                 %6.1f %%   target >= 90 %%    ", es256) + verdict(es256 >= 90))
        let jwksLine = "  JWKS c=\(jwks.connections), log to a file / "
        if let nginx = jwks.nginx {
            let ratio = jwks.logToFile / nginx
            print(
                jwksLine + String(cFormat: "nginx static   %6.2f x   target >= 0.8 x   ", ratio) + verdict(ratio >= 0.8)
                    + String(cFormat: "   (%.0f vs %.0f req/s, ", jwks.logToFile, nginx) + jwks.tool + ")")
        } else {
            print(jwksLine + "nginx static   not measured: \(jwks.nginxMissing ?? "nginx not found")")
        }
        let logCost = jwks.logToFile / jwks.logOff
        print(
            jwksLine + String(cFormat: "--log off      %6.2f x   target >= 0.85 x  ", logCost) + verdict(logCost >= 0.85)
                + String(
                    cFormat: "   (%.0f vs %.0f req/s, %.0f log bytes a request, errors %d)", jwks.logToFile, jwks.logOff,
                    jwks.logBytesPerRequest, jwks.errors))
        let rsaMillis = 1000 / signing.rawRSA
        print(
            String(cFormat: "  startup to first answer                     %6.1f ms  target <= 15 ms   ", startupMillis)
                + verdict(startupMillis <= 15)
                + String(cFormat: "   (%.0f RSA-2048 signatures of this machine)", startupMillis / rsaMillis))
        let loginRatio = login.p50Micros / login.signatureP50Micros
        print(
            String(cFormat: "  headless login p50 / one RSA-2048 sign      %6.2f x   target <= 1.5 x   ", loginRatio) + verdict(loginRatio <= 1.5)
                + String(cFormat: "   (%.0f µs vs %.0f µs)", login.p50Micros, login.signatureP50Micros))
    }
}

/// Wall time of the built-in suite against one app, without lanes (`--lanes 1`: exclusive
/// scenarios one at a time) and with the default lanes, both with the default --jobs; split into
/// the time scenarios slept in declared waits (cache TTLs, cooldowns, token expiries) and the
/// time they worked, each summed over scenarios (so with overlap a sum can pass the wall time).
enum SuiteBench {
    static func run(target: String?) throws -> Int32 {
        guard let profileFile = target ?? ProjectFiles.locate("scenarios/targets/reference-app.json"),
            let folder = ProjectFiles.locate("scenarios/suite")
        else {
            throw UsageError("run bench from the MockIdP checkout (scenarios/ not found), or give --target")
        }
        let profile = try TargetProfile.load(file: profileFile)
        let scenarios = try ScenarioSuite.load(directory: folder)
        let jobs = ProcessInfo.processInfo.activeProcessorCount
        let defaultLanes =
            profile.laneRefusal() == nil
            ? LaneBudget.defaultCount(scenarios: scenarios, jobs: jobs, everyScenario: profile.start?.restart == .scenario) : 1
        print("suite (\(scenarios.count) scenarios against \(profile.name), --jobs \(jobs))")
        if let refusal = profile.laneRefusal() { print("  no lanes: \(refusal)") }
        var allPassed = true
        for lanes in [1, defaultLanes] where lanes == 1 || defaultLanes > 1 {
            // Seeded as `run` always is: a lane's mock then takes its rotation keys from the ones
            // this process made already instead of searching fresh primes for each lane.
            var configuration = IdPConfiguration()
            configuration.seed = 7
            let runner = try ConformanceRunner(profile: profile, idpConfiguration: configuration)
            defer { runner.stop() }
            try runner.start()
            var options = RunOptions()
            options.jobs = jobs
            options.lanes = lanes
            let report = runner.run(scenarios, options: options)
            let waited = report.results.reduce(0) { $0 + $1.waitedSeconds }
            let work = report.results.reduce(0) { $0 + max(0, $1.seconds - $1.waitedSeconds) }
            let waiters = report.results.count { $0.waitedSeconds > 0 }
            print(
                String(
                    cFormat: "  --lanes %-3d wall %7.2f s   declared waits %7.2f s (%d scenarios)   work %6.2f s   %d passed, %d failed, %d skipped",
                    lanes, report.seconds, waited, waiters, work, report.count(.pass), report.count(.fail) + report.count(.error),
                    report.count(.skipped)))
            allPassed = allPassed && report.count(.fail) + report.count(.error) == 0
        }
        return allPassed ? ExitCode.success : ExitCode.failure
    }
}
