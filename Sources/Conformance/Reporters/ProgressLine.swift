import Essentials
import FoundationEssentials
import Glibc
import HTTP
import Synchronization

/// The live status line of a long run on a terminal: how many scenarios are done, the failures so
/// far, the scenarios still running and for how long, and an estimate of the time left, redrawn
/// in place under the per-scenario lines.
package struct ProgressLine: Sendable {
    package struct Running: Sendable, Equatable {
        package var id: String
        package var seconds: Double

        package init(id: String, seconds: Double) {
            self.id = id
            self.seconds = seconds
        }
    }

    package var done: Int
    package var total: Int
    package var failures: Int
    package var elapsed: Double
    package var running: [Running]

    package init(done: Int, total: Int, failures: Int, elapsed: Double, running: [Running]) {
        self.done = done
        self.total = total
        self.failures = failures
        self.elapsed = elapsed
        self.running = running
    }

    /// Only for a person at a terminal: never in a CI log (`CI` set), under NO_COLOR or
    /// `--no-color` (plain output asked for), or when the output is not a terminal.
    package static func wanted(environment: [String: String], noColorFlag: Bool, isTerminal: Bool) -> Bool {
        if let ci = environment["CI"], !ci.isEmpty, !["0", "false", "no"].contains(ci.lowercased()) { return false }
        if environment["NO_COLOR"] != nil || noColorFlag { return false }
        return isTerminal
    }

    /// The time left at the pace so far, or nil before the first scenario ends.
    package var secondsLeft: Double? {
        guard done > 0, done <= total else { return nil }
        return elapsed / Double(done) * Double(total - done)
    }

    /// The line, cut to `width` characters: `[12/139] 1 failed · waiting for jwks.rotation 45s,
    /// token.expired 2s · about 1m20s left`.
    package func text(width: Int) -> String {
        var parts = ["[\(done)/\(total)] " + (failures == 0 ? "no failures" : "\(failures) failed")]
        let longest = running.sorted { $0.seconds > $1.seconds }
        if !longest.isEmpty {
            var waiting = longest.prefix(3).map { "\($0.id) \(Self.duration($0.seconds))" }.joined(separator: ", ")
            if longest.count > 3 { waiting += " +\(longest.count - 3) more" }
            parts.append("waiting for \(waiting)")
        }
        parts.append(secondsLeft.map { "about \(Self.duration($0)) left" } ?? "estimating the time left")
        let line = parts.joined(separator: " · ")
        guard width > 1, line.count > width else { return line }
        return String(line.prefix(width - 1)) + "…"
    }

    /// `7s`, `1m05s`, `1h02m`.
    package static func duration(_ seconds: Double) -> String {
        let whole = seconds.isFinite ? Int(min(max(seconds.rounded(), 0), 359_999)) : 0
        if whole < 60 { return "\(whole)s" }
        if whole < 3600 { return "\(whole / 60)m" + String(cFormat: "%02ds", whole % 60) }
        return "\(whole / 3600)h" + String(cFormat: "%02dm", whole / 60 % 60)
    }
}

/// Draws a `ProgressLine` on a terminal: every scenario line is printed above it, and a thread of
/// its own redraws it once a second so the running times move while nothing finishes.
package final class ProgressDisplay: Sendable {
    private struct State {
        var done = 0
        var failures = 0
        var running: [String: Date] = [:]
        var stopped = false
    }

    private let total: Int
    private let startedAt = Date()
    private let state = Mutex(State())
    private let write: @Sendable (String) -> Void

    /// `write` receives the bytes for the terminal (the default: stdout, flushed).
    package init(total: Int, write: @escaping @Sendable (String) -> Void = ProgressDisplay.standardOutput) {
        self.total = total
        self.write = write
    }

    package static let standardOutput: @Sendable (String) -> Void = { text in
        StandardStreams.write(text)
    }

    /// Starts the once-a-second redraw.
    package func start() {
        BackgroundThread.start { [self] in
            while true {
                sleep(1)
                guard redraw() else { return }
            }
        }
    }

    package func started(_ id: String) {
        state.withLock { $0.running[id] = Date() }
    }

    /// Prints `line` (a finished scenario's) above the status line and redraws it.
    package func finished(_ id: String, failed: Bool, line: String) {
        state.withLock { state in
            state.done += 1
            if failed { state.failures += 1 }
            state.running[id] = nil
            guard !state.stopped else { return }
            write(Self.clear + line + "\n" + Self.clear + snapshot(state).text(width: Self.columns()))
        }
    }

    /// Clears the status line for good, before the failures' details and the summary.
    package func stop() {
        state.withLock { state in
            guard !state.stopped else { return }
            state.stopped = true
            write(Self.clear)
        }
    }

    @discardableResult
    private func redraw() -> Bool {
        state.withLock { state in
            guard !state.stopped else { return false }
            write(Self.clear + snapshot(state).text(width: Self.columns()))
            return true
        }
    }

    private func snapshot(_ state: State) -> ProgressLine {
        let now = Date()
        return ProgressLine(
            done: state.done, total: total, failures: state.failures, elapsed: now.timeIntervalSince(startedAt),
            running: state.running.map { ProgressLine.Running(id: $0.key, seconds: now.timeIntervalSince($0.value)) })
    }

    /// Back to the start of the line, and erase it.
    package static let clear = "\r\u{1B}[K"

    /// The terminal's width (80 when it cannot be read).
    static func columns() -> Int {
        var size = winsize()
        guard ioctl(1, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 else { return 80 }
        return Int(size.ws_col)
    }
}
