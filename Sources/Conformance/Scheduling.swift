import Foundation
import IdP
import Synchronization

extension Scenario {
    /// Why this scenario must run alone, from a reset mock and app, or nil when it can share the
    /// mock and the app with other scenarios.
    ///
    /// A shareable scenario signs in only users it creates itself and changes nothing another
    /// scenario can see: no keys, clock, faults, JWT template, fixture layout or fixture user, no
    /// waits for the app's caches, and no journal count that other scenarios' requests could
    /// reach (a journal check must name a path of its own, through a `${…}` reference).
    package var exclusiveReason: String? {
        if idSpaces != .strict { return "id_spaces \(idSpaces.rawValue)" }
        return Self.exclusiveReason(in: steps)
    }

    private static func exclusiveReason(in steps: [Step]) -> String? {
        for step in steps {
            switch step {
            case .keys: return "changes the IdP's keys"
            case .idpFault, .appFault: return "arms a fault"
            case .clock: return "moves the mock's clock"
            case .jwtTemplate: return "sets the JWT template"
            case .wait: return "waits on the app's caches"
            case .user(let user) where user.fixture != nil: return "signs in fixture user \(user.fixture ?? "")"
            case .repeatBlock(_, let inner):
                if let reason = exclusiveReason(in: inner) { return reason }
            case .expect(let expectation):
                if let reason = exclusiveReason(of: expectation) { return reason }
            default: continue
            }
        }
        return nil
    }

    private static func exclusiveReason(of expectation: Expectation) -> String? {
        switch expectation.subject {
        case .journal:
            let prefix = expectation.conditions["path_prefix"]?.stringValue ?? ""
            return prefix.contains("${") ? nil : "counts requests in the shared journal"
        case .anyOf(let list), .allOf(let list):
            return list.lazy.compactMap(exclusiveReason(of:)).first
        default:
            return nil
        }
    }
}

/// Results of scenarios running on worker threads, handed to the thread that reports them.
final class ResultQueue: @unchecked Sendable {
    // NSCondition guards `pending`; `@unchecked` because the class does its own locking.
    private let condition = NSCondition()
    private var pending: [(index: Int, result: ScenarioResult)] = []

    func push(_ index: Int, _ result: ScenarioResult) {
        condition.lock()
        pending.append((index, result))
        condition.signal()
        condition.unlock()
    }

    /// Blocks until at least one result is there, and takes all of them.
    func takeAll() -> [(index: Int, result: ScenarioResult)] {
        condition.lock()
        while pending.isEmpty { condition.wait() }
        let taken = pending
        pending.removeAll()
        condition.unlock()
        return taken
    }
}

/// Lets worker threads call into the runner. Sound because a shared (non-exclusive) scenario
/// only touches its own `ScenarioContext` plus parts that are thread-safe by design: the
/// mock (served from many connection threads) and the HTTP client.
struct SharedRunner: @unchecked Sendable {
    let runner: ConformanceRunner
}

/// Hands out 0, 1, 2, … to worker threads, each number once.
final class TicketCounter: Sendable {
    private let next = Atomic<Int>(0)

    func take() -> Int { next.add(1, ordering: .relaxed).oldValue }
}
