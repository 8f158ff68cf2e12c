import FoundationEssentials
import Glibc
import HTTP

extension ConformanceRunner {
    /// Exclusive scenarios (every scenario, when the profile restarts its app for each) each in a
    /// lane of its own (`runInLane`), up to `lanes - 1` at once, while the shared ones run against
    /// the shared mock and app as without lanes: on `jobs` threads, or one by one when the profile
    /// restarts its app between families. One set of `jobs` slots bounds the work of both; a
    /// scenario asleep in a wait holds its lane but no slot. Results come back in `scenarios`
    /// order; `progress` sees them as they finish.
    func runInLanes(
        _ scenarios: [Scenario], jobs: Int, lanes: Int, started: @escaping @Sendable (Scenario) -> Void,
        progress: (ScenarioResult) -> Void
    ) -> [ScenarioResult] {
        // An app restarted for every scenario shares nothing between scenarios anyway: a lane
        // each is the same fresh start, and lets them overlap.
        let everyScenario = profile.start?.restart == .scenario
        let shared = everyScenario ? [] : scenarios.indices.filter { scenarios[$0].exclusiveReason == nil }
        // Sleepers first: their waits are the run's critical path, so they start while there is
        // still other work to overlap them with.
        let exclusive = scenarios.indices.filter { everyScenario || scenarios[$0].exclusiveReason != nil }
        let queue = exclusive.filter { scenarios[$0].waits } + exclusive.filter { !scenarios[$0].waits }
        let slots = JobSlots(jobs)
        let arrivals = IndexedResults<ScenarioResult>(count: scenarios.count)
        let next = TicketCounter()
        let box = SharedRunner(runner: self)
        let workers = (0..<min(max(1, lanes - 1), queue.count)).map { _ -> @Sendable () -> Void in
            {
                while true {
                    let position = next.take()
                    guard position < queue.count else { return }
                    let scenario = scenarios[queue[position]]
                    slots.acquire()
                    started(scenario)
                    let result = box.runner.runInLane(scenario, slots: slots)
                    slots.release()
                    arrivals.put(queue[position], result)
                }
            }
        }
        for worker in workers { BackgroundThread.start(stackSize: 1 << 20, worker) }
        var results = [ScenarioResult?](repeating: nil, count: scenarios.count)
        var received = 0
        func take(_ arrived: [(index: Int, value: ScenarioResult)]) {
            for (index, result) in arrived {
                results[index] = result
                received += 1
                progress(result)
            }
        }
        // Restarting the shared app between scenarios and sharing it between threads do not mix.
        if jobs > 1 && (profile.start?.restart ?? .never) == .never {
            let batch = runConcurrently(shared.map { scenarios[$0] }, jobs: jobs, slots: slots, started: started, progress: progress)
            for (position, result) in zip(shared, batch) {
                results[position] = result
                received += 1
            }
        } else {
            for index in shared {
                take(arrivals.takeArrivedNow())
                slots.acquire()
                started(scenarios[index])
                let result = runOne(scenarios[index], reset: true, slots: slots)
                slots.release()
                results[index] = result
                received += 1
                progress(result)
            }
        }
        while received < scenarios.count { take(arrivals.takeArrived()) }
        return results.compactMap { $0 }
    }
}
