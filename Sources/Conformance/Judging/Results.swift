import HTTP
import JSON

package enum Verdict: String, Sendable {
    case pass, fail, error, skipped
    /// The scenario (or one of its checks) needs something this app's profile does not offer:
    /// a hook, or a value the profile does not map. Never a failure unless `--strict`.
    case notApplicable = "not_applicable"
}

/// One request the runner sent and what came back, kept for the report.
package struct Exchange: Sendable {
    package var step: String
    package var method: String
    package var url: String
    package var requestHeaders: [(name: String, value: String)]
    package var requestBody: String
    package var status: Int?
    /// Kept as bytes: most exchanges are never reported, so they are decoded only when read.
    package var responseBytes: [UInt8]
    package var error: String?
    package var micros: Int
    /// Response headers worth reading in a report (`Location`, `Set-Cookie`, `Content-Type`).
    package var responseHeaders: [(name: String, value: String)] = []
    /// What the mock answered the app with 4xx/5xx while this request was in flight.
    package var idpAnswers: [String] = []
    /// The token as sent (the console shows it cut; JSON and --trace in full).
    package var tokenText: String? = nil
    /// For a racer of a `parallel` step: when it connected, sent, saw its first byte and finished.
    package var race: RaceTiming? = nil
    /// Set on the marker standing where a long scenario's transcript dropped exchanges: how many.
    package var dropped: Int? = nil

    package init(
        step: String, method: String, url: String, requestHeaders: [(name: String, value: String)], requestBody: String,
        tokenText: String? = nil, status: Int? = nil, responseBody: [UInt8] = [], error: String? = nil, micros: Int = 0
    ) {
        self.step = step
        self.method = method
        self.url = url
        self.requestHeaders = requestHeaders
        self.requestBody = requestBody
        self.tokenText = tokenText
        self.status = status
        responseBytes = responseBody
        self.error = error
        self.micros = micros
    }

    package var responseBody: String { String(decoding: responseBytes, as: UTF8.self) }

    /// The token's header and claims, decoded for people (not verified).
    package var token: JSONValue? { tokenText.map(ScenarioContext.decodeForReport) }

    package var json: JSONValue {
        var object: JSONObject = [
            "step": .string(step), "method": .string(method), "url": .string(url),
            "request_headers": .object(JSONObject(requestHeaders.map { (key: $0.name, value: JSONValue.string($0.value)) })),
            "request_body": .string(requestBody),
        ]
        object["token"] = token ?? .null
        object["token_text"] = tokenText.map(JSONValue.string) ?? .null
        object["status"] = status.map { .int(Int64($0)) } ?? .null
        object["response_body"] = .string(responseBody)
        object["error"] = error.map(JSONValue.string) ?? .null
        object["micros"] = .int(Int64(micros))
        object["response_headers"] = .object(JSONObject(responseHeaders.map { (key: $0.name, value: JSONValue.string($0.value)) }))
        object["idp_answers"] = .array(idpAnswers.map(JSONValue.string))
        if let race { object["race"] = race.json }
        if let dropped { object["dropped_exchanges"] = .int(Int64(dropped)) }
        return .object(object)
    }
}

/// A failed check: where, what was expected, what was seen, and why it matters.
package struct Finding: Sendable {
    package var step: String
    package var message: String
    package var because: String?
    /// The responses the failed check read: the console shows their requests first.
    package var responses: [String] = []

    package var json: JSONValue {
        ["step": .string(step), "message": .string(message), "because": because.map(JSONValue.string) ?? .null]
    }
}

package struct ScenarioResult: Sendable {
    package var scenario: Scenario
    package var verdict: Verdict
    package var seconds: Double
    package var findings: [Finding] = []
    /// For skipped (a wait over --max-wait), not applicable (what the profile lacks) and error
    /// (harness or app problem) verdicts.
    package var reason: String?
    package var transcript: [Exchange] = []
    /// Which repetition this was, with --repeat.
    package var iteration: Int = 1
    /// Of `seconds`, the time asleep in declared waits (wait steps, a rotated key's cache settling).
    package var waitedSeconds: Double = 0
}

package struct RunReport: Sendable {
    package var targetName: String
    package var targetURL: String
    package var results: [ScenarioResult]
    package var seconds: Double
    package var startedAtMillis: Int64
    /// How to re-run one scenario of this run on its own; reports print it under each failure.
    package var reproduction: Reproduction? = nil

    package func count(_ verdict: Verdict) -> Int { results.filter { $0.verdict == verdict }.count }

    /// 0 all selected passed (skips and not-applicable allowed unless strict), 1 a failure,
    /// 3 the app unreachable.
    package func exitCode(strict: Bool) -> Int32 {
        if results.contains(where: { $0.verdict == .error && ($0.reason ?? "").hasPrefix("app unreachable") }) { return 3 }
        if count(.fail) > 0 || count(.error) > 0 { return 1 }
        if strict && (count(.skipped) > 0 || count(.notApplicable) > 0) { return 1 }
        return 0
    }
}
