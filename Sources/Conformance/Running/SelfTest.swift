import Essentials
import FoundationEssentials
import Glibc
import HTTP
import IdP

/// Proof that the harness catches what it claims and is quiet on a correct app: the suite runs
/// against the reference app as written, then once per seeded bug.
package struct SelfTest: Sendable {
    package struct BugOutcome: Sendable {
        package var bug: String
        package var report: RunReport
        /// Scenarios that name this bug in `references.bugs` and apply to this shape (applicable
        /// to the correct app, or failing for the bug).
        package var expected: [String]
        /// Of those, the ones that did not fail: the bug slipped past them.
        package var missed: [String]
        /// Failures in scenarios that do not name this bug (shown, not gated on).
        package var collateral: [String]

        package var caught: Bool { missed.isEmpty && !expected.isEmpty }
    }

    package struct Outcome: Sendable {
        package var correct: RunReport
        package var bugs: [BugOutcome]
        package var seconds: Double

        /// The correct app passed everything that applies to it (no skip, no failure; a scenario
        /// for another app shape is not applicable), and every bug failed every scenario naming it.
        package var passed: Bool {
            correct.count(.pass) > 0 && correct.count(.pass) + correct.count(.notApplicable) == correct.results.count && bugs.allSatisfy(\.caught)
        }
    }

    package var profile: TargetProfile
    package var scenarios: [Scenario]
    package var bugs: [String]
    /// The option that selects a bug in the app's start command (`--bug`).
    package var bugFlag = "--bug"
    /// Scenarios at once within one suite run (`run --jobs`).
    package var jobs = ProcessInfo.processInfo.activeProcessorCount
    /// Suite runs at once, each with its own mock and app process: the declared cache waits of
    /// one run overlap with the work of the others. More at once (20) halves a round but starves
    /// the races of CPU: concurrency.same-token-8 then missed concurrent-duplicate-provisioning
    /// once in 3 rounds, where 8 at once gave 10 rounds without a miss.
    package var parallelRuns = 8
    /// The mock's seed in every run, so each failure's reproduce command is exact.
    package var seed = UInt64.random(in: 1...999_999)
    /// Prefixes progress lines (the app shape when several run at once).
    package var label = ""

    package init(profile: TargetProfile, scenarios: [Scenario], bugs: [String]) {
        self.profile = profile
        self.scenarios = scenarios
        self.bugs = bugs
    }

    /// Runs one suite against the app started with `extraArguments`.
    func runSuite(extraArguments: [String], scenarios: [Scenario]) throws -> RunReport {
        var profile = self.profile
        profile.start?.command += extraArguments
        var configuration = IdPConfiguration()
        configuration.seed = seed
        let runner = try ConformanceRunner(profile: profile, idpConfiguration: configuration)
        defer { runner.stop() }
        try runner.start()
        var options = RunOptions()
        options.jobs = jobs
        var report = runner.run(scenarios, options: options)
        report.reproduction = Reproduction(
            arguments: extraArguments.isEmpty ? [] : ["--app-arg=\(extraArguments.joined(separator: "="))"],
            seed: seed)
        return report
    }

    /// Runs the correct app (nil) and every bug, `parallelRuns` at a time; `finished` sees each
    /// report in the order of `variants`, as soon as it and all before it are done.
    func runAll(_ variants: [String?], finished: (Int, RunReport) -> Void) throws -> [RunReport] {
        let slots = IndexedResults<Result<RunReport, any Error>>(count: variants.count)
        let next = TicketCounter()
        let test = self
        let scenarios = self.scenarios
        let flag = bugFlag
        let workers = (0..<max(1, min(parallelRuns, variants.count))).map { _ -> @Sendable () -> Void in
            {
                while true {
                    let index = next.take()
                    guard index < variants.count else { return }
                    let arguments = variants[index].map { [flag, $0] } ?? []
                    slots.put(index, Result { try test.runSuite(extraArguments: arguments, scenarios: scenarios) })
                }
            }
        }
        for worker in workers { BackgroundThread.start(worker) }
        var reports: [RunReport] = []
        for index in variants.indices {
            let report = try slots.wait(index).get()
            finished(index, report)
            reports.append(report)
        }
        return reports
    }

    /// `progress` is called with a line per finished suite run.
    package func run(progress: (String) -> Void = { _ in }) throws -> Outcome {
        let started = Date()
        var outcomes: [BugOutcome] = []
        var applicable = Set<String>()
        let reports = try runAll([nil] + bugs.map { Optional($0) }) { index, report in
            guard index > 0 else {
                applicable = Set(report.results.filter { $0.verdict != .notApplicable }.map(\.scenario.id))
                progress(
                    "\(label)"
                        + String(
                            cFormat: "correct app: %d passed, %d failed, %d skipped (%.1f s)", report.count(.pass),
                            report.count(.fail) + report.count(.error), report.count(.skipped), report.seconds))
                return
            }
            let bug = bugs[index - 1]
            let failing = Set(report.results.filter { $0.verdict == .fail || $0.verdict == .error }.map(\.scenario.id))
            // A naming scenario that cannot apply to this shape (not applicable to the correct
            // app) and does not fail is not counted; one that fails anyway still caught the bug.
            let expected = scenarios.filter { $0.references.bugs.contains(bug) && (applicable.contains($0.id) || failing.contains($0.id)) }.map(\.id)
            let outcome = BugOutcome(
                bug: bug, report: report, expected: expected,
                missed: expected.filter { !failing.contains($0) },
                collateral: failing.filter { id in !expected.contains(id) }.sorted())
            outcomes.append(outcome)
            progress(
                "\(label)--bug \(bug): \(outcome.caught ? "caught" : "MISSED") "
                    + String(
                        cFormat: "(%d/%d naming scenarios failed, %d other failures, %.1f s)", expected.count - outcome.missed.count, expected.count,
                        outcome.collateral.count, report.seconds)
                    + (outcome.collateral.isEmpty ? "" : "\n      other failures: " + outcome.collateral.joined(separator: ", "))
                    + (outcome.missed.isEmpty ? "" : "\n      missed by: " + outcome.missed.joined(separator: ", ")))
        }
        return Outcome(correct: reports[0], bugs: outcomes, seconds: Date().timeIntervalSince(started))
    }

    /// The bug × family matrix: `✗` the family caught the bug (a naming scenario failed), `·`
    /// nothing failed, `!` a scenario that does not name the bug failed, `MISS` a naming
    /// scenario passed.
    package static func matrix(_ outcome: Outcome, families: [String]) -> String {
        let width = max(28, (outcome.bugs.map(\.bug.count).max() ?? 0) + 2)
        let columns = families.map { String($0.prefix(12)) }
        var lines: [String] = []
        lines.append(
            "".padded(to: width) + columns.map { $0.padded(to: 13) }.joined()
                + "verdict")
        func row(_ name: String, _ report: RunReport, expected: [String], verdict: String) -> String {
            var cells: [String] = []
            for family in families {
                let results = report.results.filter { $0.scenario.family == family }
                let failed = results.filter { $0.verdict == .fail || $0.verdict == .error }.map(\.scenario.id)
                let naming = expected.filter { id in results.contains { $0.scenario.id == id } }
                let cell: String
                if naming.contains(where: { !failed.contains($0) }) {
                    cell = "MISS"
                } else if !naming.isEmpty {
                    cell = "✗ \(naming.count)"
                } else if !failed.isEmpty {
                    cell = "! \(failed.count)"
                } else {
                    cell = "·"
                }
                cells.append(cell.padded(to: 13))
            }
            return name.padded(to: width) + cells.joined() + verdict
        }
        let correctFailures = outcome.correct.count(.fail) + outcome.correct.count(.error) + outcome.correct.count(.skipped)
        lines.append(
            row(
                "(correct app)", outcome.correct, expected: [],
                verdict: correctFailures == 0
                    ? "all \(outcome.correct.count(.pass)) that apply pass"
                        + (outcome.correct.count(.notApplicable) > 0 ? " (\(outcome.correct.count(.notApplicable)) not applicable)" : "")
                    : "FALSE ALARM: \(correctFailures) not passing"))
        for bug in outcome.bugs {
            lines.append(
                row(
                    bug.bug, bug.report, expected: bug.expected,
                    verdict: bug.caught ? "caught" : "MISSED by \(bug.missed.joined(separator: ", "))"))
        }
        return lines.joined(separator: "\n")
    }
}
