import Dispatch
import JSON
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

extension HTTPClient {
    /// Fires every request at the same instant: first opens one fresh connection per request (not
    /// from the pool), then starts one thread per request, parks them all at a gate, opens the gate,
    /// and each thread writes its whole request with a single `send`. Results come back in order.
    /// Connections are closed afterwards. `beforeRelease` runs once every thread is parked, just
    /// before the gate opens (tests use it to check that nothing was sent early).
    package func sendConcurrently(_ requests: [ClientRequest], beforeRelease: () -> Void = {}) -> [Result<ClientResponse, HTTPClientError>] {
        sendConcurrentlyTimed(requests, beforeRelease: beforeRelease).results
    }

    /// `sendConcurrently`, with when each racer connected, sent, saw its first byte and finished.
    package func sendConcurrentlyTimed(_ requests: [ClientRequest], beforeRelease: () -> Void = {})
        -> (results: [Result<ClientResponse, HTTPClientError>], timings: [RaceTiming])
    {
        var results = [Result<ClientResponse, HTTPClientError>?](repeating: nil, count: requests.count)
        var prepared: [(index: Int, fd: Int32, bytes: [UInt8], isHead: Bool)] = []
        var connects = [(start: Int64, end: Int64)?](repeating: nil, count: requests.count)
        for (index, request) in requests.enumerated() {
            let start = RaceTiming.now()
            do throws(HTTPClientError) {
                let url = try ParsedURL(request.url)
                try Self.checkFraming(request)
                // A racer waits for the app's accept queue (at least 30 s, the kernel's SYN retries at 1, 3, 7, 15 s):
                // a listen backlog that is full on a loaded machine (Python's is 5) holds a connect
                // in SYN retransmits, which is the machine's pace, not the app's answer. The gate
                // opens once all are connected; one that never opens keeps `connectEnd` nil.
                let fd = try connect(url, timeout: max(configuration.readTimeout, .seconds(30)))
                connects[index] = (start, RaceTiming.now())
                prepared.append((index, fd, Self.encode(request, url), request.method == "HEAD"))
            } catch {
                results[index] = .failure(error)
            }
        }
        let marks = Mutex<[Int: RaceTiming]>([:])
        let readTimeout = configuration.readTimeout.milliseconds
        let collected = Mutex<[Int: Result<ClientResponse, HTTPClientError>]>([:])
        let gate = Gate()
        let finished = DispatchGroup()
        let threads = ThreadReuse.shared(stackSize: 256 * 1024)
        var started = 0
        for item in prepared {
            let (index, fd, bytes, isHead) = item
            finished.enter()
            let running = threads.run { [self] in
                defer { finished.leave() }
                gate.wait()
                var timing = RaceTiming(sendStart: RaceTiming.now())
                let result: Result<ClientResponse, HTTPClientError>
                do throws(HTTPClientError) {
                    result = .success(
                        try exchange(fd, bytes, isHead: isHead, poolKey: nil, reused: false) {
                            timing.sent = RaceTiming.now()
                            // Waiting to be readable consumes nothing: the read that follows sees every byte.
                            let ready = Posix.waitReadable(fd, timeoutMilliseconds: readTimeout)
                            if ready > 0 { timing.firstByte = RaceTiming.now() }
                            return ready != 0  // a poll error is left to the read, which names it

                        })
                } catch {
                    result = .failure(error)
                }
                timing.end = RaceTiming.now()
                collected.withLock { $0[index] = result }
                marks.withLock { $0[index] = timing }
            }
            if running {
                started += 1
            } else {
                finished.leave()
                close(fd)
                results[index] = .failure(.resourceExhausted("cannot start a thread for request \(index)"))
            }
        }
        // Wait (bounded) until every thread is parked at the gate, then release them together.
        gate.awaitArrivals(started, timeoutMilliseconds: 10_000)
        beforeRelease()
        let released = RaceTiming.now()
        gate.open()
        finished.wait()
        let gathered = collected.withLock { $0 }
        for (index, result) in gathered { results[index] = result }
        let measured = marks.withLock { $0 }
        let timings = requests.indices.map { index in
            var timing = measured[index] ?? RaceTiming()
            timing.connectStart = connects[index]?.start
            timing.connectEnd = connects[index]?.end
            return timing.relative(to: released)
        }
        return (results.map { $0 ?? .failure(.closedBeforeResponse) }, timings)
    }
}

