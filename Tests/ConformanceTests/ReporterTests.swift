import Foundation
import JSON
import TestSupport
import Testing

@testable import Conformance

#if canImport(FoundationXML)
    import FoundationXML
#endif

/// A report with one result of every verdict, as the runner would produce it.
func sampleReport() -> RunReport {
    func scenario(_ id: String, _ family: String) -> Scenario {
        var scenario = Scenario(
            file: "scenarios/suite/\(family)/\(id).json", id: id, family: family, title: "Title of \(id) <&>", steps: [.mark("m")])
        scenario.references.bugs = ["some-bug"]
        return scenario
    }
    let exchange = Exchange(
        step: "callback r", method: "POST", url: "http://127.0.0.1:1/v1/auth/web/callback", requestHeaders: [("Authorization", "Bearer <token>")],
        requestBody: "", tokenText: "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ1c2VyXzEifQ.", status: 200,
        responseBody: Array(#"{"workspace":{"id":"w1"}}"#.utf8), error: nil, micros: 812)
    return RunReport(
        targetName: "demo", targetURL: "http://127.0.0.1:1",
        results: [
            ScenarioResult(
                scenario: scenario("token.alg-none", "token"), verdict: .fail, seconds: 0.25,
                findings: [Finding(step: "steps[3]", message: "r: expected status 4xx, got 200 \u{01}", because: "alg none must be refused")],
                transcript: [exchange]),
            ScenarioResult(scenario: scenario("token.expired", "token"), verdict: .pass, seconds: 0.1),
            ScenarioResult(
                scenario: scenario("provisioning.heals", "provisioning"), verdict: .skipped, seconds: 0, reason: "requires capability: fault_hook"),
            ScenarioResult(
                scenario: scenario("replay.same", "replay"), verdict: .error, seconds: 0.5, reason: "app unreachable: connection refused\nmore"),
        ], seconds: 1.5, startedAtMillis: 1_767_225_600_000)
}

@Suite struct ReporterTests {
    @Test func junitHasASuitePerFamilyAndACasePerScenario() throws {
        let xml = JUnitReporter.render(sampleReport())
        let document = try XMLDocumentTree(xml)
        #expect(document.root.name == "testsuites")
        #expect(document.root.attributes["tests"] == "4")
        #expect(document.root.attributes["failures"] == "1")
        #expect(document.root.attributes["errors"] == "1")
        #expect(document.root.attributes["skipped"] == "1")
        let suites = document.root.children.filter { $0.name == "testsuite" }
        #expect(suites.map { $0.attributes["name"] ?? "" } == ["token", "provisioning", "replay"])
        let token = suites[0].children.filter { $0.name == "testcase" }
        #expect(token.map { $0.attributes["classname"] ?? "" } == ["conformance.token", "conformance.token"])
        #expect(token[0].attributes["file"] == "scenarios/suite/token/token.alg-none.json")
        #expect(token[0].children.first?.name == "failure")
        #expect(token[0].children.first?.attributes["message"]?.contains("expected status 4xx") == true)
        #expect(token[1].children.isEmpty)
        #expect(suites[1].children.last?.children.first?.name == "skipped")
        #expect(suites[2].children.last?.children.first?.name == "error")
    }

    @Test(.enabled(if: Interop.available, "needs .venv (created by .ci/run) with junitparser"))
    func junitParsesWithAStandardJUnitReader() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("mockidp-junit-\(UUID().uuidString).xml")
        try JUnitReporter.write(sampleReport(), to: file.path)
        defer { try? FileManager.default.removeItem(at: file) }
        let read = try Interop.run("read_junit.py", [file.path])
        let suites = try #require(read["suites"]?.arrayValue)
        #expect(suites.count == 3)
        let results = suites.flatMap { $0["cases"]?.arrayValue ?? [] }.map { $0["result"]?.stringValue ?? "" }
        #expect(results == ["failure", "pass", "skipped", "error"])
        #expect(suites[0]["failures"] == 1)
    }

    @Test func jsonReportCarriesVerdictsFindingsAndTranscripts() throws {
        let json = try JSONValue.parse(JSONReporter.render(sampleReport()).serialized())
        #expect(json["summary"] == ["passed": 1, "failed": 1, "errors": 1, "skipped": 1, "not_applicable": 0])
        let first = try #require(json["scenarios"]?[0])
        #expect(first["verdict"] == "fail")
        #expect(first["findings"]?[0]?["because"] == "alg none must be refused")
        #expect(first["transcript"]?[0]?["token"]?["header"]?["alg"] == "none")
        #expect(first["references"]?["bugs"] == ["some-bug"])
    }

    @Test func consoleEndsWithTheCountsAndHonoursNoColor() {
        let report = sampleReport()
        let plain = ConsoleReporter(color: false, trace: false)
        let summary = plain.summary(report)
        #expect(summary.split(separator: "\n").last == "1 passed, 2 failed, 1 skipped, 0 not applicable")
        let details = plain.details(report)
        #expect(!details.contains("\u{1B}["))
        #expect(details.contains("✗ steps[3]: r: expected status 4xx, got 200"))
        #expect(details.contains("why it matters: alg none must be refused"))
        #expect(details.contains(#"token header {"alg":"none"}"#))
        #expect(details.contains("← 200"))
        let colored = ConsoleReporter(color: true, trace: false).line(for: report.results[0], index: 1, total: 4)
        #expect(colored.contains("\u{1B}[31;1mFAIL"))
        #expect(plain.line(for: report.results[2], index: 3, total: 4).contains("SKIP  provisioning.heals"))
    }

    @Test func exitCodesFollowTheVerdicts() {
        var report = sampleReport()
        #expect(report.exitCode(strict: false) == 3)
        report.results.removeLast()
        #expect(report.exitCode(strict: false) == 1)
        report.results.removeFirst()
        #expect(report.exitCode(strict: false) == 0)
        #expect(report.exitCode(strict: true) == 1)
    }
}

/// A minimal DOM over FoundationXML's parser, so the test reads the XML with a real XML parser.
struct XMLDocumentTree {
    final class Node {
        let name: String
        let attributes: [String: String]
        var children: [Node] = []
        init(name: String, attributes: [String: String]) {
            self.name = name
            self.attributes = attributes
        }
    }

    let root: Node

    init(_ text: String) throws {
        let builder = Builder()
        let parser = XMLParser(data: Data(text.utf8))
        parser.delegate = builder
        guard parser.parse(), let root = builder.root else {
            throw TestFailure("not well-formed XML: \(parser.parserError.map { "\($0)" } ?? "no root")")
        }
        self.root = root
    }

    final class Builder: NSObject, XMLParserDelegate {
        var root: Node?
        var stack: [Node] = []
        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String]) {
            let node = Node(name: name, attributes: attributes)
            if let parent = stack.last { parent.children.append(node) } else { root = node }
            stack.append(node)
        }
        func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
            stack.removeLast()
        }
    }
}
