import HTTP
import JSON

/// The WorkOS SSO API routes. Thin: the rules are in SSO.swift.
struct SSORoutes {
    let idp: MockIdP

    func register(into router: inout Router) {
        let idp = self.idp
        router.get("/sso/authorize") { request in AuthRoutes.render(idp.ssoAuthorize(request.query), idp) }
        router.post("/sso/token") { request in
            // The SDKs send JSON or a form; one reader for both, as the authenticate route.
            let parameters: [String: String]
            do {
                parameters = try AuthenticateBody(request).parameters
            } catch {
                throw OAuthError.invalidRequest("\(error)")
            }
            return .json(try idp.ssoToken(parameters), headers: ["Cache-Control": "no-store"])
        }
        router.get("/sso/profile") { request in .json(try idp.ssoProfile(bearer: request.bearerToken)) }
    }
}
