import HTTP
import JOSE
import JSON

/// The body of `POST /user_management/authenticate`, JSON (what the SDKs send) or form-encoded
/// (RFC 6749 clients). Like WorkOS, members the grant does not use are ignored whatever their
/// type — the 5.x Python SDK sends `session: {seal_session, cookie_password}` and `null`s for
/// every unset option — while a documented string member of another type is refused.
struct AuthenticateBody {
    var parameters: [String: String] = [:]
    /// The Fernet key from `session: {seal_session: true, cookie_password}`: the answer then
    /// carries `sealed_session`, as the 6.x SDK's `Session.refresh()` expects.
    var cookiePassword: String?

    init(_ request: HTTPRequest) throws(IdPError) {
        if request.contentType == "application/x-www-form-urlencoded" {
            for pair in request.form() where parameters[pair.name] == nil { parameters[pair.name] = pair.value }
            return
        }
        if request.body.isEmpty { return }
        let body: JSONValue
        do {
            body = try request.json()
        } catch {
            throw .oauth(error: "invalid_request", description: "the body is neither JSON nor form-encoded: \(error.description)", status: 400)
        }
        guard let object = body.objectValue else {
            throw .oauth(error: "invalid_request", description: "the body must be a JSON object", status: 400)
        }
        for member in object {
            switch member.value {
            case .null: continue
            case .string(let text): parameters[member.key] = text
            case .int, .double, .bool: parameters[member.key] = member.value.serializedString()
            default:
                if member.key == "session" {
                    cookiePassword = try Self.sealing(member.value)
                } else if KnownParameters.authenticateFields.contains(member.key) {
                    throw .oauth(error: "invalid_request", description: "\(member.key) must be a string, got \(member.value.typeName)", status: 400)
                }
            }
        }
    }

    /// The cookie password when sealing was asked for; nil when `seal_session` is not true.
    private static func sealing(_ session: JSONValue) throws(IdPError) -> String? {
        guard session["seal_session"]?.boolValue == true else { return nil }
        guard let password = session["cookie_password"]?.stringValue, !password.isEmpty else {
            throw .oauth(
                error: "invalid_request",
                description: "session.seal_session is true but session.cookie_password is missing: send the Fernet key to seal with", status: 400)
        }
        do {
            _ = try Fernet.Key(password)
        } catch {
            throw .oauth(error: "invalid_request", description: "session.cookie_password: \(error.description)", status: 400)
        }
        return password
    }
}

extension MockIdP {
    /// The `sealed_session` for an authenticate answer: a Fernet token over
    /// `{access_token, refresh_token, user[, impersonator]}`, the data the Python SDKs'
    /// `seal_session_from_auth_response` seals and `Session.authenticate()` reads back.
    package func sealSession(_ answer: JSONValue, cookiePassword: String) throws(IdPError) -> String {
        var sealed: JSONObject = [:]
        for name in ["access_token", "refresh_token", "user", "impersonator"] {
            if let value = answer[name], !value.isNull { sealed[name] = value }
        }
        do {
            return try Fernet.seal(JSONValue.object(sealed).serialized(), key: try Fernet.Key(cookiePassword), timestamp: clock.now())
        } catch {
            throw .oauth(error: "invalid_request", description: "cannot seal the session: \(error.description)", status: 400)
        }
    }

    /// `POST /user_management/authenticate` from its HTTP request: the grant, then the seal when asked for.
    func authenticate(_ request: HTTPRequest) throws(IdPError) -> JSONValue {
        let body = try AuthenticateBody(request)
        let answer = try authenticate(body.parameters, bearer: request.bearerToken)
        guard let password = body.cookiePassword, var object = answer.objectValue else { return answer }
        object["sealed_session"] = .string(try sealSession(answer, cookiePassword: password))
        return .object(object)
    }
}
