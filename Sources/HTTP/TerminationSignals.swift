import Glibc

/// SIGINT, SIGTERM and SIGHUP for the long-running commands (`serve`, `sample-app`, `run`), taken
/// with `sigwait` rather than by a handler.
///
/// Why: with a handler — or a Dispatch signal source, which Linux's libdispatch registers on its
/// own thread some time after `resume()` returns — there is a window after the process has
/// announced itself in which a signal is either lost (already `SIG_IGN`, not yet observed) or
/// kills the process outright. Under load that window is wide enough for a test or a CI job that
/// sends SIGTERM right after reading "listening on" to hang. Blocked in every thread from the
/// first line of `main`, a signal simply stays pending until `wait()` takes it, however early it
/// came. Children started through CSpawn get an empty mask and default actions back.
package enum TerminationSignals {
    package static let all: [Int32] = [SIGINT, SIGTERM, SIGHUP]

    /// Call before any thread exists (threads inherit the mask): the first line of `main`.
    package static func blockInEveryThread() {
        var set = signalSet()
        pthread_sigmask(SIG_BLOCK, &set, nil)
    }

    /// Blocks the calling thread until a termination signal arrives; returns its number.
    package static func wait() -> Int32 {
        var set = signalSet()
        // Harmless when `main` already did it; without it sigwait's result would be unspecified.
        pthread_sigmask(SIG_BLOCK, &set, nil)
        var received: Int32 = 0
        while sigwait(&set, &received) != 0 {}
        return received
    }

    /// Calls `handler` on a thread of its own for every termination signal from now on.
    package static func observe(_ handler: @escaping @Sendable (Int32) -> Void) {
        _ = POSIXThread.spawn(stackSize: 64 * 1024, detached: true) {
            while true { handler(wait()) }
        }
    }

    private static func signalSet() -> sigset_t {
        var set = sigset_t()
        sigemptyset(&set)
        for signalNumber in all { sigaddset(&set, signalNumber) }
        return set
    }
}
