import HTTP
import JSON

/// Puts every WorkOS request through the same steps, one middleware each: journal it (with the
/// IDs it carries), add CORS headers, stamp `X-Request-ID`, apply an armed fault, answer.
/// The journal is outermost so it records what the app got; CORS sits outside the fault so a
/// browser sees an injected failure as such.
package struct IdPResponder: HTTPResponder {
    let idp: MockIdP
    let routes: RouterResponder
    let chain: any HTTPResponder

    package init(idp: MockIdP, log: (@Sendable (JournalEntry) -> Void)? = nil) {
        self.idp = idp
        var router = Router()
        WorkOSRoutes(idp: idp).register(into: &router)
        AuthRoutes(idp: idp).register(into: &router)
        OIDCRoutes(idp: idp).register(into: &router)
        SSORoutes(idp: idp).register(into: &router)
        ControlRoutes(idp: idp).register(into: &router)
        routes = router.freeze()
        chain =
            routes
            .wrapped(in: UnimplementedRoutes(routes: routes))
            .wrapped(in: FaultInjection(faults: idp.faults))
            .wrapped(in: RequestID(ids: idp.ids))
            .wrapped(in: CORSHeaders(configuration: idp.configuration))
            .wrapped(in: JournalRecorder(idp: idp, log: log))
    }

    package func respond(to request: HTTPRequest) -> HTTPResponse {
        // The control API is the test's own channel: no request ID, fault, CORS or journal entry.
        if request.path.hasPrefix(ControlRoutes.prefix) { return routes.respond(to: request) }
        return chain.respond(to: request)
    }
}

/// The mock IdP on a socket: binds, learns its port, and tells the IdP its base URL.
package final class IdPServer: Sendable {
    package let idp: MockIdP
    private let server: HTTPServer

    package init(idp: MockIdP, configuration: HTTPServer.Configuration = .init(), log: (@Sendable (JournalEntry) -> Void)? = nil) {
        self.idp = idp
        server = HTTPServer(configuration: configuration, responder: IdPResponder(idp: idp, log: log))
    }

    /// Returns the bound port; `port: 0` picks a free one.
    @discardableResult
    package func start(host: String = "127.0.0.1", port: UInt16 = 0) throws -> UInt16 {
        let bound = try server.start(host: host, port: port)
        let visibleHost = host == "0.0.0.0" ? "127.0.0.1" : (host.contains(":") ? "[\(host)]" : host)
        idp.setBaseURL("http://\(visibleHost):\(bound)")
        return bound
    }

    package func stop() { server.stop() }

    /// Blocks until SIGINT or SIGTERM, then stops gracefully; returns the signal number.
    @discardableResult
    package func runUntilTerminated() -> Int32 {
        let signal = HTTPServer.waitForTerminationSignal()
        stop()
        return signal
    }
}
