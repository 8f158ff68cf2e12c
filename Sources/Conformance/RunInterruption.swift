import Dispatch
import Foundation
import Glibc
import Synchronization

/// What `mockidp run` does on SIGINT or SIGTERM (a cancelled CI job, a timeout, Ctrl-C): stop
/// every app it started, write the reports with what finished so far and every scenario that
/// did not finish marked `error`, and exit 128+signal. Signals are taken on a dispatch queue, so
/// this happens at once even while the main thread sleeps in a `wait` step.
public final class RunInterruption: Sendable {
    private let planned: [(scenario: Scenario, iteration: Int)]
    private let target: (name: String, url: String)
    private let started = Date()
    /// Results so far; nil once interrupted, so a scenario that fails because its app was just
    /// stopped does not report that as its verdict.
    private let results = Mutex<[ScenarioResult]?>([])
    private let write: @Sendable (RunReport) -> Void
    private let sources = Mutex<[DispatchSourceSignal]>([])

    /// `write` gets the partial report (reports to files, summary to the console).
    public init(scenarios: [Scenario], repeatCount: Int, targetName: String, targetURL: String, write: @escaping @Sendable (RunReport) -> Void) {
        planned = (1...max(1, repeatCount)).flatMap { iteration in scenarios.map { (scenario: $0, iteration: iteration) } }
        target = (targetName, targetURL)
        self.write = write
    }

    /// From now on SIGINT and SIGTERM end the run this way.
    public func arm() {
        sources.withLock { sources in
            for signalNumber in [SIGINT, SIGTERM] {
                signal(signalNumber, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
                source.setEventHandler { [self] in interrupt(by: signalNumber) }
                source.resume()
                sources.append(source)
            }
        }
    }

    public func finished(_ result: ScenarioResult) {
        results.withLock { $0?.append(result) }
    }

    /// The report as if the run ended now: unfinished scenarios are `error`.
    public func partialReport(signal signalNumber: Int32) -> RunReport {
        var done = results.withLock { results in
            defer { results = nil }
            return results ?? []
        }
        let name = signalNumber == SIGINT ? "SIGINT" : signalNumber == SIGTERM ? "SIGTERM" : "signal \(signalNumber)"
        var finished = Set(done.map { "\($0.scenario.file)#\($0.iteration)" })
        for (scenario, iteration) in planned where finished.insert("\(scenario.file)#\(iteration)").inserted {
            var result = ScenarioResult(scenario: scenario, verdict: .error, seconds: 0, reason: "interrupted: the run received \(name) before this scenario finished")
            result.iteration = iteration
            done.append(result)
        }
        return RunReport(targetName: target.name, targetURL: target.url, results: done, seconds: Date().timeIntervalSince(started),
                         startedAtMillis: Int64(started.timeIntervalSince1970 * 1000))
    }

    private func interrupt(by signalNumber: Int32) {
        let report = partialReport(signal: signalNumber)
        AppProcess.killAll()
        write(report)
        exit(128 + signalNumber)
    }
}
