import Glibc
import HTTP
import JSON

/// Puts every WorkOS request through the same steps: read the IDs it carries, apply an armed
/// fault, answer, stamp `X-Request-ID`, and journal it.
public struct IdPResponder: HTTPResponder {
    let idp: MockIdP
    let routes: RouterResponder
    let inspector = IDSpaceInspector()
    let log: (@Sendable (JournalEntry) -> Void)?

    public init(idp: MockIdP, log: (@Sendable (JournalEntry) -> Void)? = nil) {
        self.idp = idp
        self.log = log
        var router = Router()
        WorkOSRoutes(idp: idp).register(into: &router)
        AuthRoutes(idp: idp).register(into: &router)
        ControlRoutes(idp: idp).register(into: &router)
        routes = router.freeze()
    }

    static let journaledHeaders = ["user-agent", "content-type", "idempotency-key", "origin"]

    public func respond(to request: HTTPRequest) -> HTTPResponse {
        if request.path.hasPrefix("/_mock/") { return idp.configuration.controlGuard.refusal(for: request) ?? routes.respond(to: request) }
        let requestID = idp.ids.requestID()
        let body: JSONValue? = request.method == "GET" || request.body.isEmpty ? nil : try? request.json()
        var flags = inspector.flags(method: request.method, path: request.path, query: request.query.pairs, body: body, directory: { idp.directory })
        var response: HTTPResponse
        if let fault = idp.faults.take(method: request.method, path: request.path) {
            flags.append(JournalFlag(kind: .faultInjected, reason: fault.id, field: "route", value: fault.path))
            switch fault.action {
            case .respond(let status, let faultBody):
                response = .json(faultBody ?? ["code": "injected_fault", "message": .string("fault \(fault.id) injected by the mock")], status: status)
            case .drop:
                response = .dropConnection
            case .delay(let milliseconds):
                // Blocking is fine: each connection has its own thread, never a Swift task.
                usleep(useconds_t(milliseconds * 1000))
                response = routes.respond(to: request)
            }
        } else {
            response = routes.respond(to: request)
        }
        response.headers.set("X-Request-ID", requestID)
        CORS.decorate(&response, request: request, configuration: idp.configuration)
        var headers: [(name: String, value: String)] = []
        for name in Self.journaledHeaders {
            if let value = request.headers[name] { headers.append((name: name, value: value)) }
        }
        if let authorization = request.headers["authorization"] {
            headers.append((name: "authorization", value: authorization.count > 14 ? String(authorization.prefix(14)) + "…" : authorization))
        }
        var entry = JournalEntry(
            sequence: 0, timeMillis: idp.clock.nowMillis(), requestID: requestID, method: request.method, path: request.path,
            query: request.query.encoded, headers: headers, status: response.dropsConnection ? 0 : response.status, flags: flags)
        if response.status >= 400 { entry.errorBody = String(decoding: response.body.prefix(1024), as: UTF8.self) }
        entry.unknownParameters = KnownParameters.unknown(method: request.method, path: request.path, query: request.query,
                                                          bodyNames: KnownParameters.bodyNames(request, json: body))
        entry.sequence = idp.journal.record(entry)
        log?(entry)
        return response
    }
}

/// The mock IdP on a socket: binds, learns its port, and tells the IdP its base URL.
public final class IdPServer: Sendable {
    public let idp: MockIdP
    private let server: HTTPServer

    public init(idp: MockIdP, configuration: HTTPServer.Configuration = .init(), log: (@Sendable (JournalEntry) -> Void)? = nil) {
        self.idp = idp
        server = HTTPServer(configuration: configuration, responder: IdPResponder(idp: idp, log: log))
    }

    /// Returns the bound port; `port: 0` picks a free one.
    @discardableResult
    public func start(host: String = "127.0.0.1", port: UInt16 = 0) throws -> UInt16 {
        let bound = try server.start(host: host, port: port)
        let visibleHost = host == "0.0.0.0" ? "127.0.0.1" : (host.contains(":") ? "[\(host)]" : host)
        idp.setBaseURL("http://\(visibleHost):\(bound)")
        return bound
    }

    public func stop() { server.stop() }

    /// Blocks until SIGINT or SIGTERM, then stops gracefully; returns the signal number.
    @discardableResult
    public func runUntilTerminated() -> Int32 {
        let signal = HTTPServer.waitForTerminationSignal()
        stop()
        return signal
    }
}
