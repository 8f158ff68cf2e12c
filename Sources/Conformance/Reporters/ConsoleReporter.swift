import Essentials
import FoundationEssentials
import Glibc
import HTTP
import JSON

/// The human report: one line per scenario as it finishes, then every failure with what was
/// sent, what came back and which check failed; last, `N passed, N failed, N skipped`.
package struct ConsoleReporter: Sendable {
    package var color: Bool
    package var trace: Bool

    package init(color: Bool, trace: Bool) {
        self.color = color
        self.trace = trace
    }

    /// Colour only on a terminal and never under NO_COLOR (https://no-color.org).
    package static func colorWanted(fileDescriptor: Int32 = 1) -> Bool {
        ProcessInfo.processInfo.environment["NO_COLOR"] == nil && isatty(fileDescriptor) == 1
    }

    private func paint(_ text: String, _ code: String) -> String { color ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text }

    package func line(for result: ScenarioResult, index: Int, total: Int) -> String {
        let label: String
        switch result.verdict {
        case .pass: label = paint("PASS ", "32")
        case .fail: label = paint("FAIL ", "31;1")
        case .error: label = paint("ERROR", "35;1")
        case .skipped: label = paint("SKIP ", "33")
        case .notApplicable: label = paint("N/A  ", "36")
        }
        let width = String(total).count
        let counter = String(repeating: " ", count: max(0, width - String(index).count)) + "\(index)/\(total)"
        var text = "[\(counter)] \(label) \(result.scenario.id)  \(paint(String(cFormat: "%.2fs", result.seconds), "2"))"
        if result.iteration > 1 { text += " (run \(result.iteration))" }
        if result.verdict == .skipped || result.verdict == .notApplicable, let reason = result.reason { text += "  — \(reason)" }
        // A pass carries a reason only when a rule allowed what a check found (a note).
        if result.verdict == .pass, let note = result.reason { text += "  — note: \(note)" }
        return text
    }

    package func details(_ report: RunReport) -> String {
        var out: [String] = []
        for result in report.results where result.verdict == .fail || result.verdict == .error || trace {
            out.append("")
            out.append(
                paint(
                    "── \(result.verdict.rawValue.uppercased()): \(result.scenario.id) — \(result.scenario.title)",
                    result.verdict == .pass ? "32" : "31;1"))
            out.append("   file: \(result.scenario.file)")
            if !result.scenario.references.bugs.isEmpty { out.append("   catches: \(result.scenario.references.bugs.joined(separator: ", "))") }
            if let rule = result.scenario.verdict, result.verdict != .pass {
                out.append("   fails when: \(rule.failsWhen)")
                out.append("   passes when: \(rule.passesWhen)")
            }
            for finding in result.findings {
                out.append("   ✗ \(finding.step): \(finding.message)")
                if let because = finding.because { out.append("     why it matters: \(because)") }
            }
            if let reason = result.reason, result.verdict == .error { out.append("   ✗ \(reason)") }
            if trace {
                if !result.transcript.isEmpty { out.append("   transcript:") }
                for exchange in result.transcript { out.append(contentsOf: render(exchange).map { "     " + $0 }) }
            } else {
                let shown = Evidence(result)
                if !shown.named.isEmpty {
                    out.append("   requests of \(shown.names.map { "'\($0)'" }.joined(separator: ", ")), which the failed check reads:")
                    for exchange in shown.named { out.append(contentsOf: render(exchange).map { "     " + $0 }) }
                    if shown.namedLeftOut > 0 { out.append("     … \(shown.namedLeftOut) more of them (use --trace for all)") }
                }
                if !shown.latest.isEmpty {
                    out.append(shown.named.isEmpty ? "   last requests (use --trace for all):" : "   then the last other requests:")
                    for exchange in shown.latest { out.append(contentsOf: render(exchange).map { "     " + $0 }) }
                }
            }
            if result.verdict == .fail || result.verdict == .error, let command = report.reproduction?.command(for: result.scenario.id) {
                out.append("   reproduce: \(command)")
            }
        }
        return out.joined(separator: "\n")
    }

    func render(_ exchange: Exchange) -> [String] {
        if exchange.dropped != nil { return ["… \(exchange.step)"] }
        var lines = ["→ \(exchange.step): \(exchange.method) \(exchange.url)"]
        // Without --trace, long tokens and bodies are cut to 400 bytes with their full size.
        let clip: (String) -> String = { trace ? $0 : Clipped.text($0) }
        if let token = exchange.token {
            lines.append("  token header \(clip(token["header"]?.serializedString() ?? "?"))")
            lines.append("  token claims \(clip(token["payload"]?.serializedString() ?? "?"))")
        }
        if trace, let text = exchange.tokenText { lines.append("  token \(text)") }
        if !exchange.requestBody.isEmpty {
            let type = exchange.requestHeaders.first { $0.name.lowercased() == "content-type" }?.value
            lines.append("  body \(body(exchange.requestBody, contentType: type))")
        }
        for answer in exchange.idpAnswers { lines.append("  mock answered the app: \(answer)") }
        if let error = exchange.error {
            lines.append("← no answer: \(error)")
        } else {
            let type = exchange.responseHeaders.first { $0.name.lowercased() == "content-type" }?.value
            lines.append("← \(exchange.status ?? 0) \(body(exchange.responseBody, contentType: type))  (\(exchange.micros) µs)")
            for header in exchange.responseHeaders { lines.append("  \(header.name): \(header.value)") }
        }
        return lines
    }

    /// A body on one line: an HTML page reduced to its text; without --trace, cut to 400 bytes
    /// with its full size.
    func body(_ text: String, contentType: String?) -> String {
        guard !text.isEmpty else { return "" }
        let page = contentType.map { $0.lowercased().contains("html") } ?? Self.looksLikeHTML(text)
        let line = page ? HTMLText.visibleText(text) : HTMLText.oneLine(text)
        let shown = trace ? line : Clipped.text(line)
        return page ? "[text of \(Clipped.grouped(text.utf8.count)) bytes of HTML] \(shown)" : shown
    }

    static func looksLikeHTML(_ text: String) -> Bool {
        let start = text.drop { $0.isWhitespace }.prefix(15).lowercased()
        return start.hasPrefix("<!doctype html") || start.hasPrefix("<html")
    }

    package func summary(_ report: RunReport) -> String {
        let errors = report.count(.error)
        var lines: [String] = [""]
        if errors > 0 { lines.append("\(errors) scenario(s) could not run (errors count as failed).") }
        lines.append("target \(report.targetName) — " + String(cFormat: "%.2f s", report.seconds))
        lines.append(
            "\(report.count(.pass)) passed, \(report.count(.fail) + errors) failed, \(report.count(.skipped)) skipped, \(report.count(.notApplicable)) not applicable"
        )
        return lines.joined(separator: "\n")
    }
}

