import Arguments
import FoundationEssentials
import Glibc
import HTTP
import SampleApp

enum SampleAppCommand: Subcommand {
    static let spec = CommandSpec(
        name: "sample-app",
        summary: "Run the reference app that signs users in with the mock IdP (optionally with a seeded --bug).",
        options: [
            .value("host", placeholder: "HOST", default: "127.0.0.1", help: "Address to bind."),
            .value("port", short: "p", placeholder: "PORT", default: "0", help: "Port to bind; 0 picks a free one."),
            .value("idp", placeholder: "URL", help: "Mock IdP base URL (JWKS at {idp}/sso/jwks/{client_id}). Required."),
            .value("client-id", placeholder: "ID", help: "Client ID. Required."),
            .value("api-key", placeholder: "KEY", help: "API key for the IdP management API. Required."),
            .value("issuer", placeholder: "ISSUER", help: "Expected iss, exact match. Required."),
            .value("jwks-ttl-ms", placeholder: "MS", default: "300000", help: "How long a fetched JWKS is trusted."),
            .value("jwks-cooldown-ms", placeholder: "MS", default: "30000", help: "Minimum interval between JWKS refetches caused by unknown kids."),
            .value("leeway-seconds", placeholder: "S", default: "30", help: "Clock skew tolerated on exp, nbf and iat (at most 60)."),
            .value("email-claim", placeholder: "NAME", default: "urn:mockidp:email", help: "Custom claim carrying the user's email."),
            .value("idp-timeout-ms", placeholder: "MS", default: "10000", help: "How long one IdP call may take before the app gives up on it."),
            .flag("test-mode", help: "Enable the /_test routes (introspection, faults, seeding, reset)."),
            .value(
                "shape", placeholder: "SHAPE", default: "api",
                help: "api: JSON callback taking a bearer token; web: /login, /callback (code flow), cookie session, /account, /logout."),
            .value("public-url", placeholder: "URL", help: "Web shape: the app's own origin for its redirect URI (default: the bound address)."),
            .flag("require-iss", help: "Web shape: the callback refuses an authorization response whose iss is missing or not --issuer (RFC 9207)."),
            .value(
                "bug", placeholder: "NAME",
                help: "Re-introduce one known auth bug. api: "
                    + SeededBug.applying(to: .api).map(\.rawValue).joined(separator: ", ") + ". web: "
                    + SeededBug.applying(to: .web).map(\.rawValue).joined(separator: ", ") + "."),
        ])

    static func configuration(from arguments: ParsedArguments) throws -> SampleAppConfiguration {
        func required(_ name: String) throws -> String {
            guard let value = arguments.value(name), !value.isEmpty else { throw UsageError("--\(name) is required") }
            return value
        }
        var configuration = SampleAppConfiguration(
            idpBaseURL: try required("idp"), clientID: try required("client-id"),
            apiKey: try required("api-key"), issuer: try required("issuer"))
        configuration.jwksTTLMilliseconds = Int64(try arguments.integer("jwks-ttl-ms", in: 1...86_400_000) ?? 300_000)
        configuration.jwksCooldownMilliseconds = Int64(try arguments.integer("jwks-cooldown-ms", in: 0...86_400_000) ?? 30_000)
        configuration.leewaySeconds = Int64(try arguments.integer("leeway-seconds", in: 0...60) ?? 30)
        configuration.emailClaim = arguments.value("email-claim") ?? "urn:mockidp:email"
        configuration.idpTimeoutMilliseconds = Int64(try arguments.integer("idp-timeout-ms", in: 100...600_000) ?? 10_000)
        configuration.testMode = arguments.has("test-mode")
        if let shape = try arguments.choice("shape", from: SampleAppShape.allCases.map(\.rawValue)) {
            configuration.shape = SampleAppShape(rawValue: shape) ?? .api
        }
        configuration.publicBaseURL = arguments.value("public-url")
        configuration.requireAuthorizationResponseIss = arguments.has("require-iss")
        if let name = try arguments.choice("bug", from: SeededBug.allCases.map(\.rawValue)) {
            configuration.bug = SeededBug(rawValue: name)
        }
        do {
            try configuration.validate()
        } catch {
            throw UsageError(error.description)
        }
        return configuration
    }

    static func run(_ arguments: ParsedArguments) throws -> Int32 {
        let configuration = try configuration(from: arguments)
        let host = arguments.value("host") ?? "127.0.0.1"
        let port = try arguments.integer("port", in: 0...65535) ?? 0
        let app = try SampleApp(configuration: configuration)
        let bound: UInt16
        do {
            bound = try app.start(host: host, port: UInt16(port))
        } catch {
            printError("mockidp sample-app: cannot listen on \(host):\(port): \(error)")
            return ExitCode.failure
        }
        // The first line is a contract: the runner waits for it and reads the URL from it.
        print("listening on http://\(host):\(bound)")
        if !Loopback.isHost(host) {
            printError(
                "mockidp sample-app: WARNING: listening on \(host), not loopback: the app is reachable from the network"
                    + (configuration.testMode ? " (its /_test routes still answer only a loopback Host)" : ""))
        }
        print("idp:       \(configuration.idpBaseURL)")
        print("issuer:    \(configuration.issuer)")
        print(
            "jwks:      \(configuration.jwksURL) (ttl \(configuration.jwksTTLMilliseconds) ms, cooldown \(configuration.jwksCooldownMilliseconds) ms)"
        )
        print("shape:     \(configuration.shape.rawValue)")
        print("test mode: \(configuration.testMode ? "on" : "off")")
        print("bug:       \(configuration.bug?.rawValue ?? "none (correct app)")")
        fflush(nil)  // nil flushes every stream; naming stdout trips strict concurrency checking
        _ = HTTPServer.waitForTerminationSignal()
        app.stop()
        printError("mockidp sample-app: stopped")
        return ExitCode.success
    }
}
