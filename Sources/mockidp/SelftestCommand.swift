import Arguments
import Conformance
import Essentials
import FoundationEssentials
import Glibc
import HTTP
import SampleApp

enum SelftestCommand: Subcommand {
    static let spec = CommandSpec(
        name: "selftest",
        summary: "Run the built-in suite against the reference app of each shape (api, web), then against each seeded bug, and print the matrices.",
        options: [
            .value("bug", placeholder: "NAME", help: "Only this seeded bug (repeatable; default: all)."),
            .value("repeat", placeholder: "N", default: "1", help: "Repeat the whole self-test N times (flake hunting)."),
            .value("filter", short: "f", placeholder: "PATTERN", help: "Only scenarios matching PATTERN."),
            .value("shape", placeholder: "SHAPE", help: "Only this app shape: api or web (default: both)."),
            .flag("list-bugs", help: "List the seeded bugs and exit."),
        ])

    /// Each app shape with the profile that drives it.
    static let shapes: [(shape: SampleAppShape, profile: String)] = [
        (.api, "scenarios/targets/reference-app.json"), (.web, "scenarios/targets/reference-web-app.json"),
    ]

    /// Why a bug can also fail scenarios that do not name it (they are not reliable catchers, so
    /// they do not name it, but their failure is the bug's doing, not a false alarm).
    static let collateralReasons: [String: String] = [
        "response-from-shared-variable":
            "the app answers from a shared \"last login\" variable, so any login that overlaps another (scenarios run at once with --jobs, or racing logins) may get someone else's answer; only concurrency.distinct-users-8 is sure to",
        "id-space-confusion":
            "memberships are looked up in the wrong ID space, so an admin's role never reaches the app and credential checks that need it fail too",
        "concurrent-duplicate-provisioning":
            "duplicate rows from racing first logins can make any scenario that counts rows or logs in concurrently fail",
        "secret-resent-to-racers": "racing first logins each get the one-time secret, which other concurrent scenarios may also notice",
        "jku-followed":
            "the forgery matrix's jku tokens name a URL on the mock itself, and the mock's journal shows the app fetching it (the canary scenario is the one that names the bug)",
        "issuer-discovery-trusted":
            "a near-miss issuer (a trailing slash) is on loopback too, so the app fetches its discovery from the mock and trusts the mock's own keys under it",
        "constant-state":
            "without PKCE the one constant state is also every other login's state, so a callback carrying another login's state matches too (web-state.other-login-state)",
        "unknown-kid-crashes":
            "another IdP's key, a URL kid and an embedded key each carry a kid the JWKS lacks, and the app answers 500 before it looks at anything else",
    ]

