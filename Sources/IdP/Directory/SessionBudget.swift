extension Directory {
    /// Adds a session, dropping the oldest ones past `capacity`: every minted token and every
    /// sign-in makes a session, and a long-running mock must not keep them all.
    mutating func insertSession(_ session: Session, capacity: Int = Limits.sessionCapacity) {
        sessions[session.id] = session
        // Trim in chunks down to the capacity, so the sort is amortized over capacity/4 inserts.
        guard sessions.count > capacity + capacity / 4 else { return }
        let oldest = sessions.values.sorted { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) }.prefix(sessions.count - capacity)
        for stale in oldest where stale.id != session.id { sessions[stale.id] = nil }
    }
}
