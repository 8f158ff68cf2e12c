import Foundation
import JSON
import TestSupport
import Testing

@testable import Conformance

/// A bearer resource-server profile (`resource_server`, a callback with a fixed body and
/// headers): how it loads, and `mockidp run` against a real MCP server on FastMCP, correct and
/// with each seeded bug the resource-audience family must catch.
struct ResourceServerProfileTests {
    static func parse(_ text: String) throws(ConfigError) -> TargetProfile {
        let value: JSONValue
        do { value = try JSONValue.parse(Array(text.utf8)) } catch { throw ConfigError(file: "rs.json", field: "", message: "\(error)") }
        return try TargetProfile.parse(value, file: "rs.json")
    }

    static func error(_ text: String) -> ConfigError? {
        do {
            _ = try parse(text)
            return nil
        } catch { return error }
    }

    @Test func aResourceServerProfileDeclaresItsAudienceMetadataAndCallbackExtras() throws {
        let profile = try Self.parse(
            """
            {"base_url": "http://127.0.0.1:{app_port}",
             "callback": {"path": "/mcp", "headers": {"Accept": "application/json, text/event-stream"}, "body": {"jsonrpc": "2.0", "id": 1}},
             "resource_server": {"audience": "http://127.0.0.1:{app_port}/mcp", "metadata_path": "/.well-known/oauth-protected-resource/mcp"}}
            """)
        #expect(profile.resourceServer?.audience == "http://127.0.0.1:{app_port}/mcp")
        #expect(profile.capabilities.isSuperset(of: [.resourceServer, .resourceMetadata, .tokenCallback]))
        let app = AppTarget(profile: profile, placeholders: ["app_port": "4321"])
        #expect(app.audience == "http://127.0.0.1:4321/mcp")
        let request = app.callbackRequest(token: "t0k")
        #expect(request.method == "POST")
        #expect(request.headers["Accept"] == "application/json, text/event-stream")
        #expect(request.headers["Content-Type"] == "application/json")
        #expect(request.headers["Authorization"] == "Bearer t0k")
        #expect(try JSONValue.parse(request.body) == ["jsonrpc": "2.0", "id": 1])
    }

