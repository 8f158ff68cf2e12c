import Glibc
import Synchronization

/// The mock's notion of "now": the wall clock plus an offset a test can move, so scenarios can
/// make tokens look old or early without waiting.
public final class MockClock: Sendable {
    // Read on every request, so an atomic rather than a lock.
    private let offsetSeconds = Atomic<Int64>(0)

    public init() {}

    public var offset: Int64 { offsetSeconds.load(ordering: .relaxed) }

    /// The offset stays inside `Limits.timeOffsetSeconds` whatever is asked, so `now()` and
    /// `nowMillis()` cannot overflow.
    public func setOffset(_ seconds: Int64) { offsetSeconds.store(Limits.timeOffsetSeconds.clamp(seconds), ordering: .relaxed) }

    public func advance(_ seconds: Int64) {
        var current = offsetSeconds.load(ordering: .relaxed)
        while true {
            let next = Limits.timeOffsetSeconds.clamp(current.saturatingAdd(seconds))
            let (exchanged, original) = offsetSeconds.compareExchange(expected: current, desired: next, ordering: .relaxed)
            if exchanged { return }
            current = original
        }
    }

    /// Unix seconds as the mock sees them.
    public func now() -> Int64 { Self.systemMillis() / 1000 + offset }

    public func nowMillis() -> Int64 { Self.systemMillis() + offset * 1000 }

    public static func systemMillis() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1000 + Int64(spec.tv_nsec) / 1_000_000
    }

    /// `2026-01-15T12:00:00.000Z`: the timestamp form every WorkOS SDK parses.
    public static func iso8601(millis: Int64) -> String {
        var seconds = time_t(millis / 1000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func pad(_ value: Int32, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))T"
            + "\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2)).\(pad(Int32(millis % 1000), 3))Z"
    }
}
