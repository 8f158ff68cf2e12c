import JSON

/// Decides `accepted`, `refused` and `not_5xx` from the profile's idea of what *signed in* and
/// *refused* look like, so one scenario file holds for a JSON API and a server-rendered app.
struct OutcomeJudge {
    let profile: TargetProfile

    /// nil when `wanted` holds for `captured`; a sentence otherwise.
    func failure(_ wanted: Outcome, _ captured: Captured, label: String) throws -> String? {
        if let error = captured.error { return "\(label): expected \(wanted.rawValue), got no answer (\(error))" }
        let server = captured.allStatuses.filter { $0 >= 500 }
        switch wanted {
        case .not5xx:
            return server.isEmpty ? nil : "\(label): expected no 5xx, got \(describe(captured))"
        case .accepted:
            let signedIn = try isSignedIn(captured)
            return signedIn ? nil : "\(label): expected the login to be accepted (\(acceptedRule)), got \(describe(captured))"
        case .acceptedWhileCached:
            if (profile.jwksCacheTTLSeconds ?? 0) > 0 { return try failure(.accepted, captured, label: label) }
            // No cached keys: an honest answer to an unverifiable token (RFC 9110 §15.6.3-5) or the token accepted.
            let upstream: StatusPattern = [502, 503, 504]
            if upstream.matches(captured.status), server.allSatisfy({ upstream.matches($0) }) { return nil }
            if try isSignedIn(captured) && server.isEmpty { return nil }
            guard try failure(.refused, captured, label: label) != nil else { return nil }
            return "\(label): the profile declares no JWKS cache (jwks_cache_ttl_seconds 0), so the token may be accepted, refused "
                + "(\(refusedRule)) or answered 502/503/504, got \(describe(captured))"
        case .refused:
            if !server.isEmpty { return "\(label): expected a refusal (\(refusedRule)), got a server error: \(describe(captured))" }
            if try isSignedIn(captured) { return "\(label): expected a refusal, but the user is signed in: \(describe(captured))" }
            guard profile.outcomes.refusedStatus.matches(captured.status) else {
                return "\(label): expected a refusal (\(refusedRule)), got \(describe(captured))"
            }
            return nil
        }
    }

    func isSignedIn(_ captured: Captured) throws -> Bool {
        guard let signedInStatus = profile.outcomes.signedInStatus else {
            throw ScenarioStop.notApplicable(
                "the profile cannot tell a signed-in user from a refused one: add a probe (e.g. GET /account) or outcomes.signed_in_status")
        }
        guard signedInStatus.matches(captured.status) else { return false }
        guard let probe = profile.probe else { return true }
        return probe.signedInStatus.matches(captured.probe?.status)
    }

    var acceptedRule: String {
        let status = profile.outcomes.signedInStatus?.description ?? "?"
        guard let probe = profile.probe else { return "status \(status)" }
        return "status \(status), then \(probe.call.method) \(probe.call.path) answering \(probe.signedInStatus)"
    }

    var refusedRule: String {
        "status \(profile.outcomes.refusedStatus), never 5xx" + (profile.probe == nil ? "" : ", and the probe not signed in")
    }

    private func describe(_ captured: Captured) -> String {
        var text = captured.chain.count > 1 ? captured.chain.map(String.init).joined(separator: " → ") : String(captured.status ?? 0)
        let body = captured.bodyText
        if !body.isEmpty { text += " " + (body.count > 200 ? String(body.prefix(200)) + "…" : body) }
        if let probe = captured.probe, let path = profile.probe?.call.path {
            let probeBody = String(decoding: probe.body.prefix(200), as: UTF8.self)
            text += "; probe \(path) → \(probe.status.map(String.init) ?? "no answer") \(probeBody)"
        }
        return text
    }
}
