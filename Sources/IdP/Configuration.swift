import JOSE

/// Which `iss` the mock puts in tokens and discovery.
public enum IssuerSetting: Sendable, Equatable {
    /// The mock's own base URL, e.g. `http://127.0.0.1:4100` (the default).
    case mockBaseURL
    /// `https://api.workos.com`, as legacy WorkOS environments issue.
    case workos
    /// `https://api.workos.com/user_management/<client_id>`, as newer environments issue.
    case workosClient
    case custom(String)

    /// Parses the `--issuer` flag: `mock`, `workos`, `workos-client`, or a URL.
    public init(flag: String) {
        switch flag {
        case "mock": self = .mockBaseURL
        case "workos": self = .workos
        case "workos-client": self = .workosClient
        default: self = .custom(flag)
        }
    }
}

public struct IdPConfiguration: Sendable {
    public var clientID = "client_01KDXYS8R8A5ZQ5Y2TE3G0GSD4"
    public var apiKey = "sk_test_mockidp_local_only"
    public var issuer: IssuerSetting = .mockBaseURL
    public var tokenLifetime: Int64 = 300
    public var seed: UInt64?
    public var idSpaces: IDSpaceMode = .strict
    /// A fixtures file; nil uses the embedded defaults.
    public var fixturesFile: String?
    /// A folder of PEM keys; nil uses the embedded test keys.
    public var keysDirectory: String?
    public var signingAlgorithm: JWSAlgorithm = .rs256
    /// Redirect URIs the authorize endpoint accepts, besides any loopback http URL (which are
    /// always allowed, as for a local dev tool). Exact match.
    public var redirectURIs: [String] = []
    /// Authorization codes live this long (seconds).
    public var authorizationCodeLifetime: Int64 = 600
    /// A rotated refresh token keeps working this long (seconds), for concurrent refreshes.
    public var refreshGraceSeconds: Int64 = 10
    /// Authorize skips the login page when `login_hint` names a fixture user, for headless
    /// tests. A request can override it with `mockidp_auto_approve=1` or `=0`.
    public var autoApprove = false
    /// Where logout sends the browser when the request has no `return_to` (WorkOS: the
    /// environment's logout redirect). nil: the origin of the first of `redirectURIs`, if any.
    public var logoutRedirect: String?
    /// Browser origins allowed by CORS besides loopback ones and the origins of `redirectURIs`.
    public var corsOrigins: [String] = []
    /// What the journal may hold in total (`--journal-bytes`, `Limits.journalBytes`).
    public var journalBytes = Limits.journalBytesDefault
    /// Rules for `/_mock` requests (`ControlGuard`): `--control-token`, `--allow-remote`.
    public var controlGuard = ControlGuard()

    public init() {}
}

extension MockIdP {
    /// Logout's destination without `return_to`: the configured logout redirect, else the origin
    /// of the first allowed redirect URI (`http://localhost:3000/callback` → `http://localhost:3000`).
    public var defaultLogoutRedirect: String? {
        configuration.logoutRedirect ?? configuration.redirectURIs.first.flatMap(CORS.origin(of:))
    }
}