/// Which exchanges a failure shows without --trace: first every request of the responses the
/// failed checks read (the forged callback and the app's answer to it), then the latest others.
struct Evidence {
    static let namedLimit = 12
    static let latestLimit = 6

    var names: [String] = []
    var named: [Exchange] = []
    var namedLeftOut = 0
    var latest: [Exchange] = []

    init(_ result: ScenarioResult) {
        for finding in result.findings { for name in finding.responses where !names.contains(name) { names.append(name) } }
        var others: [Exchange] = []
        for exchange in result.transcript {
            if exchange.dropped == nil, Self.belongs(exchange.step, toAnyOf: names) {
                if named.count < Self.namedLimit { named.append(exchange) } else { namedLeftOut += 1 }
            } else {
                others.append(exchange)
            }
        }
        latest = Array(others.suffix(Self.latestLimit))
    }

    /// An exchange's step reads `callback r`, `callback r: browser at the app's login`,
    /// `probe r (cookies …)`, `parallel race #3`, `credentials create c`: the step's own words
    /// come before the first colon or parenthesis, its kind first.
    static func belongs(_ step: String, toAnyOf names: [String]) -> Bool {
        guard !names.isEmpty else { return false }
        let head = step.prefix { $0 != ":" && $0 != "(" }
        let words = head.split(separator: " ").dropFirst()
        return words.contains { names.contains(String($0)) }
    }
}
