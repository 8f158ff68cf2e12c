import Arguments
import Conformance
import FoundationEssentials
import Glibc
import IdP

enum RunCommand: Subcommand {
    static let spec = CommandSpec(
        name: "run",
        summary: "Run conformance scenarios against an app backend described by a target profile.",
        options: [
            .value(
                "target", short: "t", placeholder: "FILE|NAME",
                help: "Target profile: a JSON file, or a built-in profile's name (default: reference-app)."),
            .value(
                "scenarios", placeholder: "SOURCES",
                help:
                    "Comma-separated: builtin (the suite inside mockidp) and folders; a later scenario with the same id replaces an earlier one (default: builtin)."
            ),
            .value("scenario", placeholder: "FILE", help: "Run this scenario file (repeatable); replaces --scenarios."),
            .value(
                "filter", short: "f", placeholder: "PATTERN", help: "Only scenarios whose id, family or file contains PATTERN (or matches a * glob)."),
            .flag("list", help: "List the selected scenarios and exit."),
            .flag(
                "check",
                help: "Validate the target profile and say which scenario families it can run, and why others are not applicable; start nothing."),
            .value("shard", placeholder: "I/N", help: "Run shard I of N (1-based), for a CI matrix."),
            .value("repeat", placeholder: "N", default: "1", help: "Run each scenario N times (flake hunting)."),
            .value("json", placeholder: "FILE", help: "Write the JSON report here."),
            .value("junit", placeholder: "FILE", help: "Write a JUnit XML report here."),
            .value("html", placeholder: "FILE", help: "Write a self-contained HTML report here (filters, transcripts, race timelines)."),
            .flag("trace", help: "Print full transcripts for every scenario."),
            .flag("strict", help: "Count skipped and not-applicable scenarios as failures."),
            .value(
                "max-wait", placeholder: "SECONDS", default: "120",
                help: "Skip (with the reason) scenarios that would wait longer than this for the app's declared cache TTLs."),
            .value("shuffle", placeholder: "SEED", help: "Run the scenarios in a seeded random order (verdicts must not depend on order)."),
            .flag("no-preflight", help: "Do not check that one plain login is accepted before the suite."),
            .value("set", placeholder: "NAME=VALUE", help: "Extra {placeholder} value for the profile (repeatable)."),
            .value("app-arg", placeholder: "ARG", help: "Append ARG to the profile's start command (repeatable), e.g. --app-arg=--bug=NAME."),
            .value("fixtures", placeholder: "FILE", help: "Fixtures for the mock IdP (default: embedded)."),
            .value(
                "jobs", short: "j", placeholder: "N",
                help:
                    "Run up to N scenarios at once (default: the number of cores); scenarios that change keys, clock, faults or the JWT template run alone."
            ),
            .value(
                "lanes", placeholder: "N",
                help:
                    "Mock and app pairs at once: each scenario that changes keys, clock, faults or the JWT template, or waits on the app's caches, gets a fresh mock and app of its own, beside the shared pair (default: enough to overlap the waits, capped by free memory; 1: such scenarios run one at a time; needs a profile that starts its app)."
            ),
            .value(
                "seed", placeholder: "N",
                help: "Seed for the mock's IDs, token IDs and generated keys (default: random, printed, and part of every reproduce command)."),
            .flag("no-color", help: "Plain output (also when NO_COLOR is set or stdout is not a terminal)."),
        ])

    static func run(_ arguments: ParsedArguments) throws -> Int32 {
        do {
            return try execute(arguments)
        } catch let error as ConfigError {
            printError("mockidp run: \(error)")
            return ExitCode.usage
        } catch let error as AppUnreachable {
            printError("mockidp run: \(error)")
            return 3
        }
    }

    static func loadTarget(_ arguments: ParsedArguments) throws -> TargetProfile {
        let file = try Builtin.resolveTarget(arguments.value("target"))
        var profile = try TargetProfile.load(file: file)
        let extra = arguments.allValues("app-arg")
        if !extra.isEmpty {
            guard profile.start != nil else { throw UsageError("--app-arg needs a profile with a start command") }
            profile.start?.command += extra
        }
        return profile
    }

