import Dispatch
import FoundationEssentials
import Glibc
import HTTP
import IdP
import JSON

extension Benchmarks {
    /// One headless OpenID Connect sign-in over loopback, as an OIDC client library does it:
    /// `/oauth2/authorize` with `login_hint` (302 with a code), then the code grant at
    /// `/oauth2/token` with `client_secret_basic`, answering an access token and an `id_token`
    /// (two RS256 signatures: the ID token's `at_hash` needs the signed access token first).
    /// One keep-alive connection, as `headlessLogin`.
    package static func oidcSignIn(iterations: Int) throws -> LatencyFigures {
        var configuration = IdPConfiguration()
        configuration.autoApprove = true
        let idp = try MockIdP(configuration: configuration)
        let server = IdPServer(idp: idp)
        try server.start(host: "127.0.0.1", port: 0)
        defer { server.stop() }
        let client = HTTPClient()
        let clientID = idp.configuration.clientID
        let redirectURI = "http://127.0.0.1:3000/callback"
        let authorize =
            idp.baseURL + "/oauth2/authorize?"
            + QueryParameters.encode([
                "client_id": clientID, "redirect_uri": redirectURI, "response_type": "code", "scope": "openid profile email", "state": "bench",
                "nonce": "bench-nonce", "login_hint": "alice@acme.test",
            ])
        let basic = "Basic " + Data("\(clientID):\(idp.configuration.apiKey)".utf8).base64EncodedString()
        func signIn() throws {
            let redirect = try client.send(.get(authorize))
            guard redirect.status == 302, let location = redirect.headers["Location"], let question = location.firstIndex(of: "?"),
                let code = QueryParameters(parsing: location[location.index(after: question)...])["code"]
            else {
                throw BenchError("/oauth2/authorize answered \(redirect.status) without a code: \(redirect.bodyText.prefix(200))")
            }
            let answer = try client.send(
                ClientRequest(
                    method: "POST", url: idp.baseURL + "/oauth2/token",
                    form: [("grant_type", "authorization_code"), ("code", code), ("redirect_uri", redirectURI)],
                    headers: ["Authorization": basic]))
            guard answer.status == 200 else { throw BenchError("/oauth2/token answered \(answer.status): \(answer.bodyText.prefix(200))") }
        }
        return try besideOneSignature(iterations: iterations, idp: idp, signIn)
    }
}
