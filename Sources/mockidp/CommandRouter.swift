import Arguments
import Essentials
import FoundationEssentials
import Glibc

let programVersion = "0.1.0"

/// Exit codes shared by every subcommand (the runner adds 1 and 3 for its verdicts).
enum ExitCode {
    static let success: Int32 = 0
    static let failure: Int32 = 1
    static let usage: Int32 = 2
}

/// A subcommand: its options and what it does with them.
struct Command: Sendable {
    let spec: CommandSpec
    let run: @Sendable (ParsedArguments) throws -> Int32
}

protocol Subcommand: SendableMetatype {
    static var spec: CommandSpec { get }
    static func run(_ arguments: ParsedArguments) throws -> Int32
}

extension Subcommand {
    static var command: Command { Command(spec: spec, run: { try run($0) }) }
}

enum CommandRouter {
    static let commands: [Command] = [
        SelftestCommand.command, ServeCommand.command, RunCommand.command, ScenariosCommand.command, InitCommand.command, SampleAppCommand.command,
        BenchCommand.command,
    ]

    static var usage: String {
        var lines = [
            "mockidp \(programVersion) — a local mock identity provider (WorkOS-compatible) and auth conformance harness",
            "",
            "Usage: mockidp <command> [options]",
            "",
            "Commands:",
        ]
        for command in commands {
            lines.append("  " + command.spec.name.padded(to: 12) + command.spec.summary)
        }
        lines += ["", "Run 'mockidp <command> --help' for a command's options."]
        return lines.joined(separator: "\n")
    }

    static func run(_ arguments: [String]) -> Int32 {
        guard let first = arguments.first else {
            printError(usage)
            return ExitCode.usage
        }
        switch first {
        case "--help", "-h", "help":
            print(usage)
            return ExitCode.success
        case "--version", "-V", "version":
            print("mockidp \(programVersion)")
            return ExitCode.success
        default:
            break
        }
        guard let command = commands.first(where: { $0.spec.name == first }) else {
            let near = commands.map(\.spec.name).filter { editDistance($0, first) <= 2 }
            printError("mockidp: unknown command '\(first)'\(near.first.map { "; did you mean '\($0)'?" } ?? "")\n\n\(usage)")
            return ExitCode.usage
        }
        do {
            let parsed = try command.spec.parse(arguments.dropFirst())
            if parsed.has("help") {
                print(command.spec.usage(program: "mockidp"))
                return ExitCode.success
            }
            return try command.run(parsed)
        } catch let error as UsageError {
            printError("mockidp \(command.spec.name): \(error.message)\nRun 'mockidp \(command.spec.name) --help' for usage.")
            return ExitCode.usage
        } catch {
            printError("mockidp \(command.spec.name): \(error)")
            return ExitCode.failure
        }
    }
}

func printError(_ text: String) {
    StandardStreams.write(text + "\n", to: STDERR_FILENO)
}
