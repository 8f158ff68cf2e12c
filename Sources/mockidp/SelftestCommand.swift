import Arguments
import Conformance
import Foundation
import SampleApp

enum SelftestCommand: Subcommand {
    static let spec = CommandSpec(
        name: "selftest",
        summary: "Run the built-in suite against the reference app, then against each seeded bug, and print the matrix.",
        options: [
            .value("bug", placeholder: "NAME", help: "Only this seeded bug (repeatable; default: all)."),
            .value("repeat", placeholder: "N", default: "1", help: "Repeat the whole self-test N times (flake hunting)."),
            .value("filter", short: "f", placeholder: "PATTERN", help: "Only scenarios matching PATTERN."),
            .flag("list-bugs", help: "List the seeded bugs and exit."),
        ])

    static func run(_ arguments: ParsedArguments) throws -> Int32 {
        // The suite and profile below drive the API shape; web-shape bugs need the web profile.
        let allBugs = SeededBug.applying(to: .api).map(\.rawValue)
        if arguments.has("list-bugs") {
            for bug in allBugs { print(bug) }
            return ExitCode.success
        }
        var bugs = arguments.allValues("bug")
        for bug in bugs where !allBugs.contains(bug) {
            throw UsageError("unknown seeded bug '\(bug)'; one of: \(allBugs.joined(separator: ", "))")
        }
        if bugs.isEmpty { bugs = allBugs }
        guard let profileFile = ProjectFiles.locate("scenarios/targets/reference-app.json"),
              let suite = ProjectFiles.locate("scenarios/suite") else {
            throw UsageError("run selftest from the MockIdP checkout (scenarios/ not found)")
        }
        guard let (profile, loaded) = load(profileFile: profileFile, suite: suite) else { return ExitCode.usage }
        let scenarios = ScenarioSuite.filter(loaded, pattern: arguments.value("filter"))
        let repeatCount = try arguments.integer("repeat", in: 1...100) ?? 1
        let families = Array(Set(scenarios.map(\.family))).sorted()
        var allPassed = true
        let started = Date()
        for round in 1...repeatCount {
            if repeatCount > 1 { print("── round \(round) of \(repeatCount)") }
            print("mockidp selftest: \(scenarios.count) scenarios × (correct app + \(bugs.count) seeded bugs)")
            guard let outcome = runOnce(profile: profile, scenarios: scenarios, bugs: bugs) else { return 3 }
            print("")
            print(SelfTest.matrix(outcome, families: families))
            print("")
            print("legend: ✗ n  n scenarios naming the bug failed (caught)   ·  all passed   ! n  other failures   MISS  a naming scenario passed")
            if outcome.correct.count(.pass) + outcome.correct.count(.notApplicable) != outcome.correct.results.count {
                let console = ConsoleReporter(color: false, trace: false)
                print(console.details(outcome.correct))
            }
            print(String(format: "self-test %@ in %.1f s", outcome.passed ? "PASSED" : "FAILED", outcome.seconds))
            allPassed = allPassed && outcome.passed
        }
        if repeatCount > 1 { print(String(format: "%d rounds, %@, %.1f s", repeatCount, allPassed ? "no flake" : "FAILURES", Date().timeIntervalSince(started))) }
        return allPassed ? ExitCode.success : ExitCode.failure
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
    static func runOnce(profile: TargetProfile, scenarios: [Scenario], bugs: [String]) -> SelfTest.Outcome? {
        do {
            return try SelfTest(profile: profile, scenarios: scenarios, bugs: bugs).run { line in
                print("  " + line)
                fflush(nil)
            }
        } catch {
            printError("mockidp selftest: \(error)")
            return nil
        }
    }
}
