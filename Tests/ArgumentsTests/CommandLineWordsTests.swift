import Arguments
import Testing

@Suite struct CommandLineWordsTests {
    @Test func commandLinesSplitLikeAShellWithoutExpanding() throws {
        #expect(try splitCommandLine("python3 -m app --port {app_port}") == ["python3", "-m", "app", "--port", "{app_port}"])
        #expect(try splitCommandLine(#"node 'my server.js' --name "a b" c\ d $HOME"#) == ["node", "my server.js", "--name", "a b", "c d", "$HOME"])
        #expect(try splitCommandLine(#"x "" y"#) == ["x", "", "y"])
        #expect(try splitCommandLine("  ").isEmpty)
        #expect(throws: UsageError.self) { try splitCommandLine("broken 'quote") }
        #expect(throws: UsageError.self) { try splitCommandLine(#"trailing\"#) }
    }
}
