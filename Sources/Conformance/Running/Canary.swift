import HTTP
import Synchronization

/// A loopback listener the runner owns, whose URLs scenarios put where a token may name a key
/// (`jku`, `x5u`, a URL `kid`, an embedded key's `x5u` or certificate `caIssuers`). A correct app
/// never fetches them: every request is an SSRF the token led to. Paths start with the scenario's
/// run ID (`/<run>/<header>/…`), so concurrent scenarios count their own hits, and the segment
/// after it names the header that carried the URL.
final class Canary: Sendable {
    struct Hit: Sendable, Equatable {
        let method: String
        let path: String
    }

    private final class Log: Sendable {
        let hits = Mutex<[Hit]>([])
    }

    static let maxHits = 10_000

    private let log: Log
    private let server: HTTPServer
    /// Bound at start: `http://127.0.0.1:PORT`.
    let baseURL: String

    /// Binds 127.0.0.1 on a port of the system's choosing.
    init() throws(HTTPServerError) {
        let log = Log()
        self.log = log
        server = HTTPServer { request in
            // Bounded whatever an app sends: past the cap a scenario has long failed.
            log.hits.withLock { hits in if hits.count < Self.maxHits { hits.append(Hit(method: request.method, path: request.path)) } }
            // Nothing to find: an app that fetched it has already shown the hole.
            return .error(status: 404, code: "canary", message: "MockIdP canary: a token led here and should not have")
        }
        let port = try server.start(host: "127.0.0.1", port: 0)
        baseURL = "http://127.0.0.1:\(port)"
    }

    /// The requests whose path starts with `/<runID>/`.
    func hits(run runID: String) -> [Hit] {
        let prefix = "/\(runID)/"
        return log.hits.withLock { $0.filter { $0.path.hasPrefix(prefix) } }
    }

    func stop() { server.stop() }
}
