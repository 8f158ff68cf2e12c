import Arguments
import BuiltinSuite
import Conformance
import Essentials
import FoundationEssentials
import Glibc

/// `mockidp scenarios list|export`: the suite inside the binary, for reading or adapting.
enum ScenariosCommand: Subcommand {
    static let spec = CommandSpec(
        name: "scenarios",
        summary: "List the built-in scenarios and the bugs they catch, or export the suite, schemas, fixtures and target profiles.",
        options: [
            .value("scenarios", placeholder: "SOURCES", help: "list: comma-separated builtin and folders, as for run (default: builtin)."),
            .value(
                "filter", short: "f", placeholder: "PATTERN",
                help: "list: only scenarios whose id, family or file contains PATTERN (or matches a * glob)."),
            .flag("force", help: "export: overwrite files that already exist in DIR."),
        ],
        positionals: "list | export DIR")

    static func run(_ arguments: ParsedArguments) throws -> Int32 {
        switch arguments.positionals.first {
        case "list" where arguments.positionals.count == 1:
            return try list(arguments)
        case "export" where arguments.positionals.count == 2:
            return try export(to: arguments.positionals[1], force: arguments.has("force"))
        case "export":
            throw UsageError("export takes one folder: mockidp scenarios export DIR")
        default:
            throw UsageError("say what to do: mockidp scenarios list, or mockidp scenarios export DIR")
        }
    }

    static func list(_ arguments: ParsedArguments) throws -> Int32 {
        let loaded: (scenarios: [Scenario], notes: [String])
        do {
            loaded = try ScenarioSuite.load(sources: arguments.value("scenarios") ?? Builtin.sourceName)
        } catch {
            printError("mockidp scenarios: \(error)")
            return ExitCode.usage
        }
        let scenarios = ScenarioSuite.filter(loaded.scenarios, pattern: arguments.value("filter"))
        let families = Dictionary(grouping: scenarios, by: \.family)
        for family in families.keys.sorted() {
            let members = families[family] ?? []
            print("\(family) (\(members.count))")
            for scenario in members {
                print("  \(scenario.id)  — \(scenario.title)")
                var facts: [String] = []
                if !scenario.references.bugs.isEmpty { facts.append("catches: \(scenario.references.bugs.joined(separator: ", "))") }
                if !scenario.requires.isEmpty { facts.append("requires: \(scenario.requires.map(\.rawValue).joined(separator: ", "))") }
                if !scenario.references.rfc.isEmpty { facts.append("rule: \(scenario.references.rfc.joined(separator: "; "))") }
                if !scenario.references.oidf.isEmpty { facts.append("oidf: \(scenario.references.oidf.joined(separator: ", "))") }
                if !facts.isEmpty { print("      " + facts.joined(separator: "   ")) }
            }
        }
        let bugs = Set(scenarios.flatMap(\.references.bugs))
        print("\(scenarios.count) scenario(s) in \(families.count) families, catching \(bugs.count) known bug(s)")
        return ExitCode.success
    }

    /// Writes every embedded file under `folder`, keeping `scenarios/`'s layout so the relative
    /// `$schema` references inside keep resolving.
    static func export(to folder: String, force: Bool) throws -> Int32 {
        let manager = FileManager.default
        let root = URL(fileURLWithPath: folder)
        let paths = BuiltinFiles.paths
        let existing = paths.filter { manager.fileExists(atPath: root.appendingPathComponent($0).path) }
        if !existing.isEmpty && !force {
            throw UsageError(
                "\(folder) already has \(existing.count) of the files (\(existing.prefix(3).joined(separator: ", "))\(existing.count > 3 ? ", …" : "")); pass --force to overwrite them"
            )
        }
        for path in paths {
            let target = root.appendingPathComponent(path)
            do {
                try manager.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
                try Data(BuiltinFiles.bytes(path) ?? []).write(to: target)
            } catch {
                printError("mockidp scenarios: cannot write \(target.path): \(FileErrorText.writing(target.path, error))")
                return ExitCode.failure
            }
        }
        let suite = paths.filter { $0.hasPrefix("suite/") && $0.hasSuffix(".json") }.count
        let tops = Set(paths.map { $0.split(separator: "/").count > 1 ? String($0.split(separator: "/")[0]) + "/" : $0 }).sorted()
        print("wrote \(paths.count) files to \(folder): \(tops.joined(separator: ", ")) (\(suite) scenario files)")
        print("run them, changed or not, with: mockidp run --scenarios \(Paths.join(folder, "suite"))")
        return ExitCode.success
    }
}
