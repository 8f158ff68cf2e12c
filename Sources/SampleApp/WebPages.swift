import HTTP
import JSON

/// The web shape's answers: an HTML page for a browser, the same data as JSON when the request
/// says `Accept: application/json`. Every text put into HTML is escaped.
enum WebPages {
    static func wantsJSON(_ request: HTTPRequest) -> Bool {
        request.headers.values(for: "Accept").contains { $0.lowercased().contains("application/json") }
    }

    /// `/account`: the account as the app knows it, under the API shape's field names
    /// (`user.id`, `user.idp_user_id`, `user.email`, `workspace.id`, `workspace_member.id`,
    /// `organizations[].id/role`), plus the IdP session it rides on.
    static func account(_ fields: JSONObject, idpSessionID: String?, json: Bool) -> HTTPResponse {
        var body = fields
        body["session"] = ["idp_session_id": idpSessionID.map(JSONValue.string) ?? .null]
        if json { return .json(.object(body), headers: noStore) }
        let value = JSONValue.object(body)
        func text(_ pointer: [String]) -> String {
            var current: JSONValue? = value
            for key in pointer { current = current?[key] }
            return escape(current?.stringValue ?? "")
        }
        var organizations = ""
        for organization in value["organizations"]?.arrayValue ?? [] {
            let id = escape(organization["id"]?.stringValue ?? "")
            let role = escape(organization["role"]?.stringValue ?? "")
            organizations += "<li data-organization-id=\"\(id)\" data-role=\"\(role)\">\(id) (\(role))</li>\n"
        }
        let html = """
            <h1>Account</h1>
            <dl>
            <dt>User</dt><dd id="user-id">\(text(["user", "id"]))</dd>
            <dt>IdP user</dt><dd id="idp-user-id">\(text(["user", "idp_user_id"]))</dd>
            <dt>Email</dt><dd id="email">\(text(["user", "email"]))</dd>
            <dt>Workspace</dt><dd id="workspace-id">\(text(["workspace", "id"]))</dd>
            <dt>Member</dt><dd id="workspace-member-id">\(text(["workspace_member", "id"]))</dd>
            </dl>
            <h2>Organizations</h2>
            <ul id="organizations">
            \(organizations)</ul>
            <form method="post" action="/logout"><button type="submit">Sign out</button></form>
            """
        return .html(document(title: "Account", body: html), headers: noStore)
    }

    static func home(signedIn: Bool) -> HTTPResponse {
        let link = signedIn ? "<a href=\"/account\">Your account</a> · <a href=\"/logout\">Sign out</a>" : "<a href=\"/login\">Sign in</a>"
        return .html(document(title: "Reference app", body: "<h1>Reference app</h1>\n<p>\(link)</p>"), headers: noStore)
    }

    /// Not signed in: JSON clients get a 401, browsers the login route (coming back here).
    static func signInRequired(_ request: HTTPRequest, returnTo: String, headers: HTTPHeaders) -> HTTPResponse {
        let login = "/login?" + QueryParameters.encode([("return_to", returnTo)])
        if wantsJSON(request) {
            return .json(["error": "unauthenticated", "login_url": .string(login)], status: 401, headers: headers)
        }
        return .redirect(to: login, headers: headers)
    }

    /// A sign-in that did not happen, said plainly, with the way back in. Never a 5xx for a bad
    /// token or an IdP that is down: the user is simply not signed in.
    static func signInFailed(_ request: HTTPRequest, status: Int, error: String, reason: String, headers: HTTPHeaders) -> HTTPResponse {
        if wantsJSON(request) { return .json(["error": .string(error), "reason": .string(reason)], status: status, headers: headers) }
        let html = "<h1>Sign-in failed</h1>\n<p>\(escape(reason))</p>\n<p><a href=\"/login\">Sign in again</a></p>"
        return .html(document(title: "Sign-in failed", body: html), status: status, headers: headers)
    }

    /// What a web framework answers when a handler throws: the seeded crash bugs end here.
    static func internalServerError(_ what: String) -> HTTPResponse {
        .html(document(title: "Internal Server Error", body: "<h1>Internal Server Error</h1>\n<pre>\(escape(what))</pre>"), status: 500)
    }

    private static let noStore: HTTPHeaders = ["Cache-Control": "no-store"]

    private static func document(title: String, body: String) -> String {
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>\(escape(title))</title></head>\n<body>\n\(body)\n</body></html>\n"
    }

    static func escape(_ text: String) -> String { HTMLText.escape(text) }
}
