import Arguments
import FoundationEssentials
import Glibc
import IdP
import JOSE

enum ServeCommand: Subcommand {
    static let spec = CommandSpec(
        name: "serve",
        summary: "Run the mock IdP: WorkOS-compatible API, OpenID Connect provider, SSO API, JWKS, discovery, and the /_mock control API.",
        options: [
            .value("host", placeholder: "HOST", default: "127.0.0.1", help: "Address to bind."),
            .value("port", short: "p", placeholder: "PORT", default: "4100", help: "Port to bind; 0 picks a free one."),
            .value("fixtures", placeholder: "FILE", help: "Fixtures JSON (default: the embedded scenarios/fixtures/default.json)."),
            .value("keys", placeholder: "DIR", help: "Folder of PEM keys, or 'generate' (default: the embedded test keys in keys/)."),
            .value("alg", placeholder: "ALG", default: "RS256", help: "Signing algorithm: RS256 or ES256."),
            .value("issuer", placeholder: "ISSUER", default: "mock", help: "Token issuer: mock (own base URL), workos, workos-client, or a URL."),
            .value("client-id", placeholder: "ID", help: "Client ID (default: client_01KDXYS8R8A5ZQ5Y2TE3G0GSD4)."),
            .value("api-key", placeholder: "KEY", help: "API key the management API requires (default: sk_test_mockidp_local_only)."),
            .value("seed", placeholder: "N", help: "Make generated IDs, token IDs and generated keys deterministic."),
            .value(
                "id-spaces", placeholder: "MODE", default: "strict",
                help: "strict, or adversarial (fixtures arranged so mixing ID spaces finds the wrong tenant)."),
            .value("token-lifetime", placeholder: "SECONDS", default: "300", help: "Access token lifetime."),
            .value("redirect-uri", placeholder: "URI", help: "Allow this redirect URI besides loopback ones (repeatable)."),
            .flag("auto-approve", help: "Authorize with a login_hint signs that user in at once (headless scripts and tests)."),
            .value("cors-origin", placeholder: "ORIGIN", help: "Allow this browser origin besides loopback ones (repeatable)."),
            .value(
                "logout-redirect", placeholder: "URL",
                help: "Where logout sends the browser without return_to (default: the origin of the first --redirect-uri)."),
            .value("control-token", placeholder: "TOKEN", help: "Require Authorization: Bearer TOKEN on /_mock control requests."),
            .flag("allow-remote", help: "Allow --host to be a non-loopback address (the control API then answers any Host: use --control-token)."),
            .value("log", placeholder: "FORMAT", default: "human", help: "Request log on stderr: human, json, or off."),
            .value(
                "journal-bytes", placeholder: "BYTES", default: String(Limits.journalBytesDefault),
                help:
                    "Memory the request journal may use; the oldest entries go first (\(Limits.journalBytes.range.lowerBound)-\(Limits.journalBytes.range.upperBound))."
            ),
        ],
        positionals: "[-- COMMAND ARGS…  (start the app with the SDK environment; serve stops with it and exits with its code)]",
        details: """
            Surfaces (one port):
              WorkOS API        /user_management/*, /organizations/* (Bearer API key), /sso/jwks/{client_id}
              AuthKit login     /user_management/authorize, /user_management/authenticate, /user_management/sessions/logout
              OpenID Connect    /.well-known/openid-configuration, /.well-known/oauth-authorization-server (issuer = the issuer line),
                                /oauth2/authorize, /oauth2/token, /oauth2/userinfo, /oauth2/jwks, /oauth2/register (RFC 7591),
                                /oauth2/revoke (RFC 7009), /oauth2/logout; clients: this environment's (secret = API key),
                                the fixtures' (webapp, spa), POST /_mock/clients, Dynamic Client Registration
              WorkOS SSO API    /sso/authorize (connection | organization | provider), /sso/token, /sso/profile
              Control (/_mock)  tokens, journal, directory, users, organizations, memberships, keys, clock, faults, reset,
                                clients, oauth2/token_overrides
            Headless sign-in: add login_hint=<email|ref|user ID>&mockidp_auto_approve=1 to any authorize URL (or --auto-approve).
            """)

    static func configuration(from arguments: ParsedArguments) throws -> IdPConfiguration {
        var configuration = IdPConfiguration()
        configuration.fixturesFile = arguments.value("fixtures")
        configuration.keysDirectory = arguments.value("keys")
        let algorithm = try arguments.choice("alg", from: ["RS256", "ES256"]) ?? "RS256"
        configuration.signingAlgorithm = JWSAlgorithm(rawValue: algorithm) ?? .rs256
        configuration.issuer = IssuerSetting(flag: arguments.value("issuer") ?? "mock")
        if let clientID = arguments.value("client-id") {
            guard clientID.hasPrefix("client_") else { throw UsageError("--client-id must start with client_, as WorkOS client IDs do") }
            configuration.clientID = clientID
        }
        if let apiKey = arguments.value("api-key") {
            guard apiKey.hasPrefix("sk_") else { throw UsageError("--api-key must start with sk_, as WorkOS API keys do") }
            configuration.apiKey = apiKey
        }
        if let seed = arguments.value("seed") {
            guard let value = UInt64(seed) else { throw UsageError("--seed takes a whole number, not '\(seed)'") }
            configuration.seed = value
        }
        let mode = try arguments.choice("id-spaces", from: IDSpaceMode.allCases.map(\.rawValue)) ?? "strict"
        configuration.idSpaces = IDSpaceMode(rawValue: mode) ?? .strict
        configuration.tokenLifetime = Int64(
            try arguments.integer("token-lifetime", in: Int(Limits.tokenLifetime.range.lowerBound)...Int(Limits.tokenLifetime.range.upperBound))
                ?? 300)
        configuration.redirectURIs = arguments.allValues("redirect-uri")
        configuration.autoApprove = arguments.has("auto-approve")
        configuration.corsOrigins = arguments.allValues("cors-origin")
        if let token = arguments.value("control-token"), token.isEmpty || token.contains(where: { $0.isWhitespace || $0.isNewline }) {
            throw UsageError(
                "--control-token must be a non-empty word without spaces (it is sent as Authorization: Bearer TOKEN); "
                    + "an empty one would lock /_mock")
        }
        configuration.controlGuard = ControlGuard(token: arguments.value("control-token"), allowRemote: arguments.has("allow-remote"))
        if let bytes = try arguments.integer(
            "journal-bytes", in: Int(Limits.journalBytes.range.lowerBound)...Int(Limits.journalBytes.range.upperBound))
        {
            configuration.journalBytes = bytes
        }
        if let logoutRedirect = arguments.value("logout-redirect") {
            let lowered = logoutRedirect.lowercased()
            guard lowered.hasPrefix("http://") || lowered.hasPrefix("https://") else {
                throw UsageError("--logout-redirect takes an http or https URL, not '\(logoutRedirect)'")
            }
            configuration.logoutRedirect = logoutRedirect
        }
        return configuration
    }

