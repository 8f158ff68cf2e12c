extension Directory {
    /// Adds a session, dropping the oldest ones past `capacity`: every minted token and every
    /// sign-in makes a session, and a long-running mock must not keep them all.
    mutating func insertSession(_ session: Session, capacity: Int = Limits.sessionCapacity) {
        if sessions.updateValue(session, forKey: session.id) == nil { sessionOrder.append(session.id) }
        // Trim in chunks down to the capacity, so the trimming is amortized over capacity/4 inserts.
        if sessions.count > capacity + capacity / 4 {
            sessionOrder.dropOldest(from: &sessions, downTo: capacity, keeping: session.id)
        } else if sessionOrder.count > 2 * (capacity + capacity / 4) {
            // Sessions removed elsewhere (a deleted user's) leave their IDs behind: forget them.
            sessionOrder.forgetAbsent(from: sessions)
        }
    }
}

/// Session IDs in the order they were added, oldest first: trimming reads the front instead of
/// sorting every session (a sort per trim cost more than the signature in a mint benchmark).
package struct SessionOrder: Sendable, Equatable {
    private var ids: [String] = []
    private var start = 0

    package init() {}

    var count: Int { ids.count - start }

    mutating func append(_ id: String) { ids.append(id) }

    mutating func dropOldest(from sessions: inout [String: Session], downTo capacity: Int, keeping newest: String) {
        while sessions.count > capacity, start < ids.count {
            let id = ids[start]
            start += 1
            if id != newest { sessions[id] = nil }
        }
        if start > ids.count / 2 {
            ids.removeFirst(start)
            start = 0
        }
    }

    mutating func forgetAbsent(from sessions: [String: Session]) {
        ids = ids[start...].filter { sessions[$0] != nil }
        start = 0
    }

    package static func == (lhs: SessionOrder, rhs: SessionOrder) -> Bool { lhs.ids[lhs.start...] == rhs.ids[rhs.start...] }
}
