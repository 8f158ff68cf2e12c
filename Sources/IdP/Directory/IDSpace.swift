import JOSE
import Synchronization

/// The prefixes of the IdP's own identifiers (`<prefix>_<ULID>`), as WorkOS spells them.
package enum IdPPrefix: String, Sendable, CaseIterable {
    case user = "user"
    case organization = "org"
    case membership = "om"
    case session = "session"
    case connection = "conn"
    case organizationDomain = "org_domain"
    case client = "client"
    case keyPair = "sso_oidc_key_pair"
    case role = "role"
    case requestID = "req"
    /// The mock's own armed faults (not a WorkOS object).
    case fault = "fault"
}

/// Which of the two disjoint ID spaces a string belongs to.
package enum IDSpace: String, Sendable {
    /// `user_…`, `org_…`: the IdP's identifiers.
    case idp
    /// UUIDs: the app's own identifiers, carried as `external_id` on IdP objects.
    case app
    case unknown

    package static func of(_ value: String) -> IDSpace {
        if IdPID.parse(value) != nil { return .idp }
        if AppID.isUUID(value) { return .app }
        return .unknown
    }
}

package enum IdPID {
    static let crockford: [UInt8] = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ".utf8)

    /// Splits `org_01H…` into its prefix and ULID, or nil when it is not an IdP ID.
    package static func parse(_ value: String) -> (prefix: IdPPrefix, ulid: Substring)? {
        guard value.utf8.count > 27, let underscore = value.utf8.lastIndex(of: UInt8(ascii: "_")) else { return nil }
        let prefixText = value[..<underscore]
        let ulid = value[value.index(after: underscore)...]
        guard let prefix = IdPPrefix(rawValue: String(prefixText)), isULID(ulid) else { return nil }
        return (prefix, ulid)
    }

    package static func isULID(_ text: Substring) -> Bool {
        text.utf8.count == 26 && text.utf8.allSatisfy { crockford.contains($0) } && (text.utf8.first ?? 0x38) <= UInt8(ascii: "7")
    }

    package static func has(prefix: IdPPrefix, _ value: String) -> Bool {
        parse(value)?.prefix == prefix
    }
}

package enum AppID {
    /// RFC 4122 text form, any version, either case.
    package static func isUUID(_ value: String) -> Bool {
        let bytes = Array(value.utf8)
        guard bytes.count == 36 else { return false }
        for (index, byte) in bytes.enumerated() {
            if [8, 13, 18, 23].contains(index) {
                guard byte == UInt8(ascii: "-") else { return false }
            } else {
                guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte | 0x20) else {
                    return false
                }
            }
        }
        return true
    }
}

/// SplitMix64: small, fast and good enough to make seeded runs reproducible. Not for secrets.
package struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var state: UInt64
    package init(seed: UInt64) { state = seed }
    package mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Makes every identifier the mock hands out. Seeded, it is fully deterministic: the ULID time
