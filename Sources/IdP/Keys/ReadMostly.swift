import Glibc

/// Shared state that every request reads and almost nothing writes (the JWKS body, the signing
/// key). `Synchronization.Mutex` on Linux is a priority-inheritance futex: with fifty connection
/// threads on two cores, readers queued behind each other in the kernel and JWKS throughput
/// halved. A reader-writer lock lets readers pass each other. `@unchecked`: `value` is touched
/// only under that lock, which the checker cannot see.
final class ReadMostly<Value: Sendable>: @unchecked Sendable {
    private var value: Value
    private let lock: UnsafeMutablePointer<pthread_rwlock_t>

    init(_ value: Value) {
        self.value = value
        lock = UnsafeMutablePointer<pthread_rwlock_t>.allocate(capacity: 1)
        lock.initialize(to: pthread_rwlock_t())
        pthread_rwlock_init(lock, nil)
    }

    deinit {
        pthread_rwlock_destroy(lock)
        lock.deallocate()
    }

    func read<T>(_ body: (borrowing Value) throws -> T) rethrows -> T {
        pthread_rwlock_rdlock(lock)
        defer { pthread_rwlock_unlock(lock) }
        return try body(value)
    }

    func write<T, E: Error>(_ body: (inout Value) throws(E) -> T) throws(E) -> T {
        pthread_rwlock_wrlock(lock)
        defer { pthread_rwlock_unlock(lock) }
        return try body(&value)
    }
}
