import Foundation
import IdP
import JSON
import TestSupport
import Testing

/// Issue 21's "done when": real OpenID Connect and OAuth clients, unchanged, sign a fixture user in
/// against a real `mockidp serve --port 0` process with nothing in between, and the relying parties
/// refuse a forged id_token (bad signature), a wrong nonce and, where the library checks them, a
/// wrong issuer or audience. Each Python driver runs as `mockidp serve -- PYTHON DRIVER`, so it
/// finds the mock only through the environment serve sets; every driver bounds its own waits (a
/// watchdog ends a hung one) and stops what it started.
@Suite(.enabled(if: BuiltTool.path != nil, "the mockidp executable must be built (swift build)"))
struct OIDCInteropTests {
    /// The embedded default fixtures, the same that serve loads: who the flows should sign in.
    let defaults: MockIdP
    init() throws { defaults = try MockIdP(configuration: IdPConfiguration()) }

    var alice: User { defaults.directory.user(ref: "alice")! }

    /// Runs a driver beside `mockidp serve --port 0` and returns the JSON line it printed.
    func serve(_ environment: Virtualenv, _ script: String, options: [String] = [], _ arguments: [String] = []) throws -> JSONValue {
        let python = try environment.requirePython()
        let path = Interop.root.appendingPathComponent("Tests/interop/\(script)").path
        let result = try BuiltTool.run(["serve", "--port", "0", "--log", "off"] + options + ["--", python, path] + arguments)
        guard result.status == 0, let line = result.stdout.split(separator: "\n").last(where: { $0.hasPrefix("{") }) else {
            throw TestFailure("\(script) beside serve exited \(result.status):\n\(result.stdout)\n\(result.stderr)")
        }
        return try JSONValue.parse(Array(line.utf8))
    }

    /// The id_token forgeries every relying party must refuse (OIDC Core 3.1.3.7 steps 6 and 11).
    static let forgeries = ["bad_signature", "wrong_nonce"]
    /// And those an app that checks iss and aud refuses (steps 2 and 3); mozilla-django-oidc checks neither, by design.
    static let claimForgeries = forgeries + ["wrong_issuer", "wrong_audience"]

    /// What every relying party must show: Alice signed in through the code flow with state and
    /// nonce, and no forgery signs anyone in although the app did exchange the code for it.
    func expectSignInAndRefusals(_ out: JSONValue, library: String, clientID: String, forgeries: [String] = Self.forgeries) {
        let login = out["login"] ?? .null
        #expect(login["whoami_status"] == 200, "\(library) did not sign Alice in: \(login)")
        #expect(login["user"]?["signed_in"] == true)
        #expect(login["user"]?["sub"] == .string(alice.id), "\(library): the signed-in subject")
        #expect(login["user"]?["email"] == "alice@acme.test")
        #expect(login["user"]?["iss"] == out["issuer"])
        #expect(login["user"]?["aud"] == .string(clientID), "the id_token's audience is the client")
        #expect(login["authorize"]?["path"] == "/oauth2/authorize")
        #expect(login["authorize"]?["client_id"] == .string(clientID))
        #expect(login["authorize"]?["response_type"] == "code")
        #expect(login["authorize"]?["has_state"] == true)
        #expect(login["authorize"]?["has_nonce"] == true)
        #expect(login["callback"]?["has_code"] == true)
        #expect(login["callback"]?["iss"] == out["issuer"], "RFC 9207 iss on the authorization response")
        #expect(out["token_requests"] == [200])
        #expect(out["id_space_violations"] == [], "the journal's ID-space flags")
        #expect((out["jwks_requests"]?.intValue ?? 0) >= 1, "\(library) verified the signature with the keys at jwks_uri")
        for forgery in forgeries {
            let refused = out[forgery] ?? .null
            #expect(refused["token_requests"] == [200], "\(library), \(forgery): the app must have exchanged the code: \(refused)")
            #expect(refused["callback"]?["has_code"] == true)
            #expect((refused["callback_status"]?.intValue ?? 0) >= 400, "\(library), \(forgery): the callback must not complete the sign-in")
            #expect(refused["whoami_status"] == 401, "\(library) signed a user in with a \(forgery) id_token: \(refused)")
            #expect(refused["user"]?["signed_in"] == false)
        }
    }

