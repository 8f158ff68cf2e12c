import Dispatch
import Synchronization
import Testing

@testable import HTTP

@Suite struct ThreadReuseTests {
    @Test func aThreadThatFinishedItsJobTakesTheNextOne() {
        let pool = ThreadReuse(stackSize: 128 * 1024, linger: .seconds(30))
        let ran = Atomic<Int>(0)
        for _ in 0..<200 {
            let done = DispatchSemaphore(value: 0)
            #expect(
                pool.run {
                    ran.add(1, ordering: .relaxed)
                    done.signal()
                })
            done.wait()
            // The job signals before its thread turns idle; wait (bounded) for that turn.
            let deadline = DispatchTime.now() + .seconds(20)
            while pool.idleCount < pool.threadCount && DispatchTime.now() < deadline {
                _ = DispatchSemaphore(value: 0).wait(timeout: .now() + .milliseconds(1))
            }
        }
        #expect(ran.load(ordering: .relaxed) == 200)
        // A thread per connection would have made 200.
        #expect(pool.threadCount == 1)
    }

    @Test func concurrentJobsEachGetAThreadOfTheirOwn() {
        // Jobs that wait for each other must not queue behind one another: a connection thread
        // serves one connection until it closes.
        let pool = ThreadReuse(stackSize: 128 * 1024, linger: .seconds(30))
        let count = 16
        let arrived = Atomic<Int>(0)
        let everyone = DispatchSemaphore(value: 0)
        let finished = DispatchGroup()
        for _ in 0..<count {
            finished.enter()
            #expect(
                pool.run {
                    if arrived.add(1, ordering: .sequentiallyConsistent).newValue == count { everyone.signal() }
                    everyone.wait()
                    everyone.signal()
                    finished.leave()
                })
        }
        #expect(finished.wait(timeout: .now() + 30) == .success, "jobs waiting for each other were not all running at once")
        #expect(pool.threadCount >= count)
    }

    @Test func idleThreadsEndAfterTheirLinger() {
        let pool = ThreadReuse(stackSize: 128 * 1024, linger: .milliseconds(20))
        let finished = DispatchGroup()
        for _ in 0..<4 {
            finished.enter()
            #expect(pool.run { finished.leave() })
        }
        finished.wait()
        // Bounded: each idle thread ends 20 ms after its job; allow a generous margin.
        let deadline = DispatchTime.now() + .seconds(20)
        while pool.threadCount > 0 && DispatchTime.now() < deadline {
            _ = DispatchSemaphore(value: 0).wait(timeout: .now() + .milliseconds(5))
        }
        #expect(pool.threadCount == 0)
    }
}