/// part comes from a fixed epoch plus a counter instead of the wall clock, so two runs with the
/// same seed produce the same IDs byte for byte.
package final class IDGenerator: Sendable {
    private struct State {
        var seeded: SeededGenerator?
        /// Unseeded draws read kernel randomness fetched 256 bytes at a time: one getrandom(2)
        /// per 32 draws, not one per draw (an opaque secret takes a draw per character, under
        /// this lock).
        var pool: [UInt8] = []
        var poolIndex = 0
        var lastMillis: UInt64 = 0
        var lastHigh: UInt64 = 0
        var lastLow: UInt64 = 0
        var counter: UInt64 = 0

        mutating func random() -> UInt64 {
            if let value = seeded?.next() { return value }
            if poolIndex + 8 > pool.count {
                pool = SecureRandom.bytes(256)
                poolIndex = 0
            }
            defer { poolIndex += 8 }
            return pool[poolIndex..<poolIndex + 8].reduce(0) { $0 << 8 | UInt64($1) }
        }
    }

    /// 2026-01-01T00:00:00Z, the time base of seeded IDs.
    static let seededEpochMillis: UInt64 = 1_767_225_600_000
    private let state: Mutex<State>
    package let seed: UInt64?

    package init(seed: UInt64? = nil) {
        self.seed = seed
        state = Mutex(State(seeded: seed.map { SeededGenerator(seed: $0) }))
    }

    /// A ULID that sorts in creation order: within one millisecond the random part counts up
    /// from the previous ID, as the ULID spec's monotonic mode does.
    package func ulid() -> String {
        let (millis, high, low) = state.withLock { state -> (UInt64, UInt64, UInt64) in
            if state.seeded != nil {
                state.counter += 1
                return (Self.seededEpochMillis + state.counter, state.random() & 0xFFFF, state.random())
            }
            let now = UInt64(max(0, MockClock.systemMillis()))
            if now > state.lastMillis {
                state.lastMillis = now
                state.lastHigh = state.random() & 0xFFFF
                state.lastLow = state.random()
            } else {
                // Same (or an earlier) millisecond: keep the time, add one to the 80-bit random part.
                let (sum, overflow) = state.lastLow.addingReportingOverflow(1)
                state.lastLow = sum
                if overflow { state.lastHigh = (state.lastHigh + 1) & 0xFFFF }
            }
            return (state.lastMillis, state.lastHigh, state.lastLow)
        }
        return Self.encodeULID(millis: millis, randomHigh16: high, randomLow64: low)
    }

    package func id(_ prefix: IdPPrefix) -> String { "\(prefix.rawValue)_\(ulid())" }

    private let requestCounter = Atomic<UInt64>(0)
    private let requestSalt = UInt64.random(in: .min ... .max)

    /// `req_<ULID>` for `X-Request-ID`, made on every request without a lock or a syscall: the
    /// random part is a SplitMix of an atomic counter, unique per process, not sortable within a
    /// millisecond (nothing sorts request IDs).
    package func requestID() -> String {
        let count = requestCounter.wrappingAdd(1, ordering: .relaxed).oldValue
        var mixer = SeededGenerator(seed: (seed ?? requestSalt) ^ (count &* 0x9E37_79B9_7F4A_7C15))
        let millis = seed != nil ? Self.seededEpochMillis + count : UInt64(max(0, MockClock.systemMillis()))
        return "req_" + Self.encodeULID(millis: millis, randomHigh16: mixer.next() & 0xFFFF, randomLow64: mixer.next())
    }

    /// A version-4 UUID in lowercase text form: the shape of app-side IDs.
    package func uuid() -> String {
        let (a, b) = state.withLock { ($0.random(), $0.random()) }
        var bytes = [UInt8](repeating: 0, count: 16)
        for index in 0..<8 {
            bytes[index] = UInt8(truncatingIfNeeded: a >> (56 - 8 * index))
            bytes[8 + index] = UInt8(truncatingIfNeeded: b >> (56 - 8 * index))
        }
        bytes[6] = (bytes[6] & 0x0F) | 0x40
        bytes[8] = (bytes[8] & 0x3F) | 0x80
        let hex = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(36)
        for (index, byte) in bytes.enumerated() {
            if [4, 6, 8, 10].contains(index) { out.append(UInt8(ascii: "-")) }
            out.append(hex[Int(byte >> 4)])
            out.append(hex[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// An opaque URL-safe secret (refresh tokens, codes), `length` characters of base62.
    package func opaque(length: Int = 32) -> String {
        let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".utf8)
        return state.withLock { state in
            String(decoding: (0..<length).map { _ in alphabet[Int(state.random() % 62)] }, as: UTF8.self)
        }
    }

    package func randomUInt64() -> UInt64 { state.withLock { $0.random() } }

    static func encodeULID(millis: UInt64, randomHigh16: UInt64, randomLow64: UInt64) -> String {
        // 128 bits: 48 of time, 80 of randomness, written as 26 base32 digits (the first holds 3 bits).
        let high: UInt64 = (millis << 16) | (randomHigh16 & 0xFFFF)
        let low: UInt64 = randomLow64
        var out = [UInt8](repeating: 0, count: 26)
        for index in 0..<26 {
            let shift = 125 - 5 * index
            let value: UInt64
            if shift >= 64 {
                value = high >> UInt64(shift - 64)
            } else if shift > 59 {
                value = (high << UInt64(64 - shift)) | (low >> UInt64(shift))
            } else {
                value = low >> UInt64(shift)
            }
            out[index] = IdPID.crockford[Int(value & 0x1F)]
        }
        return String(decoding: out, as: UTF8.self)
    }
}
