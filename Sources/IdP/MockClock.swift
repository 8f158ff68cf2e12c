import Essentials
import Glibc
import Synchronization

/// The mock's notion of "now": the wall clock plus an offset a test can move, so scenarios can
/// make tokens look old or early without waiting.
package final class MockClock: Sendable {
    // Read on every request, so an atomic rather than a lock.
    private let offsetSeconds = Atomic<Int64>(0)

    package init() {}

    package var offset: Int64 { offsetSeconds.load(ordering: .relaxed) }

    /// The offset stays inside `Limits.timeOffsetSeconds` whatever is asked, so `now()` and
    /// `nowMillis()` cannot overflow.
    package func setOffset(_ seconds: Int64) { offsetSeconds.store(Limits.timeOffsetSeconds.clamp(seconds), ordering: .relaxed) }

    package func advance(_ seconds: Int64) {
        var current = offsetSeconds.load(ordering: .relaxed)
        while true {
            let next = Limits.timeOffsetSeconds.clamp(current.saturatingAdd(seconds))
            let (exchanged, original) = offsetSeconds.compareExchange(expected: current, desired: next, ordering: .relaxed)
            if exchanged { return }
            current = original
        }
    }

    /// Unix seconds as the mock sees them.
    package func now() -> Int64 { Self.systemMillis() / 1000 + offset }

    package func nowMillis() -> Int64 { Self.systemMillis() + offset * 1000 }

    package static func systemMillis() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1000 + Int64(spec.tv_nsec) / 1_000_000
    }

    /// `2026-01-15T12:00:00.000Z`: the timestamp form every WorkOS SDK parses.
    package static func iso8601(millis: Int64) -> String { ISO8601.string(milliseconds: millis) }
}
