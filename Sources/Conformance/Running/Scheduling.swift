import Dispatch
import FoundationEssentials
import Glibc
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
/// mock (served from many connection threads) and the HTTP client; and a lane only reads the
/// runner's configuration (profile, placeholders, --max-wait) to start a mock and app of its own.
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

extension TargetProfile {
    /// Why this profile's exclusive scenarios cannot get lanes (a mock and an app of their own),
    /// or nil when they can. A lane's app must be one the runner starts, on a port of its own,
    /// pointed at the lane's mock: an app the runner does not start keeps trusting the one mock
    /// it was configured with, so only one-at-a-time runs against it are sound.
    package func laneRefusal(placeholders: [String: String] = [:]) -> String? {
        guard let start else { return "the runner does not start the app (no start command), so exclusive scenarios run one at a time" }
        let startText = start.command.joined(separator: " ") + " " + start.environment.values.joined(separator: " ") + " " + (start.cwd ?? "")
        guard baseURL.contains("{app_port}"), placeholders["app_port"] == nil else {
            return "the app's port is fixed (base_url has no {app_port} the runner fills), so a second app cannot start beside it"
        }
        guard startText.contains("{app_port}") else {
            return "the start command and env never name {app_port}, so a second app would not listen elsewhere"
        }
        let idpNames = ["idp_base_url", "issuer", "jwks_url"]
        guard idpNames.contains(where: { startText.contains("{\($0)}") && placeholders[$0] == nil }) else {
            return
                "the start command and env name none of {idp_base_url}, {issuer}, {jwks_url}, so a lane's app could not be pointed at the lane's mock"
        }
        return nil
    }
}

/// How many lanes (mock and app pairs, the shared one included) run at once by default.
package enum LaneBudget {
    /// What one lane is assumed to need: the app process (a Python or Node app takes 30–80 MB)
    /// plus the in-process mock (a few MB), with room to spare.
    static let bytesPerLane: UInt64 = 192 << 20

    /// The shared lane plus one per exclusive scenario, as far as that can overlap: working
    /// lanes are bounded by the job slots (`jobs`, the cores), so only the waiting ones add
    /// overlap; and every lane's app must fit in the memory available now. 1 when no scenario is
    /// exclusive. `everyScenario`: the profile restarts its app for each scenario, so each gets a lane.
    package static func defaultCount(
        scenarios: [Scenario], jobs: Int, everyScenario: Bool = false, availableMemory: UInt64? = LaneBudget.availableMemory()
    ) -> Int {
        let exclusive = scenarios.filter { everyScenario || $0.exclusiveReason != nil }
        let wanted = min(exclusive.count, max(1, jobs) + exclusive.count { $0.waits })
        let memoryCap = availableMemory.map { Int(min(UInt64(Int.max), $0 / bytesPerLane)) } ?? wanted
        return 1 + max(0, min(wanted, memoryCap, 64))
    }

    /// MemAvailable from /proc/meminfo (Linux), nil elsewhere.
    static func availableMemory() -> UInt64? {
        guard let text = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("MemAvailable:") {
            let words = line.split(separator: " ")
            guard words.count >= 2, let kib = UInt64(words[1]) else { return nil }
            return kib.multipliedReportingOverflow(by: 1024).overflow ? nil : kib * 1024
        }
        return nil
    }
}