    @Test(.enabled(if: Virtualenv.oidc.enabled, Comment(rawValue: Virtualenv.oidc.skipReason)))
    func authlibFlaskClientSignsInByDiscoveryWithPKCEAndNonce() throws {
        // The environment client (secret = the API key), with any loopback redirect URI.
        let out = try serve(.oidc, "oidc_authlib_app.py")
        expectSignInAndRefusals(out, library: "Authlib", clientID: defaults.configuration.clientID, forgeries: Self.claimForgeries)
        #expect(out["login"]?["authorize"]?["code_challenge_method"] == "S256")
        #expect(out["login"]?["user"]?["userinfo_sub"] == .string(alice.id), "userinfo's sub equals the id_token's")
        #expect(out["login"]?["user"]?["userinfo_email"] == "alice@acme.test")
        for forgery in Self.claimForgeries { #expect(out[forgery]?["callback_status"] == 401, "\(forgery)") }
        #expect(out["wrong_nonce"]?["error"] == "InvalidClaimError")
        #expect(out["wrong_issuer"]?["detail"]?.stringValue?.contains("'iss'") == true)
    }

    @Test(.enabled(if: Virtualenv.oidc.enabled, Comment(rawValue: Virtualenv.oidc.skipReason)))
    func mozillaDjangoOIDCSignsInThroughItsViewsInJWKSMode() throws {
        // The fixtures' confidential web app: registered redirect URIs (loopback port ignored) and client_secret_basic.
        let webapp = try #require(defaults.directory.resolveClient("webapp"))
        let secret = try #require(webapp.secret)
        let out = try serve(.oidc, "oidc_django_app.py", [webapp.id, secret])
        expectSignInAndRefusals(out, library: "mozilla-django-oidc", clientID: webapp.id)
        #expect(out["login"]?["authorize"]?["code_challenge_method"] == "S256")
        #expect(out["login"]?["user"]?["users"] == 1, "one Django user, created from the claims")
        // The library answers a failed verification with SuspiciousOperation: 400, nobody signed in.
        #expect(out["bad_signature"]?["callback_status"] == 400)
        #expect(out["wrong_nonce"]?["callback_status"] == 400)
    }

    @Test(.enabled(if: Virtualenv.oidc.enabled, Comment(rawValue: Virtualenv.oidc.skipReason)))
    func flaskOIDCSignsInThroughItsLoginRouteAndTheLoginPage() throws {
        // A client the driver registers through POST /_mock/clients (client_secret_post).
        let out = try serve(.oidc, "oidc_flask_oidc_app.py")
        let clientID = try #require(out["login"]?["client_id"]?.stringValue)
        #expect(clientID.hasPrefix("client_"))
        expectSignInAndRefusals(out, library: "flask-oidc", clientID: clientID, forgeries: Self.claimForgeries)
        #expect(out["login"]?["login_page"]?["status"] == 200, "no hint: the mock's login page")
        #expect(out["login"]?["authorize"]?["scope"] == "openid email profile")
        #expect(out["login"]?["user"]?["userinfo_sub"] == .string(alice.id))
        #expect(out["login"]?["user"]?["userinfo_email"] == "alice@acme.test")
    }

    @Test(.enabled(if: Virtualenv.workos4.enabled, Comment(rawValue: Virtualenv.workos4.skipReason)))
    func workos4SSOFlowReturnsTheProfileInTheIdPsIDSpace() throws {
        let callback = "http://localhost:3000/callback"
        let acme = try #require(defaults.directory.organization(ref: "acme"))
        let connections = defaults.directory.connections.values.sorted { $0.id < $1.id }
        let connection = try #require(connections.first { $0.organizationID == acme.id }, "the default fixtures give acme an SSO connection")
        let oauthTypes: Set<String> = ["AppleOAuth", "GitHubOAuth", "GoogleOAuth", "MicrosoftOAuth"]  // the 4.x SDK's SsoProviderType
        let provider = connections.first { oauthTypes.contains($0.type) }
        let fixture: JSONValue = ["organization_id": .string(acme.id), "provider": provider.map { .string($0.type) } ?? .null]
        // --auto-approve: the SDK's own authorization URL (with login_hint) is followed unchanged.
        let out = try serve(.workos4, "workos4_sso.py", options: ["--auto-approve"], [callback, fixture.serializedString()])
        #expect(out["version"] == "4.16.0")

        let byOrganization = out["by_organization"] ?? .null
        #expect(byOrganization["authorize_path"] == "/sso/authorize")
        #expect(byOrganization["redirected_to"] == .string(callback))
        #expect(byOrganization["state"] == "sso-org")
        #expect(byOrganization["has_access_token"] == true)
        let profile = byOrganization["profile"] ?? .null
        #expect(profile["email"] == "alice@acme.test", "\(byOrganization)")
        #expect(profile["first_name"] == "Alice")
        #expect(profile["organization_id"] == .string(acme.id), "the IdP's organization ID, not the app's external_id")
        #expect(profile["connection_id"] == .string(connection.id))
        #expect(profile["connection_type"] == .string(connection.type))
        #expect(profile["id"]?.stringValue?.hasPrefix("prof_") == true, "\(profile)")
        #expect(
            profile["id"]?.stringValue?.dropFirst("prof_".count) != alice.id.dropFirst("user_".count),
            "a profile ID must not be the user ID with another prefix")
        #expect(out["get_profile"]?["id"] == profile["id"], "/sso/profile answers the same profile for the access token")
        #expect(out["get_profile"]?["email"] == "alice@acme.test")
        #expect(out["code_reused"]?["refused"] == true, "a used code is refused: \(out["code_reused"] ?? .null)")
        #expect(out["bad_token"]?["refused"] == true)
        #expect(out["bad_token"]?["status"] == 401)
        #expect(out["id_space_violations"] == [], "the journal's ID-space flags")

        #expect(out["by_connection"]?["state"] == "sso-conn")
        #expect(out["by_connection"]?["profile"]?["connection_id"] == .string(connection.id))
        #expect(out["by_connection"]?["profile"]?["id"] == profile["id"], "one profile per user and connection")
        if let provider {
            #expect(out["by_provider"]?["profile"]?["connection_type"] == .string(provider.type), "\(out["by_provider"] ?? .null)")
            #expect(out["by_provider"]?["profile"]?["email"] == "alice@acme.test")
            #expect(out["by_provider"]?["profile"]?["id"] != profile["id"], "one profile per user and connection")
        }
    }

