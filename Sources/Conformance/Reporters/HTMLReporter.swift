import Essentials
import FoundationEssentials
import Glibc
import HTTP
import JSON

/// One self-contained page (`--html`): a summary by family and verdict with filters, a card per
/// scenario (failures open: the rule, findings, transcript, the mock's error answers, a reproduce
/// command), and a race timeline for every `parallel` step. No network, no external asset.
/// Everything shown comes from the app or the tokens, so every text goes through `escape`.
package enum HTMLReporter {
    /// Bodies longer than this are cut in the page (the JSON report keeps them whole).
    static let bodyLimit = 16 * 1024
    /// Findings listed before the rest are folded.
    static let findingsShown = 5

    static let verdictOrder: [Verdict] = [.fail, .error, .pass, .skipped, .notApplicable]

    package static func write(_ report: RunReport, to path: String) throws {
        try Data(render(report).utf8).write(to: URL(fileURLWithPath: path))
    }

    package static func render(_ report: RunReport) -> String {
        var page = """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>MockIdP conformance: \(escape(report.targetName))</title>
            <style>\(style)</style></head><body>
            <header><h1>MockIdP conformance report: \(escape(report.targetName))</h1>
            <p class="meta">\(escape(report.targetURL)) · started \(escape(ISO8601.string(milliseconds: report.startedAtMillis))) · \
            \(escape(String(cFormat: "%.2f", report.seconds))) s\(report.reproduction.map { " · seed \($0.seed)" } ?? "")</p>
            <p class="totals">\(verdictOrder.map { "<span class=\"badge \(cssClass($0))\">\(report.count($0)) \(label($0))</span>" }
            .joined(separator: " "))</p>
            </header>

            """
        page += summary(report)
        page += filters(report)
        page += "<main id=\"scenarios\">\n"
        for (index, result) in report.results.enumerated() {
            page += card(result, index: index, reproduction: report.reproduction)
        }
        page += "</main>\n<script>\(script)</script>\n</body></html>\n"
        return page
    }

    // MARK: - Summary and filters

    static func families(_ report: RunReport) -> [String] {
        var seen: [String] = []
        for result in report.results where !seen.contains(result.scenario.family) { seen.append(result.scenario.family) }
        return seen.sorted()
    }

    static func summary(_ report: RunReport) -> String {
        var rows = ""
        for family in families(report) {
            let results = report.results.filter { $0.scenario.family == family }
            rows += "<tr><th scope=\"row\">\(escape(family))</th>"
            for verdict in verdictOrder {
                let count = results.filter { $0.verdict == verdict }.count
                rows +=
                    count == 0
                    ? "<td class=\"zero\">·</td>"
                    : "<td><button type=\"button\" class=\"cell \(cssClass(verdict))\" data-family=\"\(escape(family))\" "
                        + "data-verdict=\"\(verdict.rawValue)\">\(count)</button></td>"
            }
            rows += "</tr>\n"
        }
        let head = verdictOrder.map { "<th scope=\"col\">\(label($0))</th>" }.joined()
        return "<section id=\"summary\"><h2>By family and verdict</h2><table><thead><tr><th></th>\(head)</tr></thead>\n"
            + "<tbody>\n\(rows)</tbody></table></section>\n"
    }

    static func filters(_ report: RunReport) -> String {
        let boxes = verdictOrder.map { verdict in
            "<label><input type=\"checkbox\" data-filter-verdict=\"\(verdict.rawValue)\" checked> "
                + "\(label(verdict)) (\(report.count(verdict)))</label>"
        }.joined(separator: " ")
        let options = families(report).map { "<option value=\"\(escape($0))\">\(escape($0))</option>" }.joined()
        return """
            <section id="filters"><h2>Scenarios</h2>
            <p>\(boxes) <select id="family"><option value="">every family</option>\(options)</select>
            <input id="search" type="search" placeholder="scenario id contains…"> <button type="button" id="reset-filters">show all</button>
            <span class="meta"><span id="shown">\(report.results.count)</span> of \(report.results.count) shown</span></p></section>

            """
    }

    // MARK: - A scenario's card

    static func card(_ result: ScenarioResult, index: Int, reproduction: Reproduction?) -> String {
        let scenario = result.scenario
        let failed = result.verdict == .fail || result.verdict == .error
        var html =
            "<details class=\"scenario \(cssClass(result.verdict))\" id=\"scenario-\(index)\" data-id=\"\(escape(scenario.id))\" "
            + "data-family=\"\(escape(scenario.family))\" data-verdict=\"\(result.verdict.rawValue)\"\(failed ? " open" : "")>\n"
        html +=
            "<summary><span class=\"badge \(cssClass(result.verdict))\">\(label(result.verdict))</span> "
            + "<code class=\"id\">\(escape(scenario.id))</code> \(escape(scenario.title))"
            + (result.iteration > 1 ? " <span class=\"meta\">(repetition \(result.iteration))</span>" : "")
            // A pass carries a reason only when a rule allowed what a check found: flagged, so it is not missed.
            + (result.verdict == .pass && result.reason != nil ? " <span class=\"badge note\">pass with a note</span>" : "")
            + " <span class=\"meta\">\(escape(String(cFormat: "%.2f", result.seconds))) s</span></summary>\n<div class=\"body\">\n"
        var facts = "<dl class=\"facts\"><dt>file</dt><dd>\(escape(scenario.file))</dd>"
        if !scenario.references.bugs.isEmpty { facts += "<dt>catches</dt><dd>\(escape(scenario.references.bugs.joined(separator: ", ")))</dd>" }
        let standards = scenario.references.rfc + scenario.references.oidf
        if !standards.isEmpty { facts += "<dt>references</dt><dd>\(escape(standards.joined(separator: "; ")))</dd>" }
        html += facts + "</dl>\n"
        if let reason = result.reason {
            let label = result.verdict == .error ? "error" : result.verdict == .pass ? "note" : "reason"
            html += "<p class=\"reason\"><strong>\(label):</strong> \(escape(reason))</p>\n"
        }
        if failed, let rule = scenario.verdict {
            html +=
                "<dl class=\"rule\"><dt>fails when</dt><dd>\(escape(rule.failsWhen))</dd>"
                + "<dt>passes when</dt><dd>\(escape(rule.passesWhen))</dd></dl>\n"
        }
        if !result.findings.isEmpty {
            // A race repeated ten times can find the same thing ten times: the first few, the rest folded.
            func list(_ findings: ArraySlice<Finding>) -> String {
                "<ul class=\"findings\">\n"
                    + findings.map { finding in
                        "<li><code>\(escape(finding.step))</code> \(escape(finding.message))"
                            + (finding.because.map { "<br><span class=\"because\">why it matters: \(escape($0))</span>" } ?? "") + "</li>\n"
                    }.joined() + "</ul>\n"
            }
            html += list(result.findings.prefix(Self.findingsShown))
            if result.findings.count > Self.findingsShown {
                html +=
                    "<details class=\"more-findings\"><summary>\(result.findings.count - Self.findingsShown) more finding(s)</summary>"
                    + list(result.findings.dropFirst(Self.findingsShown)) + "</details>\n"
            }
        }
        if failed, let command = reproduction?.command(for: scenario.id) {
            html += "<p class=\"reproduce\">reproduce: <code>\(escape(command))</code> <button type=\"button\" class=\"copy\">copy</button></p>\n"
        }
        for race in races(result.transcript) {
            html += RaceTimeline(step: race.step, racers: race.racers).svg
        }
        if failed && !result.transcript.isEmpty {
            html += "<details class=\"transcript\" open><summary>transcript: \(result.transcript.count) request(s)</summary>\n"
            for exchange in result.transcript { html += self.exchange(exchange) }
            html += "</details>\n"
        }
        return html + "</div></details>\n"
    }

    /// The racers of each run of a `parallel` step, in the order they ran.
    static func races(_ transcript: [Exchange]) -> [(step: String, racers: [Exchange])] {
        var groups: [(step: String, racers: [Exchange])] = []
        for exchange in transcript where exchange.race != nil {
            // Racers are recorded together as "STEP #1" … "STEP #N"; a scenario may run a step again (#1 anew).
            let mark = exchange.step.ranges(of: " #").last
            let step = mark.map { String(exchange.step[..<$0.lowerBound]) } ?? exchange.step
            let number = mark.flatMap { Int(exchange.step[$0.upperBound...]) }
            if let last = groups.indices.last, groups[last].step == step, number != 1 {
                groups[last].racers.append(exchange)
            } else {
                groups.append((step, [exchange]))
            }
        }
        return groups
    }

    static func exchange(_ exchange: Exchange) -> String {
        if exchange.dropped != nil { return "<div class=\"exchange\"><p class=\"error\">… \(escape(exchange.step))</p></div>\n" }
        let status = exchange.status.map(String.init) ?? "no answer"
        let statusClass = exchange.status.map { $0 >= 500 ? "s5" : $0 >= 400 ? "s4" : $0 >= 300 ? "s3" : "s2" } ?? "s0"
        var html =
            "<div class=\"exchange\"><p class=\"request\"><span class=\"step\">\(escape(exchange.step))</span> "
            + "<code>\(escape(exchange.method)) \(escape(exchange.url))</code> → <span class=\"status \(statusClass)\">\(escape(status))</span>"
            + (exchange.race == nil ? " <span class=\"meta\">\(exchange.micros) µs</span>" : "") + "</p>\n"
        if !exchange.requestHeaders.isEmpty { html += headers("request headers", exchange.requestHeaders) }
        if !exchange.requestBody.isEmpty { html += block("request body", exchange.requestBody) }
        if let token = exchange.token {
            html += "<div class=\"token\"><p class=\"label\">token (decoded, not verified)</p>"
            html += "<pre class=\"json\">header \(escape(token["header"].map { $0.serializedString(pretty: true) } ?? "null"))\n"
            html += "claims \(escape(token["payload"].map { $0.serializedString(pretty: true) } ?? "null"))</pre>"
            if let text = exchange.tokenText { html += "<details><summary>as sent</summary><pre class=\"wrap\">\(escape(text))</pre></details>" }
            html += "</div>\n"
        }
        if let error = exchange.error { html += "<p class=\"error\">\(escape(error))</p>\n" }
        if !exchange.responseHeaders.isEmpty { html += headers("response headers", exchange.responseHeaders) }
        if !exchange.responseBytes.isEmpty { html += block("response body", exchange.responseBody) }
        if !exchange.idpAnswers.isEmpty {
            html += "<div class=\"idp-answers\"><p class=\"label\">the mock's 4xx/5xx answers to the app meanwhile</p><ul>"
            for answer in exchange.idpAnswers { html += "<li><code>\(escape(answer))</code></li>" }
            html += "</ul></div>\n"
        }
        return html + "</div>\n"
    }

    static func headers(_ title: String, _ fields: [(name: String, value: String)]) -> String {
        var html = "<table class=\"headers\"><caption>\(title)</caption>"
        for field in fields {
            let lowered = field.name.lowercased()
            let marked = lowered == "set-cookie" || lowered == "location" ? " class=\"marked\"" : ""
            html += "<tr\(marked)><th>\(escape(field.name))</th><td>\(escape(field.value))</td></tr>"
        }
        return html + "</table>\n"
    }

    static func block(_ title: String, _ text: String) -> String {
        let bytes = text.utf8.count
        let shown = bytes > bodyLimit ? String(decoding: text.utf8.prefix(bodyLimit), as: UTF8.self) + "\n…(cut: \(bytes) bytes)" : text
        return "<p class=\"label\">\(title)</p><pre class=\"body-text\">\(escape(shown))</pre>\n"
    }

    // MARK: - Helpers

    package static func escape(_ text: String) -> String { HTMLText.escape(text) }

    static func label(_ verdict: Verdict) -> String {
        switch verdict {
        case .pass: "passed"
        case .fail: "failed"
        case .error: "errors"
        case .skipped: "skipped"
        case .notApplicable: "not applicable"
        }
    }

    static func cssClass(_ verdict: Verdict) -> String { "v-" + verdict.rawValue.replacing("_", with: "-") }

    static let style = """
        body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0 auto;max-width:1200px;padding:1em 1.5em;color:#1d1f23}
        h1{font-size:1.4em;margin:.2em 0}h2{font-size:1.1em;margin:1.2em 0 .4em}.meta{color:#666;font-size:.9em}
        code,pre{font:12.5px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
        pre{background:#f6f7f9;border:1px solid #e3e5e8;border-radius:4px;padding:.5em;overflow:auto;max-height:24em;
        white-space:pre-wrap;word-break:break-all}
        .badge{display:inline-block;border-radius:3px;padding:0 .45em;font-size:.85em;font-weight:600;color:#fff;background:#888}
        .v-pass{background:#2e7d32}.v-fail{background:#c62828}.v-error{background:#ad1457}.v-skipped{background:#8d6e00}
        .v-not-applicable{background:#607d8b}
        table{border-collapse:collapse}#summary td,#summary th{border:1px solid #e3e5e8;padding:.2em .6em;text-align:center}
        #summary th[scope=row]{text-align:left}.zero{color:#bbb}
        button.cell{border:0;border-radius:3px;color:#fff;font-weight:600;cursor:pointer;min-width:2.5em}
        details.scenario{border:1px solid #e3e5e8;border-left:5px solid #999;border-radius:4px;margin:.35em 0;background:#fff}
        details.scenario.v-fail{border-left-color:#c62828}details.scenario.v-error{border-left-color:#ad1457}
        details.scenario.v-pass{border-left-color:#2e7d32}details.scenario.v-skipped{border-left-color:#8d6e00}
        details.scenario.v-not-applicable{border-left-color:#607d8b}
        details.scenario>summary{cursor:pointer;padding:.35em .6em}details.scenario .body{padding:0 .9em .8em}
        .facts,.rule{display:grid;grid-template-columns:max-content 1fr;gap:.1em 1em;margin:.4em 0}dt{color:#666}dd{margin:0}
        .rule{background:#fff8e1;border:1px solid #ffe082;border-radius:4px;padding:.4em .6em}
        .findings li{margin:.3em 0}.because{color:#555}.reason{background:#eceff1;padding:.4em .6em;border-radius:4px}.badge.note{background:#fff3cd;color:#5c4400}
        .reproduce code{background:#f6f7f9;padding:.1em .3em}.exchange{border-top:1px dashed #ccc;padding:.4em 0}
        .step{font-weight:600}.status{font-weight:600}.s2{color:#2e7d32}.s3{color:#1565c0}.s4{color:#c62828}.s5,.s0{color:#ad1457}
        .label{margin:.3em 0 .1em;color:#666;font-size:.85em}.headers caption{text-align:left;color:#666;font-size:.85em}
        .headers th,.headers td{font:12px ui-monospace,monospace;text-align:left;padding:.05em .6em .05em 0;vertical-align:top;word-break:break-all}
        .headers tr.marked th{color:#6a1b9a}.error{color:#ad1457}.idp-answers{background:#fce4ec;border-radius:4px;padding:.2em .6em}
        .timeline{margin:.6em 0}.timeline svg{max-width:100%;height:auto;border:1px solid #e3e5e8;border-radius:4px;background:#fcfcfd}
        .timeline figcaption{font-size:.85em;color:#555}
        """

    static let script = """
        (function(){
        var boxes=Array.prototype.slice.call(document.querySelectorAll('input[data-filter-verdict]'));
        var family=document.getElementById('family'),search=document.getElementById('search');
        function apply(){var on={};boxes.forEach(function(b){if(b.checked)on[b.getAttribute('data-filter-verdict')]=true;});
        var f=family.value,q=search.value.toLowerCase(),shown=0;
        document.querySelectorAll('details.scenario').forEach(function(s){
        var ok=on[s.getAttribute('data-verdict')]&&(!f||s.getAttribute('data-family')===f)&&(!q||s.getAttribute('data-id').toLowerCase().indexOf(q)>=0);
        s.hidden=!ok;if(ok)shown++;});document.getElementById('shown').textContent=shown;}
        boxes.forEach(function(b){b.addEventListener('change',apply);});family.addEventListener('change',apply);search.addEventListener('input',apply);
        document.getElementById('reset-filters').addEventListener('click',function(){
        boxes.forEach(function(b){b.checked=true;});family.value='';search.value='';apply();});
        document.querySelectorAll('button.cell').forEach(function(c){c.addEventListener('click',function(){
        boxes.forEach(function(b){b.checked=b.getAttribute('data-filter-verdict')===c.getAttribute('data-verdict');});
        family.value=c.getAttribute('data-family');search.value='';apply();document.getElementById('filters').scrollIntoView();});});
        document.querySelectorAll('button.copy').forEach(function(button){button.addEventListener('click',function(){
        var code=button.previousElementSibling,text=code.textContent;
        function fallback(){var range=document.createRange();range.selectNodeContents(code);
        var sel=window.getSelection();sel.removeAllRanges();sel.addRange(range);
        try{document.execCommand('copy');button.textContent='copied';}catch(e){button.textContent='press Ctrl+C';}}
        if(navigator.clipboard&&navigator.clipboard.writeText){
        navigator.clipboard.writeText(text).then(function(){button.textContent='copied';},fallback);}else{fallback();}
        });});
        })();
        """
}

