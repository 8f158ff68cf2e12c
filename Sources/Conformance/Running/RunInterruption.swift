import Dispatch
import FoundationEssentials
import Glibc
import HTTP
import Synchronization

/// What `mockidp run` does on SIGINT or SIGTERM (a cancelled CI job, a timeout, Ctrl-C): stop
/// every app it started, write the reports with what finished so far and every scenario that
/// did not finish marked `error`, and exit 128+signal. Signals are taken on a thread of their own,
/// so this happens at once even while the main thread sleeps in a `wait` step.
package final class RunInterruption: Sendable {
    private let planned: [(scenario: Scenario, iteration: Int)]
    private let target: (name: String, url: String)
    private let started = Date()
    private enum Phase {
        case running([ScenarioResult])
        /// A signal arrived: its handler writes the reports; late results are ignored (a scenario
        /// that fails because its app was just stopped must not report that as its verdict).
        case interrupted
        /// The run ended normally and wrote its own reports.
        case finished
    }

    private let phase = Mutex(Phase.running([]))
    /// Scenarios (by `key`) the runner has taken up: unfinished at a signal, these were
    /// interrupted and the rest never started.
    private let begun = Mutex(Set<String>())
    private let write: @Sendable (RunReport) -> Void

    /// `write` gets the partial report (reports to files, summary to the console).
    package init(scenarios: [Scenario], repeatCount: Int, targetName: String, targetURL: String, write: @escaping @Sendable (RunReport) -> Void) {
        planned = (1...max(1, repeatCount)).flatMap { iteration in scenarios.map { (scenario: $0, iteration: iteration) } }
        target = (targetName, targetURL)
        self.write = write
    }

    /// From now on SIGINT, SIGTERM and SIGHUP end the run this way (a signal that came earlier
    /// is still pending: `main` blocks them before anything starts).
    package func arm() {
        TerminationSignals.observe { [self] signalNumber in interrupt(by: signalNumber) }
    }

    /// The runner took up this scenario (its isolation, reset and steps follow).
    package func started(_ scenario: Scenario, iteration: Int) {
        _ = begun.withLock { $0.insert(Self.key(scenario, iteration)) }
    }

    package func finished(_ result: ScenarioResult) {
        phase.withLock { phase in
            if case .running(var results) = phase {
                results.append(result)
                phase = .running(results)
            }
        }
    }

    /// Writes the final reports with `body` unless a signal came first, in which case the
    /// handler writes them and ends the process, and this never returns. A signal arriving while
    /// `body` runs waits for it, so a report file is never written twice at once.
    package func finish(_ body: () -> Void) {
        let mine = phase.withLock { phase -> Bool in
            guard case .running = phase else { return false }
            phase = .finished
            body()
            return true
        }
        if !mine { while true { pause() } }
    }

    /// By id as well as file: one file may hold several scenarios (a matrix), and keyed by file
    /// alone all but the first of them vanished from the report.
    static func key(_ scenario: Scenario, _ iteration: Int) -> String { "\(scenario.file)#\(scenario.id)#\(iteration)" }

    /// The report as if the run ended now: unfinished scenarios are `error`, "interrupted" when
    /// they were running and "not started" when their turn had not come.
    func partialReport(_ finished: [ScenarioResult], signal signalNumber: Int32) -> RunReport {
        var done = finished
        let name =
            signalNumber == SIGINT ? "SIGINT" : signalNumber == SIGTERM ? "SIGTERM" : signalNumber == SIGHUP ? "SIGHUP" : "signal \(signalNumber)"
        let takenUp = begun.withLock { $0 }
        var seen = Set(done.map { Self.key($0.scenario, $0.iteration) })
        for (scenario, iteration) in planned where seen.insert(Self.key(scenario, iteration)).inserted {
            let stop =
                takenUp.contains(Self.key(scenario, iteration))
                ? ScenarioStop.harness("interrupted: the run received \(name) while this scenario was running")
                : ScenarioStop.harness("not started: the run received \(name) before this scenario's turn")
            var result = ScenarioEnding(started: false, stop: stop).result(scenario, seconds: 0, transcript: []) { "" }
            result.iteration = iteration
            done.append(result)
        }
        return RunReport(
            targetName: target.name, targetURL: target.url, results: done, seconds: Date().timeIntervalSince(started),
            startedAtMillis: Int64(started.timeIntervalSince1970 * 1000))
    }

    private func interrupt(by signalNumber: Int32) {
        let finished = phase.withLock { phase -> [ScenarioResult]? in
            guard case .running(let results) = phase else { return nil }
            phase = .interrupted
            return results
        }
        AppProcessGroup.killAll()
        // nil: the run had already written its reports (or another signal is writing them).
        if let finished { write(partialReport(finished, signal: signalNumber)) }
        fflush(nil)
        // _exit, not exit: the main thread is still running a scenario, and exit's teardown of
        // globals under its feet can crash; everything worth keeping is written and flushed.
        _exit(128 + signalNumber)
    }
}
