/// Why a scenario stopped before its last step: the one error its steps and checks throw. What
/// the verdict becomes is decided in one place (`ScenarioEnding.result`).
enum ScenarioStop: Error, Equatable, CustomStringConvertible {
    /// The profile lacks what a step or check needs (a hook, a mapped value): not applicable,
    /// never failed.
    case notApplicable(String)
    /// A wait longer than `--max-wait`: skipped with a reason naming the profile value that asks
    /// for it, rather than cut short.
    case tooLong(String)
    /// A harness problem (an unknown name, the IdP refused a setup call) or an app that could not
    /// complete a login at all: an error verdict, before the suite a preflight failure.
    case harness(String)

    var description: String {
        switch self {
        case .notApplicable(let reason), .tooLong(let reason), .harness(let reason): return reason
        }
    }

    var isNotApplicable: Bool {
        if case .notApplicable = self { return true }
        return false
    }
}

/// What a scenario's checks found: failures, and checks that could not be read from this app.
struct Findings {
    private(set) var failed: [Finding] = []
    /// Checks that could not be evaluated against this app, with the reason.
    private(set) var notApplicable: [String] = []
    /// Checks that did not hold but whose rule allows what the app did (shown with a pass).
    private(set) var notes: [String] = []

    mutating func note(_ text: String) { notes.append(text) }

    /// Records what one check gave: nil (it held), a failure sentence, or a stop.
    mutating func record(_ expectation: Expectation, _ evaluate: () throws -> String?) throws {
        do {
            let failure = try evaluate()
            if let failure, expectation.premise {
                notApplicable.append("\(expectation.step): the premise did not hold: \(failure)")
            } else if let failure {
                failed.append(Finding(step: expectation.step, message: failure, because: expectation.because, responses: expectation.responseNames))
            }
        } catch ScenarioStop.notApplicable(let reason) {
            // The check cannot be read from this app; the rest of the scenario still runs.
            notApplicable.append("\(expectation.step): \(reason)")
        }
    }
}

/// How a scenario ended, read by the one rule that turns it into a verdict.
struct ScenarioEnding {
    /// Whether its steps began (after the capability, wait and isolation checks and the reset).
    var started: Bool
    /// What stopped it early; nil when every step ran.
    var stop: (any Error)?
    var findings = Findings()
    /// The app's process had exited by the end (only known for an app the runner watches).
    var appExited = false

    /// The verdict: not applicable, skipped or an error for a scenario that never started; once
    /// started, a stop or the findings decide, and an app that exited makes any outcome an error.
    func result(_ scenario: Scenario, seconds: Double, transcript: [Exchange], appLog: () -> String) -> ScenarioResult {
        let failed = findings.failed
        func verdict(_ verdict: Verdict, _ reason: String? = nil, findings: [Finding] = []) -> ScenarioResult {
            ScenarioResult(
                scenario: scenario, verdict: verdict, seconds: started ? seconds : 0, findings: findings, reason: reason,
                transcript: started ? transcript : [])
        }
        switch stop {
        case ScenarioStop.notApplicable(let reason)?:
            // A failure already found stands: the app failed before the part it cannot do.
            return started && !failed.isEmpty ? verdict(.fail, findings: failed) : verdict(.notApplicable, reason)
        case ScenarioStop.tooLong(let reason)?:
            return verdict(.skipped, reason)
        case let error?:
            guard started else { return verdict(.error, "\(error)") }
            let reason = appExited ? "app unreachable: the app exited during the scenario (\(error))\n\(appLog())" : "\(error)"
            return verdict(.error, reason, findings: failed)
        case nil:
            if appExited {
                return verdict(.error, "app unreachable: the app exited during the scenario\n\(appLog())", findings: failed)
            }
            if failed.isEmpty, !findings.notApplicable.isEmpty {
                // Every check that could be read held, but one that decides the verdict could not be read.
                let reasons = findings.notApplicable.reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
                return verdict(.notApplicable, reasons.joined(separator: "; "))
            }
            if failed.isEmpty, !findings.notes.isEmpty { return verdict(.pass, findings.notes.joined(separator: "; ")) }
            return verdict(failed.isEmpty ? .pass : .fail, findings: failed)
        }
    }
}
