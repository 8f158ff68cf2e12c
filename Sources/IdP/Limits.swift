/// The one set of limits for every number that enters the mock: control API bodies, query
/// parameters, scenario and target-profile files, and CLI flags all check against these, so a
/// value is refused the same way wherever it comes from. Each range is chosen so the arithmetic
/// done with an accepted value (seconds to milliseconds, now plus offset) cannot overflow.
package enum Limits {
    /// ±100 years in seconds. Applies to `/_mock/tokens` `expires_in`, `not_before_in`,
    /// `issued_at_offset`, to `/_mock/clock` `offset` and `advance` (and the clock's resulting
    /// offset), and to the scenario `clock.advance` step. ×1000 and + now stay far below Int64.max.
    package static let timeOffsetSeconds = NumberRange("seconds", -3_155_760_000...3_155_760_000)
    /// `status` of a mock fault (`/_mock/faults`, scenario `idp_fault`).
    package static let faultStatus = NumberRange("HTTP status", 100...599)
    /// `latency_ms` of a mock fault: each delayed request holds its connection thread this long.
    package static let faultLatencyMillis = NumberRange("milliseconds", 0...60_000)
    /// `times` of a mock fault (omit it for until-cleared).
    package static let faultTimes = NumberRange("requests", 1...1_000_000)
    /// `GET /_mock/journal?limit=`: entries per page (default 1000).
    package static let journalPage = NumberRange("entries", 1...10_000)
    package static let journalPageDefault = 1000
    /// `GET /_mock/journal?since=`: a sequence number from an earlier page.
    package static let journalSince = NumberRange("sequence number", 0...Int64(Int32.max) * 1_000_000)
    /// `--journal-bytes`: what the journal may hold in total before the oldest entries go.
    package static let journalBytes = NumberRange("bytes", 65_536...4_294_967_296)
    /// Default journal budget: 32 MiB, a few hundred thousand ordinary requests.
    package static let journalBytesDefault = 32 << 20
    /// Bytes one journal entry keeps of its path, query or a header value; longer ones are cut
    /// with a marker giving the original length.
    package static let journalFieldBytes = 1024
    /// `--token-lifetime` (seconds).
    package static let tokenLifetime = NumberRange("seconds", 1...31_536_000)
    /// Scenario `wait.seconds`.
    package static let waitSeconds = DecimalRange("seconds", 0...30)
    /// `run --max-wait`: the longest a wait for the app's declared values (TTL, cooldown, leeway
    /// plus a margin) may sleep before the scenario is skipped instead.
    package static let maxWait = DecimalRange("seconds", 0...3600)
    /// Scenario `wait.jwks_ttl_plus` / `cooldown_plus`: a margin added to the profile's value.
    package static let waitMarginSeconds = DecimalRange("seconds", -30...30)
    /// Profile `leeway_seconds`, `jwks_cache_ttl_seconds`, `jwks_refetch_cooldown_seconds`.
    package static let profileSeconds = DecimalRange("seconds", 0...86_400)
    /// Profile `start.ready.timeout_seconds`.
    package static let readyTimeoutSeconds = DecimalRange("seconds", 0.1...600)
    /// Scenario `parallel.count`.
    package static let parallelCount = NumberRange("requests", 1...256)
    /// Scenario `repeat.times`.
    package static let repeatTimes = NumberRange("times", 1...1000)
    /// Faults armed at once through `/_mock/faults`: every request is checked against each.
    package static let armedFaults = 1000
    /// Sessions the mock keeps (minted tokens and sign-ins each make one); the oldest go first.
    package static let sessionCapacity = 10_000

    // Directory entries (users, organizations, memberships) created or updated over the WorkOS or
    // control API: every cap is at least what WorkOS itself accepts (external_id 64 characters,
    // metadata 10 pairs of 40 + 600 characters), so a correct app never meets one, and together
    // they bound the directory: at most ~100k × 8 KiB per kind, whatever is sent.
    /// `email`: RFC 5321's 64-byte local part, `@` and 255-byte domain.
    package static let emailBytes = 320
    /// Any other string in a directory body (names, external_id, locale, role slugs, metadata
    /// keys and values, domains, ...).
    package static let directoryFieldBytes = 1024
    /// `profile_picture_url`: URLs run longer than names.
    package static let pictureURLBytes = 4096
    /// Elements of an array or members of an object in a directory body (metadata, domains, roles).
    package static let directoryFieldItems = 100
    /// All strings of one directory body together.
    package static let directoryBodyBytes = 8192
    /// Entries the directory holds, per kind; a create past the cap is refused with 422.
    package static let maxUsers = 100_000
    package static let maxOrganizations = 100_000
    package static let maxMemberships = 200_000
    /// `GET /_mock/journal`: bytes of entries one page carries (at least one entry); the rest
    /// follows on the next page (`has_more`, `next_since`).
    package static let journalPageBytes = 2 << 20
    /// `GET /_mock/journal` pages built at once; further fetches wait their turn.
    package static let journalConcurrentPages = 4
    /// `truncate_body` of a mock fault: the answer's first N bytes are sent, the rest never is.
    package static let faultTruncateBytes = NumberRange("bytes", 0...1_048_576)
    /// `jwks_extra_keys` of a mock fault: generated keys appended to the published JWKS (20,000
    /// RSA-2048 keys are about 8 MiB, past any real JWKS).
    package static let faultJWKSExtraKeys = NumberRange("keys", 1...20_000)
    /// `omit_members` of a mock fault: top-level members removed from the route's JSON answer.
    package static let faultOmittedMembers = 32
    /// `pad_bytes` of a mock fault: bytes of padding added to a JSON answer (16 MiB at most).
    package static let faultPadBytes = NumberRange("bytes", 1...16_777_216)
    /// Profile `idp_timeout_seconds`: the mock can hold a request at most `faultLatencyMillis`,
    /// so a timeout it cannot outlast is refused when the profile loads.
    package static let idpTimeoutSeconds = DecimalRange("seconds", 0.1...50)
    /// Scenario `idp_fault.past_app_timeout_ms`: how far past the app's declared IdP timeout the
    /// mock holds the request (the sum stays within `faultLatencyMillis`).
    package static let faultPastTimeoutMillis = NumberRange("milliseconds", 0...10_000)
    /// Scenario `deadline.idp_timeout_plus`: the runner's margin past the app's declared IdP timeout.
    package static let deadlineMarginSeconds = DecimalRange("seconds", 0...30)
}