/// One racer's instants in nanoseconds relative to the gate's release (connecting happens before
/// it, so those are negative); nil where the racer never got there (a failed connect, no answer).
package struct RaceTiming: Sendable, Equatable {
    package var connectStart: Int64?
    package var connectEnd: Int64?
    package var sendStart: Int64?
    package var sent: Int64?
    package var firstByte: Int64?
    package var end: Int64?

    package init(
        connectStart: Int64? = nil, connectEnd: Int64? = nil, sendStart: Int64? = nil, sent: Int64? = nil,
        firstByte: Int64? = nil, end: Int64? = nil
    ) {
        self.connectStart = connectStart
        self.connectEnd = connectEnd
        self.sendStart = sendStart
        self.sent = sent
        self.firstByte = firstByte
        self.end = end
    }

    /// Reports' form: nanoseconds relative to the release, null where not reached.
    package var json: JSONValue {
        func value(_ instant: Int64?) -> JSONValue { instant.map { .int($0) } ?? .null }
        return [
            "connect_start_ns": value(connectStart), "connect_end_ns": value(connectEnd), "send_start_ns": value(sendStart),
            "sent_ns": value(sent), "first_byte_ns": value(firstByte), "end_ns": value(end),
        ]
    }

    static func now() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return Int64(spec.tv_sec) * 1_000_000_000 + Int64(spec.tv_nsec)
    }

    func relative(to origin: Int64) -> RaceTiming {
        func shift(_ instant: Int64?) -> Int64? { instant.map { $0 - origin } }
        return RaceTiming(
            connectStart: shift(connectStart), connectEnd: shift(connectEnd), sendStart: shift(sendStart),
            sent: shift(sent), firstByte: shift(firstByte), end: shift(end))
    }
}

/// A one-shot gate: threads `wait()` until someone calls `open()`. `@unchecked`: its state is
/// touched only under the pthread mutex its condition variable needs (`Synchronization` has no
/// condition variable), which the checker cannot see.
final class Gate: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var isOpen = false
    private var arrived = 0

    init() {
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(condition, nil)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
        condition.deallocate()
    }

    /// Parks the caller until `open()`; counts it as arrived first.
    func wait() {
        pthread_mutex_lock(mutex)
        arrived += 1
        pthread_cond_broadcast(condition)
        while !isOpen { pthread_cond_wait(condition, mutex) }
        pthread_mutex_unlock(mutex)
    }

    /// Blocks until `count` threads wait at the gate, or the timeout passes. Sleeps on the
    /// condition: spinning with sched_yield here burned a core while 32 racers started on a
    /// loaded machine.
    func awaitArrivals(_ count: Int, timeoutMilliseconds: Int) {
        var deadline = timespec()
        clock_gettime(CLOCK_REALTIME, &deadline)
        let nanoseconds = deadline.tv_nsec + timeoutMilliseconds * 1_000_000
        deadline.tv_sec += nanoseconds / 1_000_000_000
        deadline.tv_nsec = nanoseconds % 1_000_000_000
        pthread_mutex_lock(mutex)
        while arrived < count, pthread_cond_timedwait(condition, mutex, &deadline) != ETIMEDOUT {}
        pthread_mutex_unlock(mutex)
    }

    func open() {
        pthread_mutex_lock(mutex)
        isOpen = true
        pthread_cond_broadcast(condition)
        pthread_mutex_unlock(mutex)
    }
}