    static func selectScenarios(_ arguments: ParsedArguments) throws -> [Scenario] {
        var scenarios: [Scenario]
        let files = arguments.allValues("scenario")
        if !files.isEmpty {
            scenarios = try files.flatMap { (file) throws(ConfigError) in try ScenarioLoader.loadAll(file: file) }
        } else {
            let loaded = try ScenarioSuite.load(sources: arguments.value("scenarios") ?? Builtin.sourceName)
            for note in loaded.notes { printError("mockidp run: \(note)") }
            scenarios = loaded.scenarios
        }
        scenarios = ScenarioSuite.filter(scenarios, pattern: arguments.value("filter"))
        if let shard = arguments.value("shard") {
            let parts = shard.split(separator: "/").compactMap { Int($0) }
            guard parts.count == 2, parts[1] >= 1, (1...parts[1]).contains(parts[0]) else {
                throw UsageError("--shard takes I/N with 1 ≤ I ≤ N, not '\(shard)'")
            }
            scenarios = ScenarioSuite.shard(scenarios, index: parts[0], count: parts[1])
        }
        return scenarios
    }

    static func placeholders(_ arguments: ParsedArguments) throws -> [String: String] {
        var values: [String: String] = [:]
        for assignment in arguments.allValues("set") {
            guard let equals = assignment.firstIndex(of: "="), equals != assignment.startIndex else {
                throw UsageError("--set takes NAME=VALUE, not '\(assignment)'")
            }
            values[String(assignment[..<equals])] = String(assignment[assignment.index(after: equals)...])
        }
        return values
    }

    /// The options of this run that a reproduce command must repeat: what shapes the app and the
    /// mock, not which scenarios ran or how.
    static func reproduceArguments(_ arguments: ParsedArguments) -> [String] {
        var words: [String] = []
        if let target = arguments.value("target") { words += ["--target", target] }
        if let folder = arguments.value("scenarios") { words += ["--scenarios", folder] }
        for file in arguments.allValues("scenario") { words += ["--scenario", file] }
        for assignment in arguments.allValues("set") { words += ["--set", assignment] }
        for argument in arguments.allValues("app-arg") { words.append("--app-arg=\(argument)") }
        if let fixtures = arguments.value("fixtures") { words += ["--fixtures", fixtures] }
        return words
    }

