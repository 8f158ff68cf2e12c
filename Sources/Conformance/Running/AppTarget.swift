import FoundationEssentials
import Glibc
import HTTP
import JSON
import Synchronization

/// The app under test: started from its profile (or already running), and spoken to over HTTP.
package final class AppTarget: Sendable {
    package let profile: TargetProfile
    package let baseURL: String
    let client: HTTPClient
    /// The running app, when the profile starts one; replaced by a restart. Only the handle is
    /// behind the lock: starting, stopping and waiting happen outside it.
    private let process = Mutex<AppProcessGroup?>(nil)
    /// The `{app_port}` the runner chose, claimed until this target (and its app) is gone.
    private let portLease: PortLease?

    /// Values for `{placeholder}`s in the profile: `mockidp`, `app_port`, `idp_base_url`, `issuer`,
    /// `jwks_url`, `client_id`, `api_key`, plus any given with `--set name=value`.
    package init(profile: TargetProfile, placeholders: [String: String]) {
        self.profile = profile
        var values = placeholders
        if profile.baseURL.contains("{app_port}") || (profile.start?.command.joined().contains("{app_port}") ?? false), values["app_port"] == nil {
            let lease = PortLease.acquire()
            portLease = lease
            values["app_port"] = String(lease.port)
        } else {
            portLease = nil
        }
        self.placeholders = values
        baseURL = AppTarget.fill(profile.baseURL, values).trimmingSuffix("/")
        client = HTTPClient(configuration: Self.clientConfiguration(readTimeout: .seconds(8)))
    }

    static func clientConfiguration(readTimeout: Duration) -> HTTPClient.Configuration {
        var configuration = HTTPClient.Configuration()
        configuration.connectTimeout = .seconds(2)
        configuration.readTimeout = readTimeout
        // A retried POST would count twice in replay and race scenarios: every send happens once.
        configuration.retryStaleConnections = false
        // As much as a browser takes (Chromium: 256 KiB of response headers): an app that sets
        // a huge cookie is judged by the cookie rules, not cut off by the runner.
        configuration.limits.maxHeadSize = 256 * 1024
        return configuration
    }

    /// A client like `client` that waits at most `seconds` for an answer (a `deadline` step).
    func client(waitingAtMost seconds: Double) -> HTTPClient {
        HTTPClient(configuration: Self.clientConfiguration(readTimeout: .milliseconds(Int64((seconds * 1000).rounded()))))
    }

    package let placeholders: [String: String]

    static func fill(_ text: String, _ values: [String: String]) -> String {
        var result = text
        for (name, value) in values { result = result.replacing("{\(name)}", with: value) }
        return result
    }

    /// A port nobody listens on, claimed from other mockidp runs until this process ends (tests
    /// that need a port where no app answers).
    static func freePort() -> UInt16 {
        let lease = PortLease.acquire()
        keptLeases.withLock { $0.append(lease) }
        return lease.port
    }

    private static let keptLeases = Mutex<[PortLease]>([])

    /// Every `{placeholder}` in the profile has a value; otherwise a profile error naming it.
    package func checkPlaceholders() throws(ConfigError) {
        var fields: [(field: String, text: String)] = [("base_url", profile.baseURL)]
        if let start = profile.start {
            fields += start.command.enumerated().map { ("start.command[\($0.offset)]", $0.element) }
            fields += start.environment.sorted { $0.key < $1.key }.map { ("start.env.\($0.key)", $0.value) }
            if let cwd = start.cwd { fields.append(("start.cwd", cwd)) }
        }
        if let redirectURI = profile.codeFlow?.redirectURI { fields.append(("callback.redirect_uri", redirectURI)) }
        if let audience = profile.resourceServer?.audience { fields.append(("resource_server.audience", audience)) }
        for (field, text) in fields {
            let filled = Self.fill(text, placeholders)
            guard let placeholder = try? Regex(#"\{[A-Za-z_][A-Za-z0-9_]*\}"#), let open = filled.firstMatch(of: placeholder)?.range else { continue }
            let name = filled[open].dropFirst().dropLast()
            throw ConfigError(
                file: profile.file, field: field,
                message:
                    "{\(name)} has no value: pass --set \(name)=VALUE (filled by the runner: \(placeholders.keys.sorted().joined(separator: ", ")))")
        }
    }

    /// Stops the app and starts it again (`start.restart`), dropping pooled connections to the old process.
    package func restart() throws(AppUnreachable) {
        stop()
        client.closeIdleConnections()
        try start()
    }

    /// Starts the app (if the profile says how) and waits until its readiness path answers.
    package func start() throws(AppUnreachable) {
        if let start = profile.start {
            let command = start.command.map { Self.fill($0, placeholders) }
            var environment = ProcessInfo.processInfo.environment
            for (name, value) in start.environment { environment[name] = Self.fill(value, placeholders) }
            let cwd = start.cwd.map { Self.fill($0, placeholders) }
            let started = try AppProcessGroup.start(command: command, environment: environment, directory: cwd)
            process.withLock { $0 = started }
        }
        let timeout = profile.start?.timeoutSeconds ?? 10
        let readyURL = baseURL + (profile.start?.readyPath ?? "/")
        let deadline = Date().addingTimeInterval(timeout)
        var lastError = "no answer"
        // Polling is the only readiness signal an arbitrary app offers; bounded by the timeout.
        while Date() < deadline {
            if let app = process.withLock({ $0 }), !app.isRunning {
                throw AppUnreachable("app unreachable: the app exited with \(app.terminationDescription) before it was ready\n\(logTail())")
            }
            do {
                let response = try client.send(.get(readyURL))
                if response.status < 500 { return }
                lastError = "HTTP \(response.status)"
            } catch {
                lastError = error.description
            }
            usleep(20_000)
        }
        stop()
        throw AppUnreachable("app unreachable: \(readyURL) did not answer within \(timeout) s (last: \(lastError))\n\(logTail())")
    }

    package func stop() {
        process.withLock { $0 }?.stop()
    }

    deinit { stop() }

    /// The last lines the app printed, for "app unreachable" reports.
    package func logTail(lines: Int = 15) -> String {
        guard let text = process.withLock({ $0 })?.output(lastLines: lines), !text.isEmpty else { return "" }
        return "app output (last lines):\n" + text
    }

    package var isRunning: Bool { process.withLock { $0 }?.isRunning ?? true }

    // MARK: Requests

    /// The audience the runner mints every token for (`resource_server.audience`, placeholders filled).
    package var audience: String? { profile.resourceServer.map { Self.fill($0.audience, placeholders) } }

    func callbackRequest(token: String?) -> ClientRequest {
        var request = callbackRequestWithToken(token)
        for (name, value) in profile.callbackHeaders.sorted(by: { $0.key < $1.key }) { request.headers.set(name, value) }
        if let body = profile.callback.body {
            request.body = body.serialized()
            if !profile.callbackHeaders.keys.contains(where: { $0.lowercased() == "content-type" }) {
                request.headers.set("Content-Type", "application/json")
            }
        }
        return request
    }

    private func callbackRequestWithToken(_ token: String?) -> ClientRequest {
        let url = baseURL + profile.callback.path
        var headers: HTTPHeaders = ["Accept": "application/json"]
        guard let token else { return ClientRequest(method: profile.callback.method, url: url, headers: headers) }
        switch profile.tokenPlacement {
        case .bearer:
            headers.add("Authorization", "Bearer \(token)")
            return ClientRequest(method: profile.callback.method, url: url, headers: headers)
        case .json(let field):
            return ClientRequest(method: profile.callback.method, url: url, json: [field: .string(token)], headers: headers)
        case .form(let field):
            return ClientRequest(method: profile.callback.method, url: url, form: [(name: field, value: token)], headers: headers)
        case .query(let name):
            let separator = url.contains("?") ? "&" : "?"
            return ClientRequest(
                method: profile.callback.method, url: url + separator + QueryParameters.encode([(name: name, value: token)]), headers: headers)
        case .cookie(let name):
            headers.add("Cookie", "\(name)=\(token)")
            return ClientRequest(method: profile.callback.method, url: url, headers: headers)
        }
    }

    func request(method: String, path: String, token: String?, body: JSONValue?) -> ClientRequest {
        var headers: HTTPHeaders = ["Accept": "application/json"]
        if let token { headers.add("Authorization", "Bearer \(token)") }
        if let body { return ClientRequest(method: method, url: baseURL + path, json: body, headers: headers) }
        return ClientRequest(method: method, url: baseURL + path, headers: headers)
    }
}

extension String {
    func trimmingSuffix(_ suffix: String) -> String {
        hasSuffix(suffix) ? String(dropLast(suffix.count)) : self
    }
}
