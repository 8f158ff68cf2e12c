import Dispatch
import Essentials
import FoundationEssentials
import Glibc
import HTTP
import IdP
import JSON

/// One simulated browser: its cookie jar, requests that carry and keep its cookies, and
/// redirects followed as a browser does within the origins a step allows. Login, logout and
/// probes all go through it, so cookie rules are applied in one place.
struct Browser {
    let jar: CookieJar
    let context: ScenarioContext

    init(jar: CookieJar = CookieJar(), context: ScenarioContext) {
        self.jar = jar
        self.context = context
    }

    /// Sends `request` with the jar's cookies for its URL (SameSite judged for a `cookieMethod`
    /// navigation started from `initiatorHost`) and keeps the answer's cookies, unless the
    /// request only observes (`keepsCookies: false`: a probe reads the session, never changes it).
    func send(
        _ request: ClientRequest, cookieMethod: String = "GET", initiatorHost: String? = nil, step: String, token: String? = nil,
        keepsCookies: Bool = true
    ) -> Captured {
        var request = request
        if let cookie = jar.header(for: request.url, method: cookieMethod, initiatorHost: initiatorHost) { request.headers.add("Cookie", cookie) }
        let answer = context.wire.send(request, step: step, token: token)
        if keepsCookies { jar.store(answer.setCookies, from: request.url) }
        return answer
    }

    /// A top-level GET navigation to `url`.
    func navigate(to url: String, accept: String = "text/html,application/json", step: String) -> Captured {
        send(ClientRequest(method: "GET", url: url, headers: ["Accept": accept]), step: step)
    }

    /// Follows redirects whose target is within `origins`, as a browser would (at most 10); the
    /// answer is the last one, with every status on the way in `chain` and the first answer's
    /// headers in `firstHeaders`.
    func follow(_ first: Captured, from url: String, within origins: [String], step: String) -> Captured {
        var current = first
        var currentURL = url
        var chain = [first.status ?? 0]
        var hops = [Captured.Hop(url: url, answer: first)]
        for _ in 0..<10 {
            guard let status = current.status, (300..<400).contains(status), let location = current.header("Location") else { break }
            let next = LoginDriver.resolve(location, against: currentURL)
            guard origins.contains(where: { LoginDriver.sameOrigin(next, $0) }) else { break }
            current = navigate(to: next, step: "\(step): redirect")
            chain.append(current.status ?? 0)
            hops.append(Captured.Hop(url: next, answer: current))
            currentURL = next
        }
        current.chain = chain
        current.firstHeaders = first.headers
        current.hops = hops
        return current
    }
}

/// What a response step captured.
struct Captured: Sendable {
    var status: Int?
    var body: [UInt8]
    var json: JSONValue?
    var error: String?
    /// Response headers (`Location`, `Set-Cookie`, …), readable by checks.
    var headers: [(name: String, value: String)] = []
    /// The probe request sent after a login, when the profile has one: identity is read there.
    var probe: Probe?
    /// Every status on the way (a code-flow login's redirects within the app); empty: just `status`.
    var chain: [Int] = []
    /// The first answer's headers when redirects were followed (the callback's own `Set-Cookie`, `Location`).
    var firstHeaders: [(name: String, value: String)] = []
    /// The `Authorization` header the request carried, to send the probe as the same caller.
    var sentAuthorization: String?
    /// Each request of a followed chain (the callback, then each redirect): where it went, the
    /// cookies its answer set and where it sent the browser next. The session-cookie rules read it.
    var hops: [Hop] = []

    struct Hop: Sendable {
        var url: String
        var setCookies: [String]
        var location: String?

        init(url: String, answer: Captured) {
            self.init(url: url, setCookies: answer.setCookies, location: answer.header("Location"))
        }

        init(url: String, setCookies: [String], location: String?) {
            self.url = url
            self.setCookies = setCookies
            self.location = location
        }
    }

    struct Probe: Sendable {
        var status: Int?
        var body: [UInt8]
        var json: JSONValue?
    }

    var bodyText: String { String(decoding: body, as: UTF8.self) }

    /// Where profile fields are read: the probe's answer when there was one, else this answer.
    var fieldJSON: JSONValue? { probe.map(\.json) ?? json }
    var fieldText: String { probe.map { String(decoding: $0.body, as: UTF8.self) } ?? bodyText }

    func header(_ name: String) -> String? { headers.first { $0.name.lowercased() == name.lowercased() }?.value }

    var setCookies: [String] { headers.filter { $0.name.lowercased() == "set-cookie" }.map(\.value) }

    /// Every status the login produced: the redirect chain and the probe.
    var allStatuses: [Int] { (chain.isEmpty ? [status].compactMap { $0 } : chain) + [probe?.status].compactMap { $0 } }
}

/// The scenario's connection to the app: every request its browsers and checks send goes out
/// here, and the transcript the report shows is kept here.
final class Wire {
    let idp: MockIdP
    let app: AppTarget
    /// Bounded by bytes: a long scenario keeps its first and latest exchanges.
    private var kept = Transcript()
    var transcript: [Exchange] { kept.exchanges }

    init(idp: MockIdP, app: AppTarget) {
        self.idp = idp
        self.app = app
    }

    /// Set by a `deadline` step: the app's answers are awaited `seconds` at most, with `client`.
    private(set) var deadline: (client: HTTPClient, seconds: Double)?
    /// Set when a bounded wait ran far past its bound: the runner, not the app, was late (a
    /// loaded machine), so what it saw proves nothing about the app.
    private(set) var overdue: String?

    func setDeadline(_ seconds: Double?, client: HTTPClient?) {
        deadline?.client.closeIdleConnections()
        deadline = seconds.flatMap { seconds in client.map { (client: $0, seconds: seconds) } }
    }

