import Arguments
import Testing

@Suite struct ArgumentParsingTests {
    let spec = CommandSpec(
        name: "serve", summary: "Serve.",
        options: [
            .value("port", short: "p", placeholder: "PORT", default: "0", help: "Port."),
            .value("host", placeholder: "HOST", default: "127.0.0.1", help: "Host."),
            .flag("verbose", short: "v", help: "Talk."),
            .value("tag", placeholder: "T", help: "Repeatable."),
        ],
        positionals: "[FILE...]")

    @Test func readsBothValueSpellingsFlagsAndDefaults() throws {
        let parsed = try spec.parse(["--port", "8080", "-v", "--tag=a", "--tag", "b", "x.json"])
        #expect(parsed.value("port") == "8080")
        #expect(try parsed.integer("port", in: 0...65535) == 8080)
        #expect(parsed.value("host") == "127.0.0.1")
        #expect(parsed.has("verbose"))
        #expect(parsed.allValues("tag") == ["a", "b"])
        #expect(parsed.positionals == ["x.json"])
    }

    @Test func doubleDashEndsOptions() throws {
        let parsed = try spec.parse(["--", "--port"])
        #expect(parsed.positionals == ["--port"])
        #expect(parsed.value("port") == "0")
    }

    @Test func unknownOptionSuggestsTheNearestOne() {
        #expect(throws: UsageError("unknown option --prot for serve; did you mean --port?")) { try spec.parse(["--prot", "1"]) }
    }

    @Test func reportsMissingValuesAndBadNumbers() {
        #expect(throws: UsageError("--port needs a value (PORT)")) { try spec.parse(["--port"]) }
        #expect(throws: UsageError("--port takes a whole number from 0 to 65535, not '70000'")) {
            try spec.parse(["--port", "70000"]).integer("port", in: 0...65535)
        }
        #expect(throws: UsageError("--verbose is a switch and takes no value")) { try spec.parse(["--verbose=yes"]) }
    }

    @Test func refusesPositionalsWhenNoneAreDeclared() {
        let bare = CommandSpec(name: "bench", summary: "", options: [])
        #expect(throws: UsageError("bench takes no arguments, but got 'extra'")) { try bare.parse(["extra"]) }
    }

    @Test func usageListsEveryOptionWithDefaults() {
        let text = spec.usage(program: "mockidp")
        #expect(text.hasPrefix("Usage: mockidp serve [options] [FILE...]"))
        #expect(text.contains("-p, --port PORT"))
        #expect(text.contains("(default: 127.0.0.1)"))
        #expect(text.contains("-h, --help"))
    }
}