    static func run(_ arguments: ParsedArguments) throws -> Int32 {
        let allBugs = SeededBug.allCases.map(\.rawValue)
        if arguments.has("list-bugs") {
            for bug in SeededBug.allCases { print("\(bug.rawValue)\t\(bug.shapes.map(\.rawValue).sorted().joined(separator: ","))") }
            return ExitCode.success
        }
        let requested = arguments.allValues("bug")
        for bug in requested where !allBugs.contains(bug) {
            throw UsageError("unknown seeded bug '\(bug)'; one of: \(allBugs.joined(separator: ", "))")
        }
        let onlyShape = try arguments.choice("shape", from: SampleAppShape.allCases.map(\.rawValue)).flatMap(SampleAppShape.init(rawValue:))
        guard let suite = ProjectFiles.locate("scenarios/suite") else {
            throw UsageError("run selftest from the MockIdP checkout (scenarios/ not found)")
        }
        var plans: [SelfTest] = []
        for (shape, file) in shapes where onlyShape == nil || onlyShape == shape {
            let shapeBugs = SeededBug.applying(to: shape).map(\.rawValue)
            let bugs = requested.isEmpty ? shapeBugs : requested.filter(shapeBugs.contains)
            // Asked only for bugs of the other shape: this shape's correct app is not needed.
            if !requested.isEmpty && bugs.isEmpty { continue }
            guard let profileFile = ProjectFiles.locate(file) else { throw UsageError("run selftest from the MockIdP checkout (\(file) not found)") }
            guard let (profile, loaded) = load(profileFile: profileFile, suite: suite) else { return ExitCode.usage }
            var test = SelfTest(profile: profile, scenarios: ScenarioSuite.filter(loaded, pattern: arguments.value("filter")), bugs: bugs)
            test.label = "[\(shape.rawValue)] "
            // One seed for every shape: the rotation and forgery keys it selects are made once.
            test.seed = plans.first?.seed ?? test.seed
            plans.append(test)
        }
        let repeatCount = try arguments.integer("repeat", in: 1...100) ?? 1
        var allPassed = true
        let started = Date()
        for round in 1...repeatCount {
            if repeatCount > 1 { print("── round \(round) of \(repeatCount)") }
            for plan in plans {
                print("mockidp selftest \(plan.label)\(plan.scenarios.count) scenarios × (correct app + \(plan.bugs.count) seeded bugs)")
            }
            let roundStarted = Date()
            guard let outcomes = runConcurrently(plans) else { return 3 }
            for (plan, outcome) in zip(plans, outcomes) {
                let families = Array(Set(plan.scenarios.map(\.family))).sorted()
                print("")
                print("shape \(plan.label.filter { $0 != "[" && $0 != "]" && $0 != " " }): \(plan.profile.name)")
                print(SelfTest.matrix(outcome, families: families))
                for bug in outcome.bugs where !bug.collateral.isEmpty {
                    print(
                        "  ! \(bug.bug): \(bug.collateral.joined(separator: ", ")) also failed — "
                            + (collateralReasons[bug.bug] ?? "not explained: a scenario that does not name this bug failed; its report follows"))
                    if collateralReasons[bug.bug] == nil {
                        var unexplained = bug.report
                        unexplained.results = bug.report.results.filter { bug.collateral.contains($0.scenario.id) }
                        print(ConsoleReporter(color: false, trace: false).details(unexplained))
                    }
                }
                if outcome.correct.count(.pass) + outcome.correct.count(.notApplicable) != outcome.correct.results.count {
                    let console = ConsoleReporter(color: false, trace: false)
                    print(console.details(outcome.correct))
                }
                print(plan.label + (outcome.passed ? "passed" : "FAILED"))
                allPassed = allPassed && outcome.passed
            }
            print("")
            print("legend: ✗ n  n scenarios naming the bug failed (caught)   ·  all passed   ! n  other failures   MISS  a naming scenario passed")
            let passed = outcomes.allSatisfy(\.passed)
            print("self-test \(passed ? "PASSED" : "FAILED") in " + String(cFormat: "%.1f s", Date().timeIntervalSince(roundStarted)))
        }
        if repeatCount > 1 {
            print("\(repeatCount) rounds, \(allPassed ? "no flake" : "FAILURES"), " + String(cFormat: "%.1f s", Date().timeIntervalSince(started)))
        }
        return allPassed ? ExitCode.success : ExitCode.failure
    }

    /// Every shape's self-test at once (their apps mostly wait on declared cache TTLs); nil
    /// after printing why a mock or an app could not be reached.
    static func runConcurrently(_ plans: [SelfTest]) -> [SelfTest.Outcome]? {
        let results = IndexedResults<SelfTest.Outcome?>(count: plans.count)
        for (index, plan) in plans.enumerated() {
            BackgroundThread.start { results.put(index, runOnce(plan)) }
        }
        let outcomes = plans.indices.compactMap { results.wait($0) }
        return outcomes.count == plans.count ? outcomes : nil
    }

    /// nil after printing the error (a broken profile or scenario file).
    static func load(profileFile: String, suite: String) -> (TargetProfile, [Scenario])? {
        do {
            return (try TargetProfile.load(file: profileFile), try ScenarioSuite.load(directory: suite))
        } catch {
            printError("mockidp selftest: \(error)")
            return nil
        }
    }

    /// nil after printing why the mock or the app could not be reached.
    static func runOnce(_ plan: SelfTest) -> SelfTest.Outcome? {
        do {
            return try plan.run { line in
                print("  " + line)
                fflush(nil)
            }
        } catch {
            printError("mockidp selftest \(plan.label): \(error)")
            return nil
        }
    }
}