    private var sender: HTTPClient { deadline?.client ?? app.client }

    /// Past its bound plus this slack, a timed-out wait was not kept by the machine.
    static func slack(_ bound: Double) -> Double { max(2, bound / 2) }

    private func noteOverdue(_ url: String, startedAt started: UInt64, failed: Bool) {
        guard failed, let bound = deadline?.seconds, overdue == nil else { return }
        let waited = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        guard waited > bound + Self.slack(bound) else { return }
        overdue =
            "the runner meant to wait at most \(String(cFormat: "%.1f", bound)) s for \(url) but its wait ended after "
            + "\(String(cFormat: "%.1f", waited)) s: the machine could not keep the deadline, so no verdict on a hang"
    }

    /// Setup calls are the harness's own: the transcript keeps what the scenario did.
    func forgetTranscript() { kept.removeAll() }

    /// A smaller transcript budget than `ScenarioBudget.maxTranscriptBytes` (tests).
    func limitTranscript(to bytes: Int) { kept = Transcript(budget: bytes) }

    // MARK: Sending

    static let reportedHeaders: Set<String> = ["location", "set-cookie", "content-type", "www-authenticate", "retry-after"]

    /// The headers a report shows, each value cut to 200 characters (a sealed session is kilobytes).
    static func reported(_ fields: [(name: String, value: String)]) -> [(name: String, value: String)] {
        fields.filter { reportedHeaders.contains($0.name.lowercased()) }.map { field in
            // A cookie's value is cut, never its attributes (Secure, HttpOnly, SameSite matter to a reader).
            let cut = field.name.lowercased() == "set-cookie" ? (field.value.firstIndex(of: ";") ?? field.value.endIndex) : field.value.endIndex
            let head = field.value[..<cut]
            let tail = field.value[cut...]
            guard head.count > 200 else { return field }
            return (name: field.name, value: String(head.prefix(120)) + "…(\(head.utf8.count) bytes)" + tail)
        }
    }

    /// The mock's 4xx/5xx answers to the app since `sequence`, for the report.
    func idpAnswers(since sequence: Int) -> [String] {
        idp.journal.entries(Journal.Filter(sinceSequence: sequence)).filter { $0.status >= 400 || $0.status == 0 }.map { entry in
            "\(entry.status == 0 ? "dropped" : String(entry.status)) to \(entry.method) \(entry.path)"
                + (entry.errorBody.map { " " + String($0.prefix(300)) } ?? "")
        }
    }

    func send(_ request: ClientRequest, step: String, token: String?) -> Captured {
        let started = DispatchTime.now().uptimeNanoseconds
        var exchange = Exchange(
            step: step, method: request.method, url: request.url,
            requestHeaders: request.headers.fields.map {
                (name: $0.name, value: $0.name.lowercased() == "authorization" ? "Bearer <token>" : $0.value)
            },
            requestBody: String(decoding: request.body, as: UTF8.self),
            tokenText: token)
        let mark = idp.journal.lastSequence
        var captured: Captured
        do {
            let response = try sender.send(request)
            captured = Captured(
                status: response.status, body: response.body, json: try? response.json(), error: nil, headers: response.headers.fields)
            exchange.status = response.status
            exchange.responseBytes = response.body
            exchange.responseHeaders = Self.reported(response.headers.fields)
        } catch {
            captured = Captured(status: nil, body: [], json: nil, error: error.description)
            exchange.error = error.description
            noteOverdue(request.url, startedAt: started, failed: true)
        }
        captured.sentAuthorization = request.headers["Authorization"]
        exchange.micros = Int((DispatchTime.now().uptimeNanoseconds - started) / 1000)
        exchange.idpAnswers = idpAnswers(since: mark)
        kept.append(exchange)
        return captured
    }

    /// Fires requests at once over pre-opened connections (the race primitive), in order. A racer
    /// whose connection never opened never reached the app: a harness error, not an answer.
    func sendConcurrently(_ requests: [ClientRequest], step: String, tokens: [String?]) throws -> [Captured] {
        let mark = idp.journal.lastSequence
        let started = DispatchTime.now().uptimeNanoseconds
        let (results, timings) = sender.sendConcurrentlyTimed(requests)
        if results.contains(where: { if case .failure = $0 { return true } else { return false } }) {
            noteOverdue(requests.first?.url ?? "", startedAt: started, failed: true)
        }
        let answers = idpAnswers(since: mark)
        var captured: [Captured] = []
        for (index, result) in results.enumerated() {
            let request = requests[index]
            var exchange = Exchange(
                step: "\(step) #\(index + 1)", method: request.method, url: request.url, requestHeaders: [],
                requestBody: "", tokenText: tokens[index])
            switch result {
            case .success(let response):
                var one = Captured(
                    status: response.status, body: response.body, json: try? response.json(), error: nil, headers: response.headers.fields)
                one.sentAuthorization = request.headers["Authorization"]
                captured.append(one)
                exchange.status = response.status
                exchange.responseBytes = response.body
                exchange.responseHeaders = Self.reported(response.headers.fields)
            case .failure(let error):
                captured.append(Captured(status: nil, body: [], json: nil, error: error.description))
                exchange.error = error.description
            }
            if index == 0 { exchange.idpAnswers = answers }
            exchange.race = timings[index]
            kept.append(exchange)
        }
        if let index = timings.firstIndex(where: { $0.connectEnd == nil }) {
            throw ScenarioStop.harness(
                "\(step) #\(index + 1): the race connection to the app never opened (\(captured[index].error ?? "no connection")); "
                    + "the app was not judged on it")
        }
        return captured
    }
}
