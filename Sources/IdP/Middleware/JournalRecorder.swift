import HTTP
import JOSE
import JSON

/// Journals every request with the IDs it carries from the wrong space, the fault that shaped
/// its answer, and the answer's status and `X-Request-ID`. Outermost, so it records the answer
/// the app actually got.
struct JournalRecorder: HTTPMiddleware {
    static let journaledHeaders = ["user-agent", "content-type", "idempotency-key", "origin"]
    let idp: MockIdP
    let inspector = IDSpaceInspector()
    let log: (@Sendable (JournalEntry) -> Void)?

    func handle(_ request: HTTPRequest, next: HTTPHandler) throws -> HTTPResponse {
        // Inspect before the route runs: a DELETE must be judged against the directory it saw.
        let body: JSONValue? = request.method == "GET" || request.body.isEmpty ? nil : try? request.json()
        var flags = inspector.flags(
            method: request.method, path: request.path, query: request.query.pairs, body: body,
            directory: { idp.directory })
        if AuthorizeHygiene.paths.contains(request.path) {
            let parameters = request.method == "POST" ? request.form() : request.query
            flags += idp.authorizeHygiene.flags(
                method: request.method, path: request.path, query: parameters, configured: idp.configuration.redirectURIs)
        }
        let response = HTTPResponse.answering(request, with: next)
        if let fault = FaultInjection.flag(of: response) { flags.append(fault) }
        if let unimplemented = UnimplementedRoutes.flag(of: response) { flags.append(unimplemented) }
        // One pass over the request's fields; the journal lists them in its own order of names.
        var headers: [(name: String, value: String)] = []
        var authorization: String?
        for field in request.headers.fields {
            if asciiCaseInsensitiveEquals(field.name, "authorization") {
                if authorization == nil { authorization = field.value }
            } else if let name = Self.journaledHeaders.first(where: { asciiCaseInsensitiveEquals(field.name, $0) }),
                !headers.contains(where: { $0.name == name })
            {
                headers.append((name: name, value: field.value))
            }
        }
        if headers.count > 1 {
            headers.sort { (Self.journaledHeaders.firstIndex(of: $0.name) ?? 0) < (Self.journaledHeaders.firstIndex(of: $1.name) ?? 0) }
        }
        if let authorization {
            headers.append((name: "authorization", value: authorization.count > 14 ? String(authorization.prefix(14)) + "…" : authorization))
        }
        var entry = JournalEntry(
            sequence: 0, timeMillis: idp.clock.nowMillis(), requestID: response.headers[RequestID.header] ?? "", method: request.method,
            path: request.path, query: request.query.encoded, headers: headers, status: response.dropsConnection ? 0 : response.status,
            flags: flags)
        if response.status >= 400 { entry.errorBody = String(decoding: response.body.prefix(1024), as: UTF8.self) }
        entry.unknownParameters = KnownParameters.unknown(
            method: request.method, path: request.path, query: request.query,
            bodyNames: KnownParameters.bodyNames(request, json: body))
        if response.status == 200, request.path == "/user_management/authenticate" || request.path == "/oauth2/token" {
            entry.sessionID = Self.sessionID(answeredIn: response.body)
        }
        entry.sequence = idp.journal.record(entry)
        log?(entry)
        return response
    }

    /// The `sid` claim of the access token in an authenticate answer (the mock's own token, so
    /// reading it unverified is sound).
    static func sessionID(answeredIn body: [UInt8]) -> String? {
        guard let token = (try? JSONValue.parse(body))?["access_token"]?.stringValue,
            let payload = try? JWSCompact.Segments(token).payload,
            let bytes = try? Base64URL.decode(bytes: payload)
        else { return nil }
        return (try? JSONValue.parse(bytes))?["sid"]?.stringValue
    }
}