    static func run(_ arguments: ParsedArguments) throws -> Int32 {
        let configuration = try configuration(from: arguments)
        let command = arguments.positionals
        if !command.isEmpty, !arguments.sawTerminator {
            throw UsageError(
                "serve takes no arguments, but got '\(command[0])'; to start your app beside the mock, put it after --: mockidp serve [options] -- COMMAND ARGS…"
            )
        }
        if arguments.sawTerminator, command.isEmpty {
            throw UsageError("nothing after --: name the command to start, e.g. mockidp serve -- python app.py")
        }
        let port = try arguments.integer("port", in: 0...65535) ?? 4100
        let logFormat = try arguments.choice("log", from: ["human", "json", "off"]) ?? "human"
        let host = arguments.value("host") ?? "127.0.0.1"
        if host.contains(":") {
            throw UsageError("--host \(host): the server listens on IPv4 only; use --host 127.0.0.1 (IPv6 loopback is not served yet)")
        }
        let remote = !ControlGuard.isLoopback(host: host)
        if remote, !configuration.controlGuard.allowRemote {
            throw UsageError(
                "--host \(host) is not a loopback address: anyone who can reach it could mint tokens through /_mock; add --allow-remote (and --control-token) if that is what you want"
            )
        }
        let idp: MockIdP
        do {
            idp = try MockIdP(configuration: configuration)
        } catch {
            printError("mockidp serve: \(error)")
            return ExitCode.usage
        }
        // Lines go through a bounded buffer and a writer thread: a stderr nobody reads must not stop the mock.
        let writer = logFormat == "off" ? nil : LineWriter()
        let log: (@Sendable (JournalEntry) -> Void)? = writer.map { writer in
            if logFormat == "json" { return { entry in writer.write(RequestLogFormat.json(entry)) } }
            return { entry in RequestLogFormat.humanBytes(entry).withUnsafeBytes { writer.write(bytes: $0) } }
        }
        let server = IdPServer(idp: idp, log: log)
        let bound: UInt16
        do {
            bound = try server.start(host: host, port: UInt16(port))
        } catch {
            printError("mockidp serve: cannot listen on \(host):\(port): \(error)")
            return ExitCode.failure
        }
        // After the bind, so a host that cannot be bound fails without a warning first.
        if remote {
            printError(
                "mockidp serve: WARNING: listening on \(host), not loopback: the control API (/_mock) is reachable from the network"
                    + (configuration.controlGuard.token == nil ? " with no --control-token" : ""))
        }
        // The first line is a contract: scripts wait for it and read the URL from it.
        print("listening on http://\(host.contains(":") ? "[\(host)]" : host):\(bound)")
        print("client id: \(idp.configuration.clientID)")
        print("api key:   \(idp.configuration.apiKey)")
        print("issuer:    \(idp.issuer)")
        print("jwks:      \(idp.jwksURL)")
        print("oidc:      \(idp.baseURL)/.well-known/openid-configuration (clients: README, \"Any OpenID Connect app\")")
        print("id spaces: \(configuration.idSpaces.rawValue)")
        print("")
        print("# environment for WorkOS SDKs")
        for (name, value) in idp.sdkEnvironment() { print("export \(name)=\(value)") }
        fflush(nil)  // nil flushes every stream; naming stdout trips strict concurrency checking
        if !command.isEmpty {
            return runBeside(command, server: server, idp: idp)
        }
        server.runUntilTerminated()
        if let writer {
            writer.write("mockidp serve: stopped")
            writer.close()
        } else {
            printError("mockidp serve: stopped")
        }
        return ExitCode.success
    }

    /// `serve -- COMMAND`: the app runs with the SDK environment; when it exits the mock stops
    /// and serve exits with the app's code.
    static func runBeside(_ command: [String], server: IdPServer, idp: MockIdP) -> Int32 {
        var environment = ProcessInfo.processInfo.environment
        for (name, value) in idp.sdkEnvironment() { environment[name] = value }
        let code: Int32
        do {
            code = try AppProcess.run(command, environment: environment) { pid in
                printError("mockidp serve: started \(command.joined(separator: " ")) (pid \(pid)) with the SDK environment")
            }
        } catch {
            server.stop()
            printError("\(error)")
            return 127
        }
        server.stop()
        printError("mockidp serve: \(command[0]) exited with \(code); stopped")
        return code
    }
}
