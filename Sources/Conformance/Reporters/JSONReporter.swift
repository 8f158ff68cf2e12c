import Essentials
import FoundationEssentials
import Glibc
import JSON

/// The machine-readable report: everything the console shows, plus full transcripts.
package enum JSONReporter {
    package static func render(_ report: RunReport) -> JSONValue {
        [
            "target": ["name": .string(report.targetName), "base_url": .string(report.targetURL)],
            "started_at": .string(ISO8601.string(milliseconds: report.startedAtMillis)),
            "seconds": .double(report.seconds),
            "summary": [
                "passed": .int(Int64(report.count(.pass))), "failed": .int(Int64(report.count(.fail))),
                "errors": .int(Int64(report.count(.error))), "skipped": .int(Int64(report.count(.skipped))),
                "not_applicable": .int(Int64(report.count(.notApplicable))),
            ],
            "seed": report.reproduction.map { .string(String($0.seed)) } ?? .null,
            "scenarios": .array(report.results.map { render($0, reproduction: report.reproduction) }),
        ]
    }

    static func render(_ result: ScenarioResult, reproduction: Reproduction? = nil) -> JSONValue {
        let scenario = result.scenario
        return [
            "id": .string(scenario.id),
            "family": .string(scenario.family),
            "title": .string(scenario.title),
            "file": .string(scenario.file),
            "iteration": .int(Int64(result.iteration)),
            "verdict": .string(result.verdict.rawValue),
            "seconds": .double(result.seconds),
            "references": [
                "bugs": .array(scenario.references.bugs.map(JSONValue.string)),
                "rfc": .array(scenario.references.rfc.map(JSONValue.string)),
                "oidf": .array(scenario.references.oidf.map(JSONValue.string)),
            ],
            "reason": result.reason.map(JSONValue.string) ?? .null,
            "verdict_rule": scenario.verdict.map { ["fails_when": .string($0.failsWhen), "passes_when": .string($0.passesWhen)] } ?? .null,
            "reproduce": (result.verdict == .fail || result.verdict == .error ? reproduction?.command(for: scenario.id) : nil).map(JSONValue.string)
                ?? .null,
            "findings": .array(result.findings.map(\.json)),
            "transcript": .array(result.transcript.map(\.json)),
        ]
    }

    package static func write(_ report: RunReport, to path: String) throws {
        try ReportFile.write(Array(render(report).serializedString(pretty: true).utf8), to: path)
    }
}
