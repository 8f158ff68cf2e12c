import Foundation
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
        var text = "[\(counter)] \(label) \(result.scenario.id)  \(paint(String(format: "%.2fs", result.seconds), "2"))"
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
            let exchanges = trace ? result.transcript : Array(result.transcript.suffix(6))
            if !exchanges.isEmpty {
                out.append(trace ? "   transcript:" : "   last requests (use --trace for all):")
                for exchange in exchanges { out.append(contentsOf: render(exchange).map { "     " + $0 }) }
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
        if !exchange.requestBody.isEmpty { lines.append("  body \(clip(exchange.requestBody))") }
        for answer in exchange.idpAnswers { lines.append("  mock answered the app: \(answer)") }
        if let error = exchange.error {
            lines.append("← no answer: \(error)")
        } else {
            lines.append("← \(exchange.status ?? 0) \(clip(exchange.responseBody))  (\(exchange.micros) µs)")
            for header in exchange.responseHeaders { lines.append("  \(header.name): \(header.value)") }
        }
        return lines
    }

    package func summary(_ report: RunReport) -> String {
        let errors = report.count(.error)
        var lines: [String] = [""]
        if errors > 0 { lines.append("\(errors) scenario(s) could not run (errors count as failed).") }
        lines.append(String(format: "target %@ — %.2f s", report.targetName, report.seconds))
        lines.append(
            "\(report.count(.pass)) passed, \(report.count(.fail) + errors) failed, \(report.count(.skipped)) skipped, \(report.count(.notApplicable)) not applicable"
        )
        return lines.joined(separator: "\n")
    }
}
