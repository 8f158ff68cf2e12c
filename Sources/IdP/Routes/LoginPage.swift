import HTTP

/// The HTML of the hosted login page, its error page and the signed-out page. Self-contained
/// (inline CSS, no scripts, no external assets) and every interpolated text is escaped.
enum LoginPage {
    static func escape(_ text: String) -> String { HTMLText.escape(text) }

    static func initials(_ user: User) -> String {
        let letters = [user.firstName, user.lastName].compactMap { $0?.first }.map(String.init)
        return letters.isEmpty ? String(user.email.prefix(1)).uppercased() : letters.joined().uppercased()
    }

    /// The users a login may pick, in fixture order, each with its organizations and one button
    /// per way to sign in. A user active in several organizations gets a button per organization
    /// and a "let the app ask" button that leaves the choice to `organization_selection_required`.
    static func render(idp: MockIdP, loginID: String, login: AuthFlowState.LoginRequest, screenHint: String?) -> HTTPResponse {
        let directory = idp.directory
        let requiredOrganization = login.organizationID.flatMap { directory.organizations[$0] }
        var users = directory.users.values.sorted { $0.id < $1.id }
        if let requiredOrganization {
            users = users.filter { directory.membership(userID: $0.id, organizationID: requiredOrganization.id)?.status == .active }
        }
        let hint = login.loginHint.flatMap { directory.resolveUser($0) }
        if let hint, let index = users.firstIndex(where: { $0.id == hint.id }) {
            users.insert(users.remove(at: index), at: 0)
        }
        let target = CORS.origin(of: login.redirectURI) ?? login.redirectURI
        var cards = ""
        for user in users {
            let memberships = directory.memberships(userID: user.id)
            var orgs = ""
            for membership in memberships {
                let name = directory.organizations[membership.organizationID]?.name ?? membership.organizationID
                let inactive = membership.status != .active
                orgs +=
                    "<span class=\"org\(inactive ? " off" : "")\">\(escape(name)) · \(escape(membership.primaryRole))\(inactive ? " (\(membership.status.rawValue))" : "")</span>"
            }
            if memberships.isEmpty { orgs = "<span class=\"org none\">no organization</span>" }
            let data = "data-user=\"\(escape(user.ref ?? user.id))\" data-email=\"\(escape(user.email))\""
            var buttons = ""
            let active = memberships.filter { $0.status == .active }
            if requiredOrganization == nil, active.count > 1 {
                for membership in active {
                    let organization = directory.organizations[membership.organizationID]
                    let name = organization?.name ?? membership.organizationID
                    buttons +=
                        "<button type=\"submit\" name=\"organization_id\" value=\"\(escape(membership.organizationID))\" \(data) data-org=\"\(escape(organization?.ref ?? membership.organizationID))\">Continue to \(escape(name))</button>"
                }
                buttons +=
                    "<button type=\"submit\" class=\"quiet\" name=\"organization_id\" value=\"\" \(data) data-org=\"\" title=\"No organization now: authenticate answers 403 organization_selection_required\">Let the app ask</button>"
            } else {
                buttons = "<button type=\"submit\" \(data)>Continue as \(escape(user.firstName ?? user.email))</button>"
            }
            cards += """
                <li class="user\(hint?.id == user.id ? " hinted" : "")">
                  <div class="avatar">\(escape(initials(user)))</div>
                  <div class="who"><div class="name">\(escape(user.name ?? user.email))</div><div class="email">\(escape(user.email))</div><div class="orgs">\(orgs)</div></div>
                  <form method="post" action="\(AuthRoutes.completePath)"><input type="hidden" name="login" value="\(escape(loginID))"><input type="hidden" name="user_id" value="\(escape(user.id))">\(buttons)</form>
                </li>

                """
        }
        if users.isEmpty {
            cards =
                "<li class=\"empty\">No fixture user is an active member of \(escape(requiredOrganization?.name ?? "this organization")). Add one with POST /_mock/memberships.</li>"
        }
        let title = screenHint == "sign-up" ? "Create an account" : "Sign in"
        var facts = ["client \(login.clientID)", "method \(login.authenticationMethod)", login.codeChallenge == nil ? "no PKCE" : "PKCE S256"]
        if let requiredOrganization { facts.append("organization \(requiredOrganization.name)") }
        if let impersonator = login.impersonator { facts.append("impersonated by \(impersonator.email)") }
        let html = """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(title) · MockIdP</title><style>\(css)</style></head>
            <body><main>
              <header><div class="brand">MockIdP</div><h1>\(title)</h1>
              <p class="lead">to continue to <strong>\(escape(target))</strong></p>
              <p class="note">Local mock identity provider. Pick a fixture user: no password needed.\(screenHint == "sign-up" ? " Sign-up is not simulated; pick an existing user." : "")</p></header>
              <ul class="users">
            \(cards)  </ul>
              <footer>\(facts.map(escape).joined(separator: " · "))</footer>
            </main></body></html>
            """
        return .html(html, headers: ["Cache-Control": "no-store"])
    }

