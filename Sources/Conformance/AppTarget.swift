import Foundation
import Glibc
import HTTP
import JSON
import Synchronization

/// The app under test: started from its profile (or already running), and spoken to over HTTP.
public final class AppTarget: Sendable {
    public let profile: TargetProfile
    public let baseURL: String
    let client: HTTPClient
    /// The app process this target started, if any. Set once by `start()`; `stop()` may run on
    /// another thread (the runner's cleanup), hence the lock.
    private let launched = Mutex<Launch?>(nil)

    /// Foundation's `Process` is internally synchronized but not yet marked `Sendable`; only
    /// its thread-safe members (`isRunning`, `terminate`, `waitUntilExit`) are used here.
    private struct Launch: @unchecked Sendable {
        let process: Process
        let logFile: URL
    }

    private var process: Process? { launched.withLock { $0?.process } }
    private var logFile: URL? { launched.withLock { $0?.logFile } }

    /// Values for `{placeholder}`s in the profile: `mockidp`, `app_port`, `idp_base_url`, `issuer`,
    /// `jwks_url`, `client_id`, `api_key`, plus any given with `--set name=value`.
    public init(profile: TargetProfile, placeholders: [String: String]) {
        self.profile = profile
        var values = placeholders
        if profile.baseURL.contains("{app_port}") || (profile.start?.command.joined().contains("{app_port}") ?? false), values["app_port"] == nil {
            values["app_port"] = String(AppTarget.freePort())
        }
        self.placeholders = values
        baseURL = AppTarget.fill(profile.baseURL, values).trimmingSuffix("/")
        var configuration = HTTPClient.Configuration()
        configuration.connectTimeout = .seconds(2)
        configuration.readTimeout = .seconds(8)
        // A retried POST would count twice in replay and race scenarios: every send happens once.
        configuration.retryStaleConnections = false
        client = HTTPClient(configuration: configuration)
    }

    public let placeholders: [String: String]

    static func fill(_ text: String, _ values: [String: String]) -> String {
        var result = text
        for (name, value) in values { result = result.replacingOccurrences(of: "{\(name)}", with: value) }
        return result
    }

    /// A port that was free a moment ago: bind 0, read it, close. The app binds it next.
    static func freePort() -> UInt16 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        return UInt16(bigEndian: address.sin_port)
    }

    /// Starts the app (if the profile says how) and waits until its readiness path answers.
    public func start() throws(AppUnreachable) {
        if let start = profile.start {
            let command = start.command.map { Self.fill($0, placeholders) }
            let process = Process()
            process.executableURL = URL(fileURLWithPath: command[0].contains("/") ? command[0] : "/usr/bin/env")
            process.arguments = command[0].contains("/") ? Array(command.dropFirst()) : command
            var environment = ProcessInfo.processInfo.environment
            for (name, value) in start.environment { environment[name] = Self.fill(value, placeholders) }
            process.environment = environment
            let log = FileManager.default.temporaryDirectory.appendingPathComponent("mockidp-app-\(UUID().uuidString).log")
            FileManager.default.createFile(atPath: log.path, contents: nil)
            if let handle = try? FileHandle(forWritingTo: log) {
                process.standardOutput = handle
                process.standardError = handle
            }
            do {
                try process.run()
            } catch {
                try? FileManager.default.removeItem(at: log)
                throw AppUnreachable("app unreachable: cannot start '\(command.joined(separator: " "))': \(error.localizedDescription)")
            }
            let launch = Launch(process: process, logFile: log)
            launched.withLock { $0 = launch }
        }
        let timeout = profile.start?.timeoutSeconds ?? 10
        let readyURL = baseURL + (profile.start?.readyPath ?? "/")
        let deadline = Date().addingTimeInterval(timeout)
        var lastError = "no answer"
        // Polling is the only readiness signal an arbitrary app offers; bounded by the timeout.
        while Date() < deadline {
            if let process, !process.isRunning {
                throw AppUnreachable("app unreachable: the app exited with status \(process.terminationStatus) before it was ready\n\(logTail())")
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

    public func stop() {
        guard let process, process.isRunning else { return }
        process.terminate()
        let deadline = Date().addingTimeInterval(3)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        if let logFile { try? FileManager.default.removeItem(at: logFile) }
    }

    deinit { stop() }

    /// The last lines the app printed, for "app unreachable" reports.
    public func logTail(lines: Int = 15) -> String {
        guard let logFile, let text = try? String(contentsOf: logFile, encoding: .utf8), !text.isEmpty else { return "" }
        return "app output (last lines):\n" + text.split(separator: "\n").suffix(lines).joined(separator: "\n")
    }

    public var isRunning: Bool { process?.isRunning ?? true }

    // MARK: Requests

    func callbackRequest(token: String?) -> ClientRequest {
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
