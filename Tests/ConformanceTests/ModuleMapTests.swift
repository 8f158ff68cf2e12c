import Foundation
import Testing

/// The README's module picture and module table say what `Package.swift` declares: every target
/// and plugin, each with exactly the modules it uses, each on a floor below everything it uses.
@Suite struct ModuleMapTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Every non-test target and plugin of `Package.swift`, with its dependencies and plugins.
    static func declared() throws -> [String: Set<String>] {
        let manifest = try String(contentsOf: root.appendingPathComponent("Package.swift"), encoding: .utf8)
        var modules: [String: Set<String>] = [:]
        for kind in [".target(", ".executableTarget(", ".systemLibrary(", ".plugin("] {
            var rest = Substring(manifest)
            while let start = rest.range(of: kind) {
                // The call's text, up to its closing parenthesis.
                var depth = 1
                var end = start.upperBound
                while end < rest.endIndex, depth > 0 {
                    if rest[end] == "(" { depth += 1 } else if rest[end] == ")" { depth -= 1 }
                    end = rest.index(after: end)
                }
                let call = rest[start.upperBound..<end]
                rest = rest[end...]
                guard let name = quoted(after: "name:", in: call).first else { continue }
                modules[name] = Set(quoted(after: "dependencies:", in: call) + quoted(after: "plugins:", in: call))
            }
        }
        return modules
    }

    /// The quoted strings of the `[…]` (or the one string) after `label` in `text`.
    static func quoted(after label: String, in text: Substring) -> [String] {
        guard let found = text.range(of: label) else { return [] }
        let tail = text[found.upperBound...].drop { $0 == " " }
        let span = tail.hasPrefix("[") ? tail.prefix { $0 != "]" } : tail.prefix { $0 != "," && $0 != ")" }
        return span.split(separator: "\"", omittingEmptySubsequences: false).enumerated().filter { $0.offset % 2 == 1 }.map { String($0.element) }
    }

    static func readme() throws -> String {
        try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
    }

    /// The picture: module -> (floor, what it uses). The test targets' line has floor `Int.max`.
    static func picture() throws -> [String: (floor: Int, uses: Set<String>)] {
        let readme = try readme()
        let block = try #require(
            readme.components(separatedBy: "Each module uses only modules on the floors above it").dropFirst().first?
                .components(separatedBy: "```").dropFirst().first)
        var modules: [String: (floor: Int, uses: Set<String>)] = [:]
        var floor = -1
        for line in block.split(separator: "\n") {
            var text = Substring(line)
            if text.hasPrefix("floor ") {
                let words = text.split(separator: " ")
                floor = Int(words[1]) ?? -1
                text = text.dropFirst("floor ".count + words[1].count)
            } else if text.hasPrefix("tests ") {
                floor = Int.max
                text = text.dropFirst("tests ".count)
            }
            let parts = text.components(separatedBy: "◄")
            if parts.count == 1 {
                for name in parts[0].split(separator: " ") { modules[String(name)] = (floor, []) }
            } else {
                let name = parts[0].trimmingCharacters(in: .whitespaces)
                // What it uses ends where a two-space gap starts the note.
                let list = parts[1].trimmingCharacters(in: .whitespaces).components(separatedBy: "  ")[0]
                modules[name] = (floor, Set(list.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }))
            }
        }
        return modules
    }

    @Test func thePictureNamesEveryModuleWithWhatItUsesFloorByFloor() throws {
        let declared = try Self.declared()
        #expect(declared.count >= 16, "Package.swift parsed: \(declared.keys.sorted())")
        let picture = try Self.picture()
        #expect(Set(picture.keys) == Set(declared.keys))
        for (name, uses) in declared {
            guard let drawn = picture[name] else { continue }
            #expect(drawn.uses == uses, "\(name): README \(drawn.uses.sorted()), Package.swift \(uses.sorted())")
            for used in uses {
                #expect((picture[used]?.floor ?? Int.max) < drawn.floor, "\(name) uses \(used), which must sit on a floor above it")
            }
        }
    }

    @Test func theTableHasARowForEveryModule() throws {
        let readme = try Self.readme()
        let table = try #require(readme.components(separatedBy: "| module | owns |").dropFirst().first?.components(separatedBy: "\n\n").first)
        let named = table.split(separator: "\n").filter { $0.hasPrefix("| `") }.flatMap { row in
            row.split(separator: "|")[0].split(separator: "`", omittingEmptySubsequences: false).enumerated()
                .filter { $0.offset % 2 == 1 }.map { String($0.element) }
        }
        #expect(Set(named) == Set(try Self.declared().keys))
        #expect(named.count == Set(named).count, "one row per module")
    }
}
