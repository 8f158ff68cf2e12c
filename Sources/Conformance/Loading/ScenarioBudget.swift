import IdP

/// The work one scenario may ask for, checked at load. Each `repeat.times` and `parallel.count`
/// is in range on its own, but nested they multiply (three repeats of 1000 are 10⁹ iterations),
/// so the totals of a whole scenario, multiplied through every enclosing `repeat`, have ceilings
/// too. The built-in suite's largest figures (`ScenarioBudgetTests`) stay below a fiftieth of each.
/// Documented in scenarios/README.md ("Work budget").
struct ScenarioBudget {
    /// Steps executed, every step of a `repeat` counted once per iteration (the `repeat` too).
    static let maxSteps: Int64 = 10_000
    /// Requests to the app: a login (`callback`), `probe`, `logout`, `request`, `credentials`,
    /// `app_fault` and an `expect` reading the introspection hook count one each (a login's
    /// redirect chain is one), a `parallel` step its `count`.
    static let maxRequests: Int64 = 20_000
    /// Seconds of waiting the file declares: `wait.seconds` and the positive margins of waits
    /// relative to the profile. The profile's own values (and `until_expired`) are not known at
    /// load; each such wait is held to `--max-wait` when it runs, and counts as a step here.
    static let maxWaitSeconds: Double = 600
    /// Bytes of exchanges a scenario's transcript keeps (first and latest, half each); the
    /// middle of a longer one is dropped with a marker saying how many (`Transcript`).
    static let maxTranscriptBytes = 8 << 20

    enum Measure: String {
        case steps, requests
        case waitSeconds = "declared wait seconds"
    }

    private(set) var steps: Int64 = 0
    private(set) var requests: Int64 = 0
    private(set) var waitSeconds: Double = 0

    /// The totals of `steps`, or the error naming the step at which a total passes its ceiling.
    static func measure(_ steps: [Step], file: String) throws(ConfigError) -> ScenarioBudget {
        var whole = ScenarioBudget()
        try whole.add(steps, prefix: "steps", times: 1, repeats: [], file: file, whole: nil)
        guard whole.exceeded != nil else { return whole }
        // Again, to name the step where the running total passes the ceiling.
        var partial = ScenarioBudget()
        try partial.add(steps, prefix: "steps", times: 1, repeats: [], file: file, whole: whole)
        return whole
    }

    /// `prefix` names the steps as the loader does (`steps[0].repeat.steps[1]`). With `whole`
    /// (the scenario's totals), throws at the step where a running total passes its ceiling.
    private mutating func add(
        _ list: [Step], prefix: String, times: Int64, repeats: [Int], file: String,
        whole: ScenarioBudget?
    ) throws(ConfigError) {
        for (index, step) in list.enumerated() {
            let location = "\(prefix)[\(index)]"
            steps = steps.saturatingAdd(times)
            requests = requests.saturatingAdd(Self.saturatingMultiply(times, step.requestsSent))
            waitSeconds += Double(times) * step.declaredWaitSeconds
            if let whole, let measure = exceeded {
                let nesting = repeats.isEmpty ? "" : ", inside repeats of \(repeats.map(String.init).joined(separator: " × "))"
                let message =
                    "exceeds the scenario work budget: the scenario asks for \(whole.figure(measure)) \(measure.rawValue) in all, "
                    + "more than the \(Self.ceiling(measure)) one scenario may, and passes that here\(nesting); use fewer or smaller repeats"
                throw ConfigError(file: file, step: location, field: step.kind.rawValue, message: message)
            }
            if case .repeatBlock(let count, let inner) = step {
                try add(
                    inner, prefix: "\(location).repeat.steps", times: Self.saturatingMultiply(times, Int64(count)), repeats: repeats + [count],
                    file: file, whole: whole)
            }
        }
    }

    /// The first total past its ceiling.
    private var exceeded: Measure? {
        if steps > Self.maxSteps { return .steps }
        if requests > Self.maxRequests { return .requests }
        if waitSeconds > Self.maxWaitSeconds { return .waitSeconds }
        return nil
    }

    private func figure(_ measure: Measure) -> String {
        switch measure {
        case .steps: return steps == .max ? "over \(Int64.max)" : String(steps)
        case .requests: return requests == .max ? "over \(Int64.max)" : String(requests)
        case .waitSeconds: return waitSeconds < 1e15 ? String(Int64(waitSeconds.rounded(.up))) : "over 10^15"
        }
    }

    private static func ceiling(_ measure: Measure) -> String {
        switch measure {
        case .steps: return String(maxSteps)
        case .requests: return String(maxRequests)
        case .waitSeconds: return String(Int64(maxWaitSeconds))
        }
    }

    static func saturatingMultiply(_ left: Int64, _ right: Int64) -> Int64 {
        let (product, overflow) = left.multipliedReportingOverflow(by: right)
        return overflow ? .max : product
    }
}

extension Step {
    /// Requests this step sends to the app, for the work budget (a login counts as one).
    var requestsSent: Int64 {
        switch self {
        case .callback, .probe, .logout, .request, .credentials, .appFault: return 1
        case .parallel(let step): return Int64(step.count)
        case .expect(let expectation): return expectation.readsIntrospection ? 1 : 0
        case .user, .mint, .cookies, .revokeSession, .keys, .idpFault, .clock, .wait, .waitUntilExpired, .mark, .jwtTemplate, .repeatBlock,
            .deadline, .tokenOverride, .replayRefresh:
            return 0
        }
    }

    /// The seconds a `wait` declares in the file itself (not the profile's part of it).
    var declaredWaitSeconds: Double {
        guard case .wait(let seconds, let ttlPlus, let cooldownPlus, let leewayPlus) = self else { return 0 }
        return [seconds, ttlPlus, cooldownPlus, leewayPlus].reduce(0) { $0 + max(0, $1 ?? 0) }
    }
}

extension Expectation {
    var readsIntrospection: Bool {
        switch subject {
        case .introspect: return true
        case .anyOf(let list), .allOf(let list): return list.contains { $0.readsIntrospection }
        case .response, .responses, .same, .journal, .idpSession, .canary: return false
        }
    }
}