/// A whole-number range with its unit, producing the one message every caller shows.
package struct NumberRange: Sendable {
    package let unit: String
    package let range: ClosedRange<Int64>

    package init(_ unit: String, _ range: ClosedRange<Int64>) {
        self.unit = unit
        self.range = range
    }

    package func contains(_ value: Int64) -> Bool { range.contains(value) }

    /// `expires_in must be a whole number from -3155760000 to 3155760000 (seconds), got 9223372036854775807`
    package func message(_ field: String, got: String) -> String {
        "\(field) must be a whole number from \(range.lowerBound) to \(range.upperBound) (\(unit)), got \(got)"
    }

    /// Clamps instead of refusing, for arithmetic on values already inside the mock.
    package func clamp(_ value: Int64) -> Int64 { min(max(value, range.lowerBound), range.upperBound) }
}

/// A decimal range (seconds that may be fractional) with its unit.
package struct DecimalRange: Sendable {
    package let unit: String
    package let range: ClosedRange<Double>

    package init(_ unit: String, _ range: ClosedRange<Double>) {
        self.unit = unit
        self.range = range
    }

    /// NaN and infinities are outside every range.
    package func contains(_ value: Double) -> Bool { value.isFinite && range.contains(value) }

    package func message(_ field: String, got: String) -> String {
        "\(field) must be a number from \(Self.format(range.lowerBound)) to \(Self.format(range.upperBound)) (\(unit)), got \(got)"
    }

    static func format(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
    }
}

extension ClosedRange where Bound: Comparable {
    /// The nearest value inside the range.
    package func clamp(_ value: Bound) -> Bound { Swift.min(Swift.max(value, lowerBound), upperBound) }
}

extension Int64 {
    /// `self + other`, pinned to Int64.min/max instead of trapping.
    package func saturatingAdd(_ other: Int64) -> Int64 {
        let (sum, overflow) = addingReportingOverflow(other)
        return overflow ? (other > 0 ? .max : .min) : sum
    }
}