/// A `parallel` step drawn as an inline SVG: one lane per racer, its connect (before the release),
/// send, wait for the first byte and the rest of the answer, on one time axis whose 0 is the gate's
/// release. Lanes whose answer differs from the most common one are highlighted (a fact shown, not
/// a verdict: a correct app may answer a racer 409).
struct RaceTimeline {
    var step: String
    var racers: [Exchange]

    static let laneHeight = 24
    static let labelWidth = 230
    static let plotWidth = 680
    static let top = 40

    /// What a racer's answer is compared by: its status and, when every racer signed in as the same
    /// user (one `sub`), the app's IDs in a JSON answer (`id` and `*_id` members): racers of one
    /// user must land in one account, while different users' IDs differ by design.
    static func answers(_ racers: [Exchange]) -> [String] {
        let subjects = Set(racers.map { $0.token?["payload"]?["sub"]?.stringValue ?? "" })
        let sameUser = subjects.count == 1 && subjects.first != ""
        return racers.map { racer in
            let status = racer.status.map(String.init) ?? "no answer"
            guard sameUser, let json = try? JSONValue.parse(racer.responseBytes) else { return status }
            var found: [String] = []
            collectIDs(json, pointer: "", depth: 0, into: &found)
            return ([status] + found).joined(separator: " ")
        }
    }

