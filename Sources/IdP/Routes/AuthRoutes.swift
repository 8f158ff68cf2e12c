import HTTP
import JSON

/// The browser-facing AuthKit endpoints: authorize (login page or headless redirect), the login
/// page's POST, authenticate, logout, and CORS preflights for the browser SDK. None needs the
/// API key (WorkOS serves them without one, and public PKCE clients call authenticate without
/// one; docs/auth-flows.md gives each endpoint's auth).
struct AuthRoutes {
    let idp: MockIdP

    static let completePath = "/user_management/authorize/complete"

    func register(into router: inout Router) {
        let idp = self.idp
        router.get("/user_management/authorize") { request in Self.render(idp.authorize(request.query), idp) }
        router.post(Self.completePath) { request in
            let form = request.form()
            return Self.render(idp.completeLogin(loginID: form["login"], userID: form["user_id"], organizationID: form["organization_id"]), idp)
        }
        router.post("/user_management/authenticate") { request in
            let answer = try idp.authenticate(request)
            // RFC 6749 §5.1: token responses must not be cached.
            return .json(answer, headers: ["Cache-Control": "no-store"])
        }
        router.get("/user_management/sessions/logout") { request in try Self.logout(idp, request) }
        for path in CORS.preflightPaths {
            router.options(path) { request in CORS.preflight(request) }
        }
    }

    // MARK: Authorize

    static func render(_ outcome: AuthorizeOutcome, _ idp: MockIdP) -> HTTPResponse {
        switch outcome {
        case .redirect(let location): return .redirect(to: location)
        case .errorPage(let title, let detail): return LoginPage.error(title: title, detail: detail)
        case .loginPage(let loginID, let login, let screenHint):
            return LoginPage.render(idp: idp, loginID: loginID, login: login, screenHint: screenHint)
        }
    }

    // MARK: Logout

    static func logout(_ idp: MockIdP, _ request: HTTPRequest) throws -> HTTPResponse {
        guard let sessionID = request.query["session_id"], !sessionID.isEmpty else {
            throw IdPError.invalidParameters("session_id is required: /user_management/sessions/logout?session_id=session_…&return_to=…")
        }
        try idp.endSession(sessionID)
        guard let returnTo = request.query["return_to"], !returnTo.isEmpty else {
            if let fallback = idp.defaultLogoutRedirect { return .redirect(to: fallback) }
            return LoginPage.signedOut(
                note:
                    "No return_to was given and no logout redirect is configured (mockidp serve --logout-redirect URL), so there is nowhere to send you back to."
            )
        }
        guard idp.isAllowedRedirect(returnTo) else {
            return LoginPage.signedOut(
                note:
                    "return_to '\(returnTo)' is not an allowed redirect (loopback http URLs and the configured redirect URIs are), so you stay here.")
        }
        return .redirect(to: returnTo)
    }
}
