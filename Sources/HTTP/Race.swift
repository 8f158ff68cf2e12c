#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Dispatch
import Synchronization

extension HTTPClient {
    /// Fires every request at the same instant: first opens one fresh connection per request (not
    /// from the pool), then starts one thread per request, parks them all at a gate, opens the gate,
    /// and each thread writes its whole request with a single `send`. Results come back in order.
    /// Connections are closed afterwards. `beforeRelease` runs once every thread is parked, just
    /// before the gate opens (tests use it to check that nothing was sent early).
    package func sendConcurrently(_ requests: [ClientRequest], beforeRelease: () -> Void = {}) -> [Result<ClientResponse, HTTPClientError>] {
        var results = [Result<ClientResponse, HTTPClientError>?](repeating: nil, count: requests.count)
        var prepared: [(index: Int, fd: Int32, bytes: [UInt8], isHead: Bool)] = []
        for (index, request) in requests.enumerated() {
            do throws(HTTPClientError) {
                let url = try ParsedURL(request.url)
                let fd = try connect(url)
                prepared.append((index, fd, Self.encode(request, url), request.method == "HEAD"))
            } catch {
                results[index] = .failure(error)
            }
        }
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
                let result: Result<ClientResponse, HTTPClientError>
                do throws(HTTPClientError) {
                    result = .success(try exchange(fd, bytes, isHead: isHead, poolKey: nil, reused: false))
                } catch {
                    result = .failure(error)
                }
                collected.withLock { $0[index] = result }
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
        gate.open()
        finished.wait()
        let gathered = collected.withLock { $0 }
        for (index, result) in gathered { results[index] = result }
        return results.map { $0 ?? .failure(.closedBeforeResponse) }
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