    static func execute(_ arguments: ParsedArguments) throws -> Int32 {
        let profile = try loadTarget(arguments)
        let scenarios = try selectScenarios(arguments)
        let repeatCount = try arguments.integer("repeat", in: 1...1000) ?? 1
        if arguments.has("check") {
            print(ProfileCheck(profile: profile, scenarios: scenarios, placeholders: try placeholders(arguments)).report)
            return ExitCode.success
        }
        if arguments.has("list") {
            for scenario in scenarios {
                let requires = scenario.requires.isEmpty ? "" : "  [requires \(scenario.requires.map(\.rawValue).joined(separator: ", "))]"
                print("\(scenario.id)  — \(scenario.title)\(requires)")
            }
            print("\(scenarios.count) scenario(s)")
            return ExitCode.success
        }
        guard !scenarios.isEmpty else { throw UsageError("no scenario matches the selection") }
        var configuration = IdPConfiguration()
        configuration.fixturesFile = arguments.value("fixtures")
        let seed: UInt64
        if let text = arguments.value("seed") {
            guard let value = UInt64(text) else { throw UsageError("--seed takes a whole number, not '\(text)'") }
            seed = value
        } else {
            seed = UInt64.random(in: 1...999_999)
        }
        configuration.seed = seed
        let jobs = try arguments.integer("jobs", in: 1...256) ?? ProcessInfo.processInfo.activeProcessorCount
        var options = RunOptions()
        options.repeatCount = repeatCount
        options.jobs = jobs
        let askedLanes = try arguments.integer("lanes", in: 1...64)
        // An app the runner does not start cannot get lanes; --check says why.
        let laneRefusal = profile.laneRefusal(placeholders: try placeholders(arguments))
        if let laneRefusal, let askedLanes, askedLanes > 1 { printError("mockidp run: --lanes \(askedLanes) has no effect: \(laneRefusal)") }
        let everyScenario = profile.start?.restart == .scenario
        let lanes = laneRefusal == nil ? askedLanes ?? LaneBudget.defaultCount(scenarios: scenarios, jobs: jobs, everyScenario: everyScenario) : 1
        options.lanes = lanes
        if let text = arguments.value("max-wait") {
            guard let seconds = Double(text), Limits.maxWait.contains(seconds) else {
                throw UsageError("--max-wait takes seconds from 0 to \(Int(Limits.maxWait.range.upperBound)), not '\(text)'")
            }
            options.maxWait = seconds
        }
        if let text = arguments.value("shuffle") {
            guard let seed = UInt64(text) else { throw UsageError("--shuffle takes a whole-number seed, not '\(text)'") }
            options.shuffleSeed = seed
        }
        // The previous run's reports go before anything starts: if this run dies without writing
        // its own, CI finds no report rather than an old green one.
        do {
            for option in ["json", "junit"] { if let path = arguments.value(option) { try ReportFile.removeStale(path) } }
        } catch {
            throw UsageError("--json/--junit: \(error.description)")
        }
        let runner = try ConformanceRunner(profile: profile, idpConfiguration: configuration, placeholders: try placeholders(arguments))
        defer { runner.stop() }
        // After the defer: the mock generates keys in the background, and stop waits for them.
        for scenario in scenarios { try scenario.checkFixtureReferences { runner.idp.directory.user(ref: $0) != nil } }
        let display =
            ProgressLine.wanted(
                environment: ProcessInfo.processInfo.environment, noColorFlag: arguments.has("no-color"), isTerminal: isatty(1) == 1)
            ? ProgressDisplay(total: scenarios.count * repeatCount) : nil
        let interruption = RunInterruption(scenarios: scenarios, repeatCount: repeatCount, targetName: profile.name, targetURL: profile.baseURL) {
            report in
            display?.stop()
            _ = writeReports(report, arguments)
            print(ConsoleReporter(color: false, trace: false).summary(report))
            fflush(nil)
        }
        interruption.arm()
        let console = ConsoleReporter(color: !arguments.has("no-color") && ConsoleReporter.colorWanted(), trace: arguments.has("trace"))
        options.started = { scenario, iteration in
            interruption.started(scenario, iteration: iteration)
            display?.started(iteration > 1 ? "\(scenario.id) (run \(iteration))" : scenario.id)
        }
        do {
            try runner.start()
            print(
                "mockidp run: \(scenarios.count) scenario(s) × \(repeatCount) against \(profile.name) at \(runner.app?.baseURL ?? profile.baseURL) (mock IdP at \(runner.idp.baseURL), seed \(seed), \(jobs) job(s)\(lanes > 1 ? ", up to \(lanes) lanes" : ""))"
            )
            fflush(nil)  // a CI log (a pipe) shows the run has started, not only once a scenario ends
            if !arguments.has("no-preflight") { try runner.preflight() }
        } catch {
            // A signal's handler stops the app, so start or preflight can fail *because* of it:
            // then the handler reports and exits, and this thread must not exit first.
            interruption.finish {}
            throw error
        }
        var index = 0
        display?.start()
        var report = runner.run(scenarios, options: options) { result in
            index += 1
            interruption.finished(result)
            let line = console.line(for: result, index: index, total: scenarios.count * repeatCount)
            if let display {
                let id = result.iteration > 1 ? "\(result.scenario.id) (run \(result.iteration))" : result.scenario.id
                display.finished(id, failed: result.verdict == .fail || result.verdict == .error, line: line)
            } else {
                print(line)
                fflush(nil)
            }
        }
        display?.stop()
        report.reproduction = Reproduction(arguments: reproduceArguments(arguments), seed: seed)
        let details = console.details(report)
        if !details.isEmpty { print(details) }
        var written = true
        interruption.finish { written = writeReports(report, arguments) }
        print(console.summary(report))
        if !written { return ExitCode.failure }
        return report.exitCode(strict: arguments.has("strict"))
    }

    /// Writes the requested reports; false (and a line on stderr) when one cannot be written.
    static func writeReports(_ report: RunReport, _ arguments: ParsedArguments) -> Bool {
        do {
            if let path = arguments.value("json") { try JSONReporter.write(report, to: path) }
            if let path = arguments.value("junit") { try JUnitReporter.write(report, to: path) }
            if let path = arguments.value("html") { try HTMLReporter.write(report, to: path) }
            return true
        } catch {
            printError("mockidp run: cannot write a report: \(error)")
            return false
        }
    }
}
