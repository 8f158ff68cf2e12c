import Dispatch
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Runs blocking jobs (one connection each) on detached threads that wait a little for the next
/// job once theirs ends. A suite run opens thousands of short connections; creating and tearing
/// down a thread (stack map and unmap, TLB shootdowns) for each was a visible share of its CPU.
/// Threads idle longer than `linger` end, so an idle server holds none.
package final class ThreadReuse: Sendable {
    package typealias Job = @Sendable () -> Void

    private struct State {
        var jobs: [Job] = []
        /// Threads waiting for a job that no job has been handed to yet.
        var idle = 0
        var threads = 0
    }

    private let state = Mutex(State())
    private let wakeup = DispatchSemaphore(value: 0)
    private let stackSize: Int
    private let linger: DispatchTimeInterval

    package init(stackSize: Int, linger: DispatchTimeInterval = .seconds(2)) {
        self.stackSize = stackSize
        self.linger = linger
    }

    /// One pool per stack size for the process: every server in it (the self-test starts dozens)
    /// shares the idle threads.
    package static func shared(stackSize: Int) -> ThreadReuse {
        pools.withLock { pools in
            if let pool = pools[stackSize] { return pool }
            let pool = ThreadReuse(stackSize: stackSize)
            pools[stackSize] = pool
            return pool
        }
    }
    private static let pools = Mutex<[Int: ThreadReuse]>([:])

    /// Threads alive now, busy or idle, and of those the idle ones (for tests).
    package var threadCount: Int { state.withLock { $0.threads } }
    package var idleCount: Int { state.withLock { $0.idle } }

    /// Runs `job` on an idle thread, or on a new one. False when no thread could be made.
    package func run(_ job: @escaping Job) -> Bool {
        let handed = state.withLock { state -> Bool in
            guard state.idle > 0 else {
                state.threads += 1
                return false
            }
            state.idle -= 1
            state.jobs.append(job)
            return true
        }
        if handed {
            wakeup.signal()
            return true
        }
        let spawned = POSIXThread.spawn(stackSize: stackSize, detached: true) { [self] in work(first: job) }
        if spawned == nil { state.withLock { $0.threads -= 1 } }
        return spawned != nil
    }

    private func work(first: @escaping Job) {
        var job: Job? = first
        while let current = job {
            current()
            job = nextJob()
        }
    }

    /// Waits up to `linger` for a job handed to an idle thread; nil ends the thread.
    private func nextJob() -> Job? {
        state.withLock { $0.idle += 1 }
        while true {
            let timedOut = wakeup.wait(timeout: .now() + linger) == .timedOut
            // A job is taken under the lock that pushed it, so a timeout that races a hand-off
            // still finds the job; a wake-up whose job another thread took just waits again.
            let (next, ends) = state.withLock { state -> (Job?, Bool) in
                if !state.jobs.isEmpty { return (state.jobs.removeFirst(), false) }
                guard timedOut else { return (nil, false) }
                state.idle -= 1
                state.threads -= 1
                return (nil, true)
            }
            if let next { return next }
            if ends { return nil }
        }
    }
}
