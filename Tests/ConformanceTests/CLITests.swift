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
        let fixtures = try BuiltTool.temporaryFile("mixed.json", #"""
        {"organizations": [{"ref": "a", "id": "org_01KDXYS8R8A5ZQ5Y2TE3G0GSD4", "name": "A", "external_id": "org_01KDXYS8R8A5ZQ5Y2TE3G0GSD4"}]}
        """#)
        let result = try BuiltTool.run(["serve", "--port", "0", "--fixtures", fixtures.path])
        #expect(result.status == 2)
        #expect(result.stderr.contains("organization a.external_id: 'org_01KDXYS8R8A5ZQ5Y2TE3G0GSD4' is not a UUID"), "\(result.stderr)")
    }
}