    static func collectIDs(_ value: JSONValue, pointer: String, depth: Int, into found: inout [String]) {
        guard depth < 4, let object = value.objectValue else { return }
        for (key, member) in object {
            let path = pointer + "/" + key
            if key == "id" || key.hasSuffix("_id"), let text = member.stringValue {
                found.append("\(path)=\(text.count > 8 ? text.prefix(8) + "…" : Substring(text))")
            } else {
                collectIDs(member, pointer: path, depth: depth + 1, into: &found)
            }
        }
    }

    var svg: String {
        let timings = racers.map { $0.race ?? RaceTiming() }
        let instants = timings.flatMap { [$0.connectStart, $0.connectEnd, $0.sendStart, $0.sent, $0.firstByte, $0.end].compactMap { $0 } }
        let low = min(instants.min() ?? 0, 0)
        let high = max(instants.max() ?? 1, 1)
        let span = Double(max(high - low, 1))
        func x(_ instant: Int64) -> Double { Double(Self.labelWidth) + Double(instant - low) / span * Double(Self.plotWidth) }
        let statuses = racers.map { $0.status.map(String.init) ?? "none" }
        let answers = Self.answers(racers)
        let counts = Dictionary(answers.map { ($0, 1) }, uniquingKeysWith: +)
        // The most common answer; on a tie, the earliest racer's.
        let majority = answers.enumerated().max { (counts[$0.element] ?? 0, -$0.offset) < (counts[$1.element] ?? 0, -$1.offset) }?.element
        let disagreeing = answers.filter { $0 != majority }.count
        let width = Self.labelWidth + Self.plotWidth + 50
        let height = Self.top + racers.count * Self.laneHeight + 34
        var svg = "<figure class=\"timeline\" data-step=\"\(HTMLReporter.escape(step))\" data-racers=\"\(racers.count)\">"
        svg +=
            "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(width) \(height)\" width=\"\(width)\" height=\"\(height)\" "
            + "role=\"img\" aria-label=\"race timeline of \(HTMLReporter.escape(step))\">"
        svg += "<text x=\"8\" y=\"16\" font-size=\"12\" font-weight=\"600\">\(HTMLReporter.escape(step)): \(racers.count) racers</text>"
        // Axis: ticks in milliseconds, and the release at 0.
        let axisY = Self.top + racers.count * Self.laneHeight + 6
        for tick in 0...5 {
            let instant = low + Int64(Double(tick) / 5 * span)
            let position = format(x(instant))
            svg += "<line x1=\"\(position)\" y1=\"\(Self.top - 4)\" x2=\"\(position)\" y2=\"\(axisY)\" stroke=\"#e3e5e8\"/>"
            svg += "<text x=\"\(position)\" y=\"\(axisY + 14)\" font-size=\"10\" text-anchor=\"middle\" fill=\"#666\">\(milliseconds(instant))</text>"
        }
        let zero = format(x(0))
        svg +=
            "<line class=\"release\" x1=\"\(zero)\" y1=\"\(Self.top - 6)\" x2=\"\(zero)\" y2=\"\(axisY)\" "
            + "stroke=\"#333\" stroke-dasharray=\"3 2\"/>"
        svg += "<text x=\"\(zero)\" y=\"\(Self.top - 9)\" font-size=\"10\" text-anchor=\"middle\">release</text>"
        for index in racers.indices {
            let timing = timings[index]
            let y = Self.top + index * Self.laneHeight
            let odd = answers[index] != majority
            svg += "<g class=\"lane\(odd ? " disagrees" : "")\" data-racer=\"\(index + 1)\" data-status=\"\(HTMLReporter.escape(statuses[index]))\">"
            if odd { svg += "<rect x=\"0\" y=\"\(y)\" width=\"\(width)\" height=\"\(Self.laneHeight)\" fill=\"#ffebee\"/>" }
            svg +=
                "<text x=\"8\" y=\"\(y + 16)\" font-size=\"11\" fill=\"\(odd ? "#c62828" : "#1d1f23")\">#\(index + 1) → "
                + "\(HTMLReporter.escape(statuses[index]))\(odd ? " differs" : "")"
                + "<title>#\(index + 1): \(HTMLReporter.escape(answers[index]))</title></text>"
            func bar(_ from: Int64?, _ to: Int64?, _ color: String, _ name: String, thin: Bool = false) {
                guard let from, let to, to >= from else { return }
                let left = x(from)
                let barWidth = max(x(to) - left, 1.5)
                let barY = y + (thin ? 11 : 6)
                let barHeight = thin ? 2 : 12
                svg +=
                    "<rect class=\"\(name)\" x=\"\(format(left))\" y=\"\(barY)\" width=\"\(format(barWidth))\" "
                    + "height=\"\(barHeight)\" fill=\"\(color)\">"
                    + "<title>#\(index + 1) \(name): \(milliseconds(from)) to \(milliseconds(to))</title></rect>"
            }
            bar(timing.connectStart, timing.connectEnd, "#90a4ae", "connect")
            bar(timing.connectEnd, timing.sendStart, "#cfd8dc", "parked", thin: true)
            bar(timing.sendStart, timing.sent, "#1565c0", "send")
            bar(timing.sent, timing.firstByte, "#ffb300", "waiting")
            bar(timing.firstByte, timing.end, "#2e7d32", "answer")
            if let firstByte = timing.firstByte {
                svg +=
                    "<circle class=\"first-byte\" cx=\"\(format(x(firstByte)))\" cy=\"\(y + 12)\" r=\"3\" fill=\"#1d1f23\">"
                    + "<title>#\(index + 1) first byte at \(milliseconds(firstByte))</title></circle>"
            }
            svg += "</g>"
        }
        svg +=
            "</svg><figcaption>Times relative to the gate's release (negative: before it). "
            + "Grey: connect; thin: parked at the gate; blue: send; amber: waiting for the first byte; green: the rest of the answer."
            + (disagreeing > 0
                ? " <strong>\(disagreeing) of \(racers.count) racers got an answer other than the most common one "
                    + "(\(HTMLReporter.escape(majority ?? ""))): highlighted; hover a lane's label for its answer.</strong>"
                : " Every racer got the same answer (\(HTMLReporter.escape(majority ?? ""))).")
            + "</figcaption></figure>\n"
        return svg
    }

    func format(_ value: Double) -> String { String(cFormat: "%.1f", value) }

    func milliseconds(_ nanoseconds: Int64) -> String { String(cFormat: "%.3f ms", Double(nanoseconds) / 1_000_000) }
}
