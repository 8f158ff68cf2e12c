import Foundation
import SampleApp
import Testing

@testable import Conformance

/// The README's "Seeded bugs" table says, for every bug, its shapes, how to reproduce it and the
/// scenarios that catch it; this keeps it true against `SeededBug` and the suite's references.
@Suite struct SeededBugTableTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    struct Row {
        var bug: String
        var shapes: String
        var reproduce: [String]
        var caughtBy: [String]
    }

    /// Backticked spans of a table cell.
    static func code(_ cell: String) -> [String] {
        cell.split(separator: "`", omittingEmptySubsequences: false).enumerated().filter { $0.offset % 2 == 1 }.map { String($0.element) }
    }

    static func rows() throws -> [Row] {
        let readme = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
        let section = try #require(readme.components(separatedBy: "## Seeded bugs").dropFirst().first?.components(separatedBy: "\n## ").first)
        return section.split(separator: "\n").filter { $0.hasPrefix("| `") }.map { line in
            let cells = line.split(separator: "|", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            // | bug — text | shape | reproduce | caught by |
            return Row(
                bug: code(cells[1]).first ?? "", shapes: cells[2], reproduce: code(cells[3]),
                caughtBy: code(cells[4]).filter { $0.contains(".") && !$0.contains(" ") })
        }
    }

    @Test func everySeededBugHasARowWithItsShapesReproduceCommandsAndCatchingScenarios() throws {
        let rows = try Self.rows()
        #expect(Set(rows.map(\.bug)) == Set(SeededBug.allCases.map(\.rawValue)))
        #expect(rows.count == SeededBug.allCases.count, "one row per bug")
        let scenarios = try ScenarioSuite.load(directory: Self.root.appendingPathComponent("scenarios/suite").path)
        for row in rows {
            guard let bug = SeededBug(rawValue: row.bug) else { continue }
            #expect(row.shapes == bug.shapes.map(\.rawValue).sorted().joined(separator: ", "), "\(row.bug): shape column '\(row.shapes)'")
            for shape in bug.shapes {
                let web = shape == .web
                #expect(
                    row.reproduce.contains { $0.contains("--app-arg=--bug=\(row.bug)") && $0.contains("reference-web-app.json") == web },
                    "\(row.bug): no reproduce command for the \(shape.rawValue) shape")
            }
            // Every scenario the row names (globs allowed) names the bug, and the row names them all.
            var matched = Set<String>()
            for pattern in row.caughtBy {
                let hits = scenarios.filter { fnmatch(pattern, $0.id, 0) == 0 }
                #expect(!hits.isEmpty, "\(row.bug): '\(pattern)' matches no scenario")
                for hit in hits {
                    #expect(hit.references.bugs.contains(row.bug), "\(row.bug): \(hit.id) is listed but does not name the bug")
                    matched.insert(hit.id)
                }
            }
            let naming = Set(scenarios.filter { $0.references.bugs.contains(row.bug) }.map(\.id))
            #expect(matched == naming, "\(row.bug): named by \(naming.subtracting(matched).sorted()) but not listed")
        }
    }
}
