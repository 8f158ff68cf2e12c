#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Wall-clock time (Unix epoch), for timestamps people and apps read.
package enum WallClock {
    package static func nowMilliseconds() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1000 + Int64(spec.tv_nsec) / 1_000_000
    }

    /// `2025-01-31T12:34:56.789Z`: the format WorkOS uses for timestamps.
    package static func iso8601(milliseconds: Int64) -> String { ISO8601.string(milliseconds: milliseconds) }
}

/// Time that never jumps: cache ages and cooldowns must not move with wall-clock changes.
package enum MonotonicClock {
    package static func nowMilliseconds() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return Int64(spec.tv_sec) * 1000 + Int64(spec.tv_nsec) / 1_000_000
    }
}
