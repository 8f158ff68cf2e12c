import JOSE

/// Which `iss` the mock puts in tokens and discovery.
package enum IssuerSetting: Sendable, Equatable {
    /// The mock's own base URL, e.g. `http://127.0.0.1:4100` (the default).
    case mockBaseURL
    /// `https://api.workos.com`, as legacy WorkOS environments issue.
    case workos
    /// `https://api.workos.com/user_management/<client_id>`, as newer environments issue.
    case workosClient
    case custom(String)

    /// Parses the `--issuer` flag: `mock`, `workos`, `workos-client`, or a URL.
    package init(flag: String) {
        switch flag {
        case "mock": self = .mockBaseURL
        case "workos": self = .workos
        case "workos-client": self = .workosClient
        default: self = .custom(flag)
        }
    }
}

package struct IdPConfiguration: Sendable {
    package var clientID = "client_01KDXYS8R8A5ZQ5Y2TE3G0GSD4"
    package var apiKey = "sk_test_mockidp_local_only"
    package var issuer: IssuerSetting = .mockBaseURL
    package var tokenLifetime: Int64 = 300
    package var seed: UInt64?
    /// Make the next rotation key in the background (the conformance runner): a timed scenario
    /// must not pay a 2048-bit prime search on its clock.
    package var prefetchKeys = false
    package var idSpaces: IDSpaceMode = .strict
    /// A fixtures file; nil uses the embedded defaults.
    package var fixturesFile: String?
    /// A folder of PEM keys; nil uses the embedded test keys.
    package var keysDirectory: String?
    package var signingAlgorithm: JWSAlgorithm = .rs256
    /// Redirect URIs the authorize endpoint accepts, besides any loopback http URL (which are
    /// always allowed, as for a local dev tool). Exact match.
    package var redirectURIs: [String] = []
    /// Authorization codes live this long (seconds).
    package var authorizationCodeLifetime: Int64 = 600
    /// A rotated refresh token keeps working this long (seconds), for concurrent refreshes.
    package var refreshGraceSeconds: Int64 = 10
    /// Authorize skips the login page when `login_hint` names a fixture user, for headless
    /// tests. A request can override it with `mockidp_auto_approve=1` or `=0`.
    package var autoApprove = false
    /// Where logout sends the browser when the request has no `return_to` (WorkOS: the
    /// environment's logout redirect). nil: the origin of the first of `redirectURIs`, if any.
    package var logoutRedirect: String?
    /// Browser origins allowed by CORS besides loopback ones and the origins of `redirectURIs`.
    package var corsOrigins: [String] = []
    /// What the journal may hold in total (`--journal-bytes`, `Limits.journalBytes`).
    package var journalBytes = Limits.journalBytesDefault
    /// Rules for `/_mock` requests (`ControlGuard`): `--control-token`, `--allow-remote`.
    package var controlGuard = ControlGuard()

    package init() {}
}

extension MockIdP {
    /// Logout's destination without `return_to`: the configured logout redirect, else the origin
    /// of the first allowed redirect URI (`http://localhost:3000/callback` → `http://localhost:3000`).
    package var defaultLogoutRedirect: String? {
        configuration.logoutRedirect ?? configuration.redirectURIs.first.flatMap(CORS.origin(of:))
    }
}
