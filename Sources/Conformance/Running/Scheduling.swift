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
    /// reach (a journal check must name a path of its own, through a `${…}` reference, or a
    /// session of its own, through `session_of`).
    package var exclusiveReason: String? {
        if idSpaces != .strict { return "id_spaces \(idSpaces.rawValue)" }
        return Self.exclusiveReason(in: steps)
    }

    private static func exclusiveReason(in steps: [Step]) -> String? {
        for step in steps {
            switch step {
            case .keys: return "changes the IdP's keys"
            case .idpFault, .appFault: return "arms a fault"
            case .tokenOverride: return "forges the next token answers"
            case .clock: return "moves the mock's clock"
            case .jwtTemplate: return "sets the JWT template"
            // Waiting out a token's expiry concerns that token only; any other wait may be for
            // the app's caches, which every scenario shares.
            case .wait(let seconds, let ttlPlus, let cooldownPlus, _) where seconds != nil || ttlPlus != nil || cooldownPlus != nil:
                return "waits on the app's caches"
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
        case .journal(let journal):
            if journal.sessionOf != nil { return nil }
            return (journal.pathPrefix ?? "").contains("${") ? nil : "counts requests in the shared journal"
        case .anyOf(let list), .allOf(let list):
            return list.lazy.compactMap(exclusiveReason(of:)).first
        default:
            return nil
        }
    }
}

/// Lets worker threads call into the runner. Sound because a shared (non-exclusive) scenario
/// only touches its own `ScenarioContext` plus parts that are thread-safe by design: the
/// mock (served from many connection threads) and the HTTP client.
struct SharedRunner: @unchecked Sendable {
    let runner: ConformanceRunner
}

/// At most `count` scenarios doing work at once. A scenario asleep in a wait gives its slot up,
/// so a token-expiry wait overlaps with the others' work instead of holding a core's turn.
final class JobSlots: Sendable {
    private let semaphore: DispatchSemaphore

    init(_ count: Int) { semaphore = DispatchSemaphore(value: max(1, count)) }

    func acquire() { semaphore.wait() }
    func release() { semaphore.signal() }
}

extension Scenario {
    /// Whether the scenario sleeps in a wait step (and so gives its job slot up for a while).
    var waits: Bool { Self.containsWait(steps) }

    private static func containsWait(_ steps: [Step]) -> Bool {
        steps.contains { step in
            switch step {
            case .wait, .waitUntilExpired: return true
            case .repeatBlock(_, let inner): return containsWait(inner)
            default: return false
            }
        }
    }
}

/// Hands out 0, 1, 2, … to worker threads, each number once.
final class TicketCounter: Sendable {
    private let next = Atomic<Int>(0)

    func take() -> Int { next.add(1, ordering: .relaxed).oldValue }
}