    @Test(.enabled(if: Virtualenv.mcp.enabled, Comment(rawValue: Virtualenv.mcp.skipReason)))
    func fastMCPAuthKitProviderAcceptsTheMocksAudienceBoundTokenAndRefusesForgeries() throws {
        let out = try serve(.mcp, "mcp_authkit.py")
        let issuer = try #require(out["issuer"]?.stringValue)
        let resource = try #require(out["resource"]?.stringValue)
        #expect(out["tool"]?["sub"] == .string(alice.id), "the tool saw Alice's verified token: \(out["tool"] ?? .null)")
        #expect(out["tool"]?["iss"] == .string(issuer))
        #expect(out["tool"]?["aud"] == .string(resource), "RFC 8707: the access token is bound to the MCP server's URL")
        #expect(out["tools"] == ["whoami"])

        // The SDK's client found its way on its own, in the order the MCP authorization spec gives.
        let requests = (out["requests"]?.arrayValue ?? []).map { "\($0["method"]?.stringValue ?? "") \($0["url"]?.stringValue ?? "")" }
        let origin = String(resource.dropLast("/mcp".count))
        let steps = [
            "GET \(origin)/.well-known/oauth-protected-resource/mcp", "GET \(issuer)/.well-known/oauth-authorization-server",
            "POST \(issuer)/oauth2/register", "POST \(issuer)/oauth2/token", "POST \(resource)",
        ]
        var position = requests.startIndex
        for step in steps {
            let found = requests[position...].firstIndex(of: step)
            #expect(found != nil, "\(step) after the steps before it, in \(requests)")
            position = found.map { requests.index(after: $0) } ?? position
        }
        #expect(out["authorize"]?["url"] == .string(issuer + "/oauth2/authorize"))
        #expect(out["authorize"]?["resource"] == .string(resource))
        #expect(out["authorize"]?["code_challenge_method"] == "S256")
        #expect(out["callback"]?["has_code"] == true)
        #expect(out["callback"]?["iss"] == .string(issuer))
        #expect(out["registered"]?["client_id"]?.stringValue?.isEmpty == false)

        #expect(out["genuine"]?["status"] == 200)
        #expect(out["id_space_violations"] == [], "the journal's ID-space flags")
        #expect(out["plain_flow_same_resource"]?["status"] == 200)
        #expect(out["forged"]?["aud"] == .string(resource))
        #expect(out["forged"]?["status"] == 401, "a bad signature is refused: \(out["forged"] ?? .null)")
        #expect(out["other_resource"]?["aud"] != .string(resource))
        #expect(out["other_resource"]?["status"] == 401, "a token for another resource is refused: \(out["other_resource"] ?? .null)")

        // A public client registered the same way (token_endpoint_auth_method none) gets there with PKCE alone.
        #expect(out["public"]?["token_endpoint_auth_method"] == "none")
        #expect(out["public"]?["has_secret"] == false)
        #expect(out["public"]?["client_id"] != out["registered"]?["client_id"])
        #expect(out["public"]?["tool"]?["sub"] == .string(alice.id), "\(out["public"] ?? .null)")
        #expect(out["public"]?["tool"]?["aud"] == .string(resource))
    }
}
