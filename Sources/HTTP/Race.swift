#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
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
        let arrived = Atomic<Int>(0)
        var threads: [pthread_t] = []
        for item in prepared {
            let (index, fd, bytes, isHead) = item
            let thread = POSIXThread.spawn(stackSize: 256 * 1024, detached: false) { [self] in
                arrived.add(1, ordering: .sequentiallyConsistent)
                gate.wait()
                let result: Result<ClientResponse, HTTPClientError>
                do throws(HTTPClientError) {
                    result = .success(try exchange(fd, bytes, isHead: isHead, poolKey: nil, reused: false))
                } catch {
                    result = .failure(error)
                }
                collected.withLock { $0[index] = result }
            }
            if let thread {
                threads.append(thread)
            } else {
                close(fd)
                results[index] = .failure(.resourceExhausted("cannot start a thread for request \(index)"))
            }
        }
        // Wait (bounded) until every thread is parked at the gate, then release them together.
        let deadline = Posix.nowMilliseconds() + 10_000
        while arrived.load(ordering: .sequentiallyConsistent) < threads.count && Posix.nowMilliseconds() < deadline {
            sched_yield()
        }
        beforeRelease()
        gate.open()
        for thread in threads { POSIXThread.join(thread) }
        let gathered = collected.withLock { $0 }
        for (index, result) in gathered { results[index] = result }
        return results.map { $0 ?? .failure(.closedBeforeResponse) }
    }
}

/// A one-shot gate: threads `wait()` until someone calls `open()`.
final class Gate: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var isOpen = false

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

    func wait() {
        pthread_mutex_lock(mutex)
        while !isOpen { pthread_cond_wait(condition, mutex) }
        pthread_mutex_unlock(mutex)
    }

    func open() {
        pthread_mutex_lock(mutex)
        isOpen = true
        pthread_cond_broadcast(condition)
        pthread_mutex_unlock(mutex)
    }
}