    @Test func aProfileWithoutTheNewFieldsSendsWhatItAlwaysSent() throws {
        let profile = try Self.parse(#"{"base_url": "http://127.0.0.1:1", "callback": {"path": "/cb"}}"#)
        #expect(profile.resourceServer == nil && profile.callbackHeaders.isEmpty)
        #expect(!profile.capabilities.contains(.resourceServer) && !profile.capabilities.contains(.resourceMetadata))
        let app = AppTarget(profile: profile, placeholders: [:])
        #expect(app.audience == nil)
        let request = app.callbackRequest(token: "t0k")
        #expect(request.body.isEmpty && request.headers["Content-Type"] == nil && request.headers["Accept"] == "application/json")
    }

    @Test(arguments: [
        (
            #"{"base_url": "http://127.0.0.1:1", "callback": {"path": "/cb"}, "resource_server": {"metadata_path": "/m"}}"#,
            "resource_server.audience", "is required"
        ),
        (
            #"{"base_url": "http://127.0.0.1:1", "callback": {"path": "/cb"}, "resource_server": {"audience": " "}}"#,
            "resource_server.audience", "must not be empty"
        ),
        (
            #"{"base_url": "http://127.0.0.1:1", "callback": {"path": "/cb"}, "resource_server": {"audience": "a", "metadata": "/m"}}"#,
            "resource_server.metadata", "unknown field"
        ),
        (
            #"{"base_url": "http://127.0.0.1:1", "callback": {"path": "/cb"}, "resource_server": {"audience": "a", "metadata_path": "m x"}}"#,
            "resource_server.metadata_path", "must not contain spaces"
        ),
        (
            #"{"base_url": "http://127.0.0.1:1", "callback": {"shape": "code", "path": "/cb"}, "resource_server": {"audience": "a"}}"#,
            "resource_server", "token-shape"
        ),
        (
            #"{"base_url": "http://127.0.0.1:1", "callback": {"shape": "code", "path": "/cb", "body": {}}}"#,
            "callback.body", "\"shape\": \"token\" only"
        ),
        (
            #"{"base_url": "http://127.0.0.1:1", "callback": {"path": "/cb", "token": {"in": "json", "field": "t"}, "body": {}}}"#,
            "callback.body", "the token already fills the body"
        ),
        (#"{"base_url": "http://127.0.0.1:1", "callback": {"path": "/cb", "body": "initialize"}}"#, "callback.body", "JSON object or array"),
        (
            #"{"base_url": "http://127.0.0.1:1", "callback": {"path": "/cb", "headers": {"Accept": 1}}}"#, "callback.headers.Accept",
            "must be a string"
        ),
        (
            #"{"base_url": "http://127.0.0.1:1", "callback": {"path": "/cb", "headers": {"Authorization": "Bearer x"}}}"#,
            "callback.headers.Authorization", "where the runner puts the token"
        ),
        (#"{"base_url": "http://127.0.0.1:1", "callback": {"path": "/cb", "headers": {"A\nB": "x"}}}"#, "callback.headers", "not a header name"),
        (#"{"base_url": "http://127.0.0.1:1", "callback": {"path": "/cb", "headers": {"A": "x\r\nB: y"}}}"#, "callback.headers.A", "CR, LF"),
    ])
    func aBrokenResourceServerFieldIsAnErrorNamingFileAndField(profile: String, field: String, message: String) {
        let error = Self.error(profile)
        #expect(error?.file == "rs.json")
        #expect(error?.field == field, "\(String(describing: error))")
        #expect(error?.message.contains(message) == true, "\(String(describing: error))")
    }

    @Test func anUnfilledAudiencePlaceholderIsAProfileError() throws {
        let profile = try Self.parse(
            #"{"base_url": "http://127.0.0.1:1", "callback": {"path": "/mcp"}, "resource_server": {"audience": "{resource_url}"}}"#)
        #expect(throws: ConfigError.self) { try AppTarget(profile: profile, placeholders: [:]).checkPlaceholders() }
    }

    @Test func anExactPayloadGainsTheAudienceOnlyWhenItHasNone() {
        let audience = "http://127.0.0.1:5/mcp"
        #expect(
            StepExecutor.addingAudience(audience, toRawPayload: #"{"sub":"a","sub":"b"}"#)
                == #"{"aud":"http://127.0.0.1:5/mcp","sub":"a","sub":"b"}"#)
        #expect(StepExecutor.addingAudience(audience, toRawPayload: " { } ").hasPrefix(" {\"aud\":"))
        #expect(StepExecutor.addingAudience(audience, toRawPayload: " { } ").hasSuffix("\" } "))
        #expect(StepExecutor.addingAudience(audience, toRawPayload: #"{"aud":"x"}"#) == #"{"aud":"x"}"#)
        #expect(StepExecutor.addingAudience(audience, toRawPayload: "[1]") == "[1]")
    }

    @Test func anIssuerIsFoundWithOrWithoutATrailingSlashOnAnEmptyPath() {
        #expect(ExpectationEvaluator.sameURL("http://127.0.0.1:5/", "http://127.0.0.1:5"))
        #expect(ExpectationEvaluator.sameURL("http://127.0.0.1:5", "http://127.0.0.1:5/"))
        #expect(!ExpectationEvaluator.sameURL("http://127.0.0.1:5/tenant", "http://127.0.0.1:5"))
        #expect(!ExpectationEvaluator.sameURL("http://127.0.0.1:6", "http://127.0.0.1:5"))
        #expect(!ExpectationEvaluator.sameURL(nil, "http://127.0.0.1:5"))
    }
}

/// `mockidp run` against Tests/interop/mcp_resource_server.py (FastMCP's AuthKitProvider), reached
/// as an MCP client reaches it: every verdict comes from a real MCP server checking real tokens.
@Suite(
    .serialized,
    .enabled(if: BuiltTool.path != nil, "the mockidp executable must be built (swift build)"),
    .enabled(if: Virtualenv.mcp.enabled, "\(Virtualenv.mcp.skipReason)"))
struct ResourceServerRunTests {
    static let profile = Interop.root.appendingPathComponent("Tests/interop/mcp-resource-server.json").path
    static let family = ["other-resource", "near-miss-resource", "audience-missing", "other-issuer", "expired", "metadata-names-issuer"]
        .map { "resource-audience.\($0)" }
    static let audienceFailures: Set = [
        "resource-audience.other-resource", "resource-audience.near-miss-resource", "resource-audience.audience-missing",
    ]

    static func run(_ arguments: [String]) throws -> (BuiltTool.Result, AnyAppTests.Report) {
        _ = try Virtualenv.mcp.requirePython()
        let (result, report) = try AnyAppTests.run(["--target", profile, "--max-wait", "5"] + arguments)
        guard let report else { throw TestFailure("no JSON report: \(result.stderr)\n\(result.stdout)") }
        return (result, report)
    }

    /// Three shuffled orders of the whole suite: each one all pass or not applicable, and the same verdicts.
    @Test func theCorrectMCPServerPassesEverythingThatAppliesInAnyOrder() throws {
        var seen: [[String: String]] = []
        for seed in ["1", "2", "3"] {
            let (result, report) = try Self.run(["--shuffle", seed])
            #expect(result.status == 0, "\(result.stdout)")
            #expect(report.summary["failed"] == 0 && report.summary["errors"] == 0, "\(report.summary)")
            for id in Self.family { #expect(report.verdict(id) == "pass", "\(id)") }
            // The bearer signature check is the token family's forgery matrix, minted for this audience.
            let forgeries = report.verdicts.filter { $0.key.hasPrefix("token.forgery.") }
            #expect(forgeries.count >= 40 && forgeries.values.allSatisfy { $0 == "pass" }, "\(forgeries)")
            #expect(report.verdict("token.wrong-issuer") == "pass" && report.verdict("token.expired") == "pass")
            seen.append(report.verdicts)
        }
        #expect(seen[0].count >= 150)
        #expect(seen[0] == seen[1] && seen[1] == seen[2], "verdicts depend on the order")
    }

    @Test(arguments: [
        ("audience-not-checked", "resource-audience", Array(Self.audienceFailures)),
        ("resource-issuer-not-checked", "resource-audience", ["resource-audience.other-issuer"]),
        ("metadata-wrong-issuer", "resource-audience", ["resource-audience.metadata-names-issuer"]),
        // FastMCP's AuthKitProvider as shipped: exp and sub, which RFC 9068 §2.2 requires, are optional to it.
        ("as-shipped", "token.missing-", ["token.missing-exp", "token.missing-sub"]),
    ])
    func eachSeededBugIsCaughtByTheScenariosThatNameIt(bug: String, filter: String, caughtBy: [String]) throws {
        let (result, report) = try Self.run(["--filter", filter, "--app-arg=--bug=\(bug)"])
        #expect(result.status == 1, "\(result.stdout)")
        #expect(Set(report.ids("fail")) == Set(caughtBy), "\(report.verdicts)")
        #expect(report.summary["errors"] == 0 && report.summary["not_applicable"] == 0)
        #expect(Set(report.ids("fail") + report.ids("pass")) == Set(report.verdicts.keys))
    }

    @Test func verdictsWithTheAudienceBugDoNotDependOnTheOrder() throws {
        var seen: [[String: String]] = []
        for seed in ["1", "2", "3"] {
            let (_, report) = try Self.run(["--shuffle", seed, "--app-arg=--bug=audience-not-checked"])
            #expect(Set(report.ids("fail")) == Self.audienceFailures, "\(report.verdicts)")
            seen.append(report.verdicts)
        }
        #expect(seen[0] == seen[1] && seen[1] == seen[2], "verdicts depend on the order")
    }
}