    static func error(title: String, detail: String, status: Int = 400) -> HTTPResponse {
        let html = """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><title>\(escape(title)) · MockIdP</title><style>\(css)</style></head>
            <body><main class="narrow"><header><div class="brand">MockIdP</div><h1 class="bad">\(escape(title))</h1></header>
            <p class="detail">\(escape(detail))</p>
            <footer>The request was not redirected back to the app because its client or redirect URI could not be trusted.</footer>
            </main></body></html>
            """
        return .html(html, status: status, headers: ["Cache-Control": "no-store"])
    }

    static func signedOut(note: String) -> HTTPResponse {
        let html = """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><title>Signed out · MockIdP</title><style>\(css)</style></head>
            <body><main class="narrow"><header><div class="brand">MockIdP</div><h1>You are signed out</h1></header>
            <p class="detail">\(escape(note))</p></main></body></html>
            """
        return .html(html, headers: ["Cache-Control": "no-store"])
    }

    static let css = """
        *{box-sizing:border-box}body{margin:0;min-height:100vh;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;\
        color:#1d2433;background:linear-gradient(160deg,#eef2ff 0%,#f8fafc 60%)}\
        main{max-width:640px;margin:48px auto;padding:32px;background:#fff;border-radius:16px;box-shadow:0 10px 40px rgba(30,41,80,.12)}\
        main.narrow{max-width:520px}.brand{font-weight:700;letter-spacing:.04em;color:#4f46e5;text-transform:uppercase;font-size:12px}\
        h1{margin:6px 0 4px;font-size:26px}h1.bad{color:#b42318}.lead{margin:0;color:#475467}.note{margin:6px 0 0;color:#667085;font-size:13px}\
        .users{list-style:none;padding:0;margin:24px 0 0;display:flex;flex-direction:column;gap:10px}\
        .user{display:flex;align-items:center;gap:14px;padding:12px 14px;border:1px solid #e4e7ec;border-radius:12px}\
        .user.hinted{border-color:#818cf8;box-shadow:0 0 0 3px #e0e7ff}\
        .avatar{flex:none;width:40px;height:40px;border-radius:50%;background:#eef2ff;color:#4338ca;display:grid;place-items:center;font-weight:700}\
        .who{flex:1;min-width:0}.name{font-weight:600}.email{color:#667085;font-size:13px;overflow-wrap:anywhere}\
        .orgs{margin-top:4px;display:flex;flex-wrap:wrap;gap:4px}.org{font-size:12px;padding:1px 8px;border-radius:999px;background:#f2f4f7;color:#344054}\
        .org.off{text-decoration:line-through;color:#98a2b3}.org.none{background:none;color:#98a2b3;padding-left:0}\
        form{display:flex;flex-direction:column;gap:6px;flex:none}\
        button{font:inherit;font-size:13px;font-weight:600;padding:8px 14px;border:0;border-radius:8px;background:#4f46e5;color:#fff;cursor:pointer}\
        button:hover{background:#4338ca}button:focus-visible{outline:3px solid #a5b4fc}button.quiet{background:#eef2ff;color:#4338ca}\
        .empty{color:#667085}.detail{color:#344054;overflow-wrap:anywhere}\
        footer{margin-top:24px;color:#98a2b3;font-size:12px;overflow-wrap:anywhere}
        """
}
