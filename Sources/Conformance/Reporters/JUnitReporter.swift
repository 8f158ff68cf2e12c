import Essentials
import FoundationEssentials
import Glibc

/// JUnit XML as GitLab, Jenkins and the GitHub report actions read it: a testsuite per family,
/// a testcase per scenario; `failure` for a failed check, `error` for a harness or app problem,
/// `skipped` for a missing capability.
package enum JUnitReporter {
    package static func render(_ report: RunReport) -> String {
        var families: [String] = []
        var byFamily: [String: [ScenarioResult]] = [:]
        for result in report.results {
            if byFamily[result.scenario.family] == nil { families.append(result.scenario.family) }
            byFamily[result.scenario.family, default: []].append(result)
        }
        func counts(_ results: [ScenarioResult]) -> String {
            "tests=\"\(results.count)\" failures=\"\(results.filter { $0.verdict == .fail }.count)\" errors=\"\(results.filter { $0.verdict == .error }.count)\" skipped=\"\(results.filter { $0.verdict == .skipped || $0.verdict == .notApplicable }.count)\""
        }
        var xml = ["<?xml version=\"1.0\" encoding=\"UTF-8\"?>"]
        xml.append("<testsuites name=\"mockidp-conformance\" \(counts(report.results)) time=\"\(format(report.seconds))\">")
        let timestamp = ISO8601.string(milliseconds: report.startedAtMillis)
        for family in families {
            let results = byFamily[family] ?? []
            xml.append(
                "  <testsuite name=\"\(escape(family))\" \(counts(results)) time=\"\(format(results.reduce(0) { $0 + $1.seconds }))\" timestamp=\"\(timestamp)\">"
            )
            xml.append(
                "    <properties><property name=\"target\" value=\"\(escape(report.targetName))\"/><property name=\"base_url\" value=\"\(escape(report.targetURL))\"/><property name=\"not_applicable\" value=\"\(results.filter { $0.verdict == .notApplicable }.count)\"/></properties>"
            )
            for result in results {
                let name = result.iteration > 1 ? "\(result.scenario.id) (run \(result.iteration))" : result.scenario.id
                let open =
                    "    <testcase classname=\"conformance.\(escape(family))\" name=\"\(escape(name))\" file=\"\(escape(result.scenario.file))\" time=\"\(format(result.seconds))\""
                // The OpenID Foundation conformance tests the scenario mirrors, one property each.
                var oidf = result.scenario.references.oidf.map { "<property name=\"oidf\" value=\"\(escape($0))\"/>" }.joined()
                // A pass with a note: what a check found and the rule that allows it.
                if result.verdict == .pass, let note = result.reason { oidf += "<property name=\"note\" value=\"\(escape(note))\"/>" }
                switch result.verdict {
                case .pass:
                    if oidf.isEmpty {
                        xml.append(open + "/>")
                    } else {
                        xml.append(open + ">")
                        xml.append("      <properties>\(oidf)</properties>")
                        xml.append("    </testcase>")
                    }
                case .skipped:
                    xml.append(open + ">")
                    if !oidf.isEmpty { xml.append("      <properties>\(oidf)</properties>") }
                    xml.append("      <skipped message=\"\(escape(result.reason ?? "skipped"))\"/>")
                    xml.append("    </testcase>")
                case .notApplicable:
                    // JUnit has no such outcome: a skip readers understand, marked apart by its property.
                    xml.append(open + ">")
                    xml.append("      <properties><property name=\"verdict\" value=\"not_applicable\"/>\(oidf)</properties>")
                    xml.append("      <skipped message=\"\(escape("not applicable: " + (result.reason ?? "")))\"/>")
                    xml.append("    </testcase>")
                case .fail:
                    xml.append(open + ">")
                    if !oidf.isEmpty { xml.append("      <properties>\(oidf)</properties>") }
                    let message = result.findings.first?.message ?? "failed"
                    xml.append(
                        "      <failure message=\"\(escape(message))\" type=\"assertion\">\(escape(body(result, report.reproduction)))</failure>")
                    xml.append("    </testcase>")
                case .error:
                    xml.append(open + ">")
                    if !oidf.isEmpty { xml.append("      <properties>\(oidf)</properties>") }
                    let message = (result.reason ?? "error").split(separator: "\n").first.map(String.init) ?? "error"
                    xml.append("      <error message=\"\(escape(message))\" type=\"harness\">\(escape(body(result, report.reproduction)))</error>")
                    xml.append("    </testcase>")
                }
            }
            xml.append("  </testsuite>")
        }
        xml.append("</testsuites>")
        return xml.joined(separator: "\n") + "\n"
    }

    static func body(_ result: ScenarioResult, _ reproduction: Reproduction? = nil) -> String {
        let console = ConsoleReporter(color: false, trace: true)
        var lines = result.findings.map { "\($0.step): \($0.message)" + ($0.because.map { "\n  why it matters: \($0)" } ?? "") }
        if let reason = result.reason { lines.append(reason) }
        lines.append("file: \(result.scenario.file)")
        for exchange in result.transcript { lines.append(contentsOf: console.render(exchange)) }
        if let command = reproduction?.command(for: result.scenario.id) { lines.append("reproduce: \(command)") }
        return lines.joined(separator: "\n")
    }

    static func format(_ seconds: Double) -> String { String(cFormat: "%.3f", seconds) }

    /// XML 1.0 text: escape markup and drop the control characters XML cannot carry.
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            case "\n", "\t", "\r": out.unicodeScalars.append(scalar)
            default:
                if scalar.value < 0x20 || (0xD800...0xDFFF).contains(scalar.value) || scalar.value == 0xFFFE || scalar.value == 0xFFFF {
                    out += "\u{FFFD}"
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }

    package static func write(_ report: RunReport, to path: String) throws {
        try ReportFile.write(Array(render(report).utf8), to: path)
    }
}
