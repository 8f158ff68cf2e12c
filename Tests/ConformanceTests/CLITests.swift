import Foundation
import HTTP
import JSON
import Testing

@Suite(.enabled(if: BuiltTool.path != nil, "the mockidp executable must be built (swift build)"))
struct CLITests {
    @Test func helpAndVersionExitZero() throws {
        let help = try BuiltTool.run(["--help"])
        #expect(help.status == 0)
        for command in ["selftest", "serve", "run", "sample-app", "bench"] { #expect(help.stdout.contains("  \(command)")) }
        let version = try BuiltTool.run(["--version"])
        #expect(version.status == 0)
        #expect(version.stdout.hasPrefix("mockidp "))
        let serveHelp = try BuiltTool.run(["serve", "--help"])
        #expect(serveHelp.stdout.contains("--id-spaces MODE"))
        for surface in ["/oauth2/token", "/oauth2/register", "/.well-known/oauth-authorization-server", "/sso/profile", "oauth2/token_overrides"] {
            #expect(serveHelp.stdout.contains(surface), "serve --help lists \(surface)")
        }
    }

    @Test(arguments: [
        (["nosuch"], "unknown command 'nosuch'"),
        (["serv"], "did you mean 'serve'?"),
        (["serve", "--port", "http"], "--port takes a whole number from 0 to 65535, not 'http'"),
        (["serve", "--prot", "1"], "unknown option --prot for serve; did you mean --port?"),
        (["serve", "--alg", "HS256"], "--alg takes one of RS256, ES256, not 'HS256'"),
        (["run", "--shard", "0/2", "--list"], "--shard takes I/N with 1 ≤ I ≤ N"),
        ([String](), "Usage: mockidp <command>"),
    ])
    func usageErrorsExitTwoWithAMessage(_ arguments: [String], _ message: String) throws {
        let result = try BuiltTool.run(arguments)
        #expect(result.status == 2)
        #expect(result.stderr.contains(message), "\(result.stderr)")
    }

    @Test func serveRefusesFixturesThatMixTheIDSpaces() throws {
        let fixtures = try BuiltTool.temporaryFile(
            "mixed.json",
            #"""
            {"organizations": [{"ref": "a", "id": "org_01KDXYS8R8A5ZQ5Y2TE3G0GSD4", "name": "A", "external_id": "org_01KDXYS8R8A5ZQ5Y2TE3G0GSD4"}]}
            """#)
        let result = try BuiltTool.run(["serve", "--port", "0", "--fixtures", fixtures.path])
        #expect(result.status == 2)
        #expect(result.stderr.contains("organization a.external_id: 'org_01KDXYS8R8A5ZQ5Y2TE3G0GSD4' is not a UUID"), "\(result.stderr)")
    }
}

@Suite(.enabled(if: BuiltTool.path != nil, "the mockidp executable must be built (swift build)"))
struct ServeProcessTests {
    /// The real `mockidp serve` process: its first line is the URL, it answers, and SIGTERM stops
    /// it cleanly (exit 0) after in-flight work.
    @Test func serveAnnouncesItselfAnswersAndStopsOnSIGTERM() throws {
        guard let path = BuiltTool.path else { return }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = ["serve", "--port", "0", "--log", "json"]
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        defer { if process.isRunning { process.terminate() } }
        // Read until the environment block is complete; the process writes it before serving.
        var text = ""
        while !text.contains("WORKOS_ISSUER=") {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            text += String(decoding: chunk, as: UTF8.self)
        }
        let lines = text.split(separator: "\n").map(String.init)
        let first = try #require(lines.first)
        #expect(first.hasPrefix("listening on http://127.0.0.1:"))
        let base = String(first.dropFirst("listening on ".count))
        for name in ["WORKOS_BASE_URL", "WORKOS_API_HOSTNAME", "WORKOS_API_PORT", "WORKOS_API_HTTPS", "WORKOS_CLIENT_ID", "WORKOS_API_KEY"] {
            #expect(lines.contains { $0.hasPrefix("export \(name)=") }, "\(name)")
        }
        let response = try HTTPClient().send(.get(base + "/.well-known/openid-configuration"))
        #expect(response.status == 200)
        #expect(try response.json()["issuer"] == .string(base))
        process.terminate()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let log = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(log.contains(#""path":"/.well-known/openid-configuration""#), "the JSON request log")
        #expect(log.contains("stopped"))
    }

    /// A signal sent the moment the first line appears (a CI step that only waits for the URL)
    /// must stop serve cleanly, never be lost (a hang) nor kill it: the signals are blocked from
    /// the first line of `main` and taken with sigwait.
    @Test func aSIGTERMRightAfterTheFirstLineStopsServeCleanly() throws {
        guard let path = BuiltTool.path else { return }
        for _ in 0..<10 {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: path)
            process.arguments = ["serve", "--port", "0", "--log", "off"]
            let out = Pipe()
            process.standardOutput = out
            process.standardError = FileHandle.nullDevice
            try process.run()
            var text = ""
            while !text.contains("\n") {
                let chunk = out.fileHandleForReading.availableData
                if chunk.isEmpty { break }
                text += String(decoding: chunk, as: UTF8.self)
            }
            #expect(text.hasPrefix("listening on "))
            process.terminate()
            process.waitUntilExit()
            #expect(process.terminationReason == .exit && process.terminationStatus == 0)
        }
    }
}
