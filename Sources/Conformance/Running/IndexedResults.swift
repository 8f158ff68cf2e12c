import Dispatch
import Synchronization

/// Results of work items numbered 0..<count, filled by worker threads in any order and read by
/// one thread: in order (`wait`), as they arrive (`takeArrived`), or all at the end (`all`).
package final class IndexedResults<Value: Sendable>: Sendable {
    private struct State {
        var values: [Value?]
        var arrived: [Int] = []
    }

    private let state: Mutex<State>
    private let ready: [DispatchSemaphore]
    private let anyArrival = DispatchSemaphore(value: 0)

    package init(count: Int) {
        state = Mutex(State(values: Array(repeating: nil, count: count)))
        ready = (0..<count).map { _ in DispatchSemaphore(value: 0) }
    }

    package func put(_ index: Int, _ value: Value) {
        state.withLock { state in
            state.values[index] = value
            state.arrived.append(index)
        }
        ready[index].signal()
        anyArrival.signal()
    }

    /// Blocks until item `index` is there.
    package func wait(_ index: Int) -> Value {
        ready[index].wait()
        // Signalled again, so a second wait for the same item returns at once too.
        defer { ready[index].signal() }
        guard let value = state.withLock({ $0.values[index] }) else { preconditionFailure("put stores the value before it signals") }
        return value
    }

    /// Blocks until at least one item arrived since the last call, and takes those (possibly none
    /// when an earlier call already took several).
    package func takeArrived() -> [(index: Int, value: Value)] {
        anyArrival.wait()
        return state.withLock { state in
            let taken = state.arrived.compactMap { index in state.values[index].map { (index: index, value: $0) } }
            state.arrived.removeAll()
            return taken
        }
    }

    /// Takes what arrived since the last take, without blocking (possibly nothing).
    package func takeArrivedNow() -> [(index: Int, value: Value)] {
        state.withLock { state in
            let taken = state.arrived.compactMap { index in state.values[index].map { (index: index, value: $0) } }
            state.arrived.removeAll()
            return taken
        }
    }

    /// What is there now, by index.
    package var all: [Value?] { state.withLock { $0.values } }
}
