import Foundation
import HTTP
import TestSupport
import Testing

@testable import Conformance

/// The console's failure block shows the requests of the responses the failed check reads first,
/// and every body on one line.
@Suite struct ConsoleEvidenceTests {
    @Test func aPageIsReducedToItsTextOnOneLine() {
        let page = """
            <!doctype html>
            <html><head><title>Sign in</title>
            <style>h1 { color: red }</style><script>var x = "<b>not text</b>";</script></head>
            <body><!-- a comment -->
              <h1>Login   expired</h1>
              <p>Tom &amp; Jerry &lt;3 &#x41;&#66; &bogus; a&b</p>
            </body></html>
            """
        #expect(HTMLText.visibleText(page) == "Sign in Login expired Tom & Jerry <3 AB &bogus; a&b")
        #expect(HTMLText.oneLine("a\n  b\r\n\tc\u{1B}[31m") == "a b c\\x1b[31m")
        let reporter = ConsoleReporter(color: false, trace: false)
        let long = "<html><body>" + String(repeating: "<p>word</p>\n", count: 200) + "</body></html>"
        let shown = reporter.body(long, contentType: "text/html; charset=utf-8")
        #expect(!shown.contains("\n"))
        #expect(shown.hasPrefix("[text of \(Clipped.grouped(long.utf8.count)) bytes of HTML] word word"))
        #expect(shown.hasSuffix("… 999 bytes"))  // 200 words and the spaces between them
        #expect(reporter.body("{\n  \"a\": 1\n}", contentType: "application/json") == #"{ "a": 1 }"#)
        // Without a Content-Type, a body that starts like a page is still read as one.
        #expect(reporter.body("  <!DOCTYPE html><p>hi</p>", contentType: nil).hasSuffix("] hi"))
    }

    @Test func theRequestsOfTheNamedResponseComeFirst() {
        func exchange(_ step: String, _ body: String) -> Exchange {
            Exchange(
                step: step, method: "GET", url: "http://127.0.0.1:1/x", requestHeaders: [], requestBody: "", status: 200,
                responseBody: Array(body.utf8))
        }
        let transcript =
            [
                exchange("callback forged: browser at the app's login", "login"),
                exchange("callback forged", "forged answer"),
                exchange("probe forged (cookies 1)", "forged probe"),
            ] + (1...8).map { exchange("callback after\($0)", "valid \($0)") }
        let scenario = Scenario(file: "f.json", id: "token.x", family: "token", title: "t", steps: [.mark("m")])
        let result = ScenarioResult(
            scenario: scenario, verdict: .fail, seconds: 0.1,
            findings: [Finding(step: "steps[2]", message: "forged: accepted", because: nil, responses: ["forged"])], transcript: transcript)
        let evidence = Evidence(result)
        #expect(evidence.named.map(\.step) == ["callback forged: browser at the app's login", "callback forged", "probe forged (cookies 1)"])
        #expect(evidence.latest.map(\.step) == (3...8).map { "callback after\($0)" })
        let text = ConsoleReporter(color: false, trace: false).details(
            RunReport(targetName: "t", targetURL: "u", results: [result], seconds: 1, startedAtMillis: 0))
        let forged = text.range(of: "forged answer")
        let valid = text.range(of: "valid 3")
        #expect(forged != nil && valid != nil)
        if let forged, let valid { #expect(forged.lowerBound < valid.lowerBound) }
        #expect(!text.contains("valid 2"))
        #expect(Evidence.belongs("parallel race #3", toAnyOf: ["race"]))
        #expect(!Evidence.belongs("callback r: probe", toAnyOf: ["probe"]))
    }

    /// The reference web app that does not check the issuer: the failure shows the callback that
    /// carried the wrong-issuer token (its claims decoded) and the app's answer before the valid
    /// login that follows it, and no answer spreads over several lines.
    @Test func aSeededBugsFailureShowsTheForgedCallbackFirst() throws {
        let run = try BuiltTool.run([
            "run", "--target", "scenarios/targets/reference-web-app.json", "--app-arg=--bug=issuer-not-checked",
            "--filter", "token.wrong-issuer", "--seed", "7", "--jobs", "1",
        ])
        #expect(run.status == 1, "\(run.stdout)\n\(run.stderr)")
        let lines = run.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard let header = lines.firstIndex(where: { $0.contains("requests of 'r', which the failed check reads:") }),
            let others = lines.firstIndex(where: { $0.contains("then the last other requests:") })
        else {
            Issue.record("no evidence section:\n\(run.stdout)")
            return
        }
        #expect(header < others)
        let evidence = lines[header..<others]
        guard let forged = evidence.firstIndex(where: { $0.contains(#""iss":"https://evil.example""#) }) else {
            Issue.record("the forged claims are not in the evidence:\n\(evidence.joined(separator: "\n"))")
            return
        }
        #expect(lines[forged - 2].contains("→ callback r: GET ") && lines[forged - 2].contains("/callback?code="))
        #expect(lines[forged + 1].hasPrefix("     ← 302"))
        #expect(!evidence.contains { $0.contains("callback after") })
        // Every line of a failure block is a heading, a request, an answer or one of its details:
        // a body spread over several lines would leave lines that start with none of these.
        let start = lines.firstIndex { $0.hasPrefix("── FAIL") } ?? 0
        let end = lines.firstIndex { $0.hasPrefix("target ") } ?? lines.count
        let block = lines[start..<end]
        for line in block where !line.isEmpty && !line.hasPrefix("── ") {
            #expect(line.hasPrefix("   "), "a line outside the layout: \(line)")
        }
    }
}
