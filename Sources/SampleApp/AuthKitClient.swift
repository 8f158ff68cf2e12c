import HTTP
import JSON

/// The tokens an AuthKit grant answered with.
struct AuthKitTokens: Sendable {
    let accessToken: String
    let refreshToken: String
}

/// Why a grant gave no tokens: the IdP refused it (a used code, a revoked session: sign in
/// again), or the IdP did not answer usefully (maybe later).
enum GrantFailure: Error, Sendable, Equatable, CustomStringConvertible {
    case refused(status: Int, code: String, description: String)
    case upstream(UpstreamError)

    var description: String {
        switch self {
        case .refused(let status, let code, let description): return "the IdP refused (\(status) \(code)): \(description)"
        case .upstream(let error): return error.description
        }
    }
}

/// The AuthKit half of the IdP the web shape talks to: the browser-facing authorize and logout
/// URLs, and the confidential-client grants at `POST /user_management/authenticate`.
struct AuthKitClient: Sendable {
    let baseURL: String
    let clientID: String
    let apiKey: String
    let http: HTTPClient

    init(connection: IdPConnection, clientID: String) {
        baseURL = connection.baseURL
        self.clientID = clientID
        apiKey = connection.apiKey
        http = connection.http
    }

    func authorizeURL(redirectURI: String, login: PendingLogin, loginHint: String?, organizationID: String?) -> String {
        var query: [(name: String, value: String)] = [
            ("client_id", clientID), ("redirect_uri", redirectURI), ("response_type", "code"), ("provider", "authkit"),
            ("state", login.state),
        ]
        // An empty verifier is a login without PKCE (the constant-state seeded bug).
        if !login.verifier.isEmpty { query += [("code_challenge", login.challenge), ("code_challenge_method", "S256")] }
        if let loginHint { query.append(("login_hint", loginHint)) }
        if let organizationID { query.append(("organization_id", organizationID)) }
        return baseURL + "/user_management/authorize?" + QueryParameters.encode(query)
    }

    func logoutURL(sessionID: String, returnTo: String) -> String {
        baseURL + "/user_management/sessions/logout?" + QueryParameters.encode([("session_id", sessionID), ("return_to", returnTo)])
    }

    /// Exchanges a code with its PKCE verifier (nil only when the login cookie was missing and the
    /// state-not-checked bug carried on). A user in several organizations is signed into the
    /// first one the IdP offers: this app has no organization picker.
    func exchange(code: String, verifier: String?) throws(GrantFailure) -> AuthKitTokens {
        var body: JSONObject = ["grant_type": "authorization_code", "code": .string(code)]
        if let verifier { body["code_verifier"] = .string(verifier) }
        let answer = try post(body)
        if answer.status == 403, answer.body?["code"]?.stringValue == "organization_selection_required",
            let pending = answer.body?["pending_authentication_token"]?.stringValue,
            let organizationID = answer.body?["organizations"]?[0]?["id"]?.stringValue
        {
            return try tokens(
                from: post([
                    "grant_type": "urn:workos:oauth:grant-type:organization-selection",
                    "pending_authentication_token": .string(pending), "organization_id": .string(organizationID),
                ]))
        }
        return try tokens(from: answer)
    }

    func refresh(_ refreshToken: String) throws(GrantFailure) -> AuthKitTokens {
        try tokens(from: post(["grant_type": "refresh_token", "refresh_token": .string(refreshToken)]))
    }

    private static let path = "/user_management/authenticate"

    /// The tokens of a 200, or why there are none: a 4xx is the IdP's refusal, anything else an outage.
    private func tokens(from answer: (status: Int, body: JSONValue?, text: String)) throws(GrantFailure) -> AuthKitTokens {
        switch answer.status {
        case 200:
            guard let access = answer.body?["access_token"]?.stringValue, let refresh = answer.body?["refresh_token"]?.stringValue else {
                throw .upstream(.malformed(path: Self.path, why: "no access_token or refresh_token in the answer"))
            }
            return AuthKitTokens(accessToken: access, refreshToken: refresh)
        case 400..<500:
            let code = answer.body?["error"]?.stringValue ?? answer.body?["code"]?.stringValue ?? "unknown"
            let description = answer.body?["error_description"]?.stringValue ?? answer.body?["message"]?.stringValue ?? answer.text
            throw .refused(status: answer.status, code: code, description: description)
        default:
            throw .upstream(.badStatus(path: Self.path, status: answer.status))
        }
    }

    /// POSTs a grant with the client's credentials (`client_secret` = the API key). Throws only
    /// when no answer came back.
    private func post(_ fields: JSONObject) throws(GrantFailure) -> (status: Int, body: JSONValue?, text: String) {
        var body = fields
        body["client_id"] = .string(clientID)
        body["client_secret"] = .string(apiKey)
        do {
            let response = try http.send(ClientRequest(method: "POST", url: baseURL + Self.path, json: .object(body)))
            return (response.status, try? response.json(), response.bodyText)
        } catch {
            throw .upstream(.unreachable(error.description))
        }
    }
}
