import BuiltinSuite
import Foundation
import Testing

@testable import Conformance

/// The suite compiled into `mockidp` is `scenarios/` as it is in the repository, byte for byte.
@Suite struct BuiltinSuiteTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let scenarios = root.appendingPathComponent("scenarios")

    /// Every regular file under scenarios/ by relative path, dot-files aside (as the plugin does).
    static func filesOnDisk() -> [String] {
        var files: [String] = []
        let enumerator = FileManager.default.enumerator(at: scenarios, includingPropertiesForKeys: [.isRegularFileKey])
        while let url = enumerator?.nextObject() as? URL {
            let relative = String(url.standardizedFileURL.path.dropFirst(scenarios.standardizedFileURL.path.count + 1))
            if relative.split(separator: "/").contains(where: { $0.hasPrefix(".") }) { continue }
            if (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true { files.append(relative) }
        }
        return files.sorted()
    }

    @Test func theEmbeddedCopyEqualsTheScenariosFolderByteForByte() throws {
        let disk = Self.filesOnDisk()
        #expect(
            disk.contains("schema/target-profile.schema.json") && disk.contains { $0.hasPrefix("suite/") },
            "\(Self.scenarios.path) is not the scenarios folder")
        let embedded = BuiltinFiles.paths
        #expect(Set(disk).subtracting(embedded).isEmpty, "on disk but not embedded (rebuild?): \(Set(disk).subtracting(embedded).sorted())")
        #expect(Set(embedded).subtracting(disk).isEmpty, "embedded but not on disk: \(Set(embedded).subtracting(disk).sorted())")
        for path in disk {
            let bytes = try Data(contentsOf: Self.scenarios.appendingPathComponent(path))
            #expect(BuiltinFiles.bytes(path) == Array(bytes), "\(path) differs from the embedded copy")
        }
    }

    /// The plugin reaches scenarios/ through this link; without it, adding or removing a scenario
    /// would not replan an incremental build.
    @Test func theTargetLinksToTheScenariosFolder() throws {
        let link = Self.root.appendingPathComponent("Sources/BuiltinSuite/scenarios").path
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: link) == "../../scenarios")
    }

    @Test func theBuiltInSuiteLoadsAsTheFolderDoes() throws {
        let builtin = try ScenarioSuite.load(directory: Builtin.suite)
        let disk = try ScenarioSuite.load(directory: Self.scenarios.appendingPathComponent("suite").path)
        #expect(builtin.map(\.id) == disk.map(\.id))
        #expect(builtin.allSatisfy { $0.file.hasPrefix("builtin:suite/") })
        #expect(ScenarioSuite.filter(builtin, pattern: "suite/token/").count == disk.filter { $0.family == "token" }.count)
    }

    @Test func aFolderAddsToTheBuiltInSuiteAndReplacesBySameID() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("mockidp-sources-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try Data(#"{"id": "mine.extra", "title": "Mine", "steps": [{"mark": "m"}]}"#.utf8).write(to: folder.appendingPathComponent("extra.json"))
        try Data(#"{"id": "token.expired", "family": "token", "title": "Adapted", "steps": [{"mark": "m"}]}"#.utf8).write(
            to: folder.appendingPathComponent("expired.json"))
        let builtin = try ScenarioSuite.load(directory: Builtin.suite)
        let combined = try ScenarioSuite.load(sources: "builtin,\(folder.path)")
        #expect(combined.scenarios.count == builtin.count + 1)
        #expect(combined.scenarios.first { $0.id == "token.expired" }?.title == "Adapted")
        #expect(combined.notes.count == 1)
        #expect(combined.notes.first?.contains("replaces builtin:suite/token/expired.json") == true, "\(combined.notes)")
        #expect(try ScenarioSuite.load(sources: folder.path).scenarios.count == 2)
    }

    @Test func targetsResolveToFilesThenBuiltInNames() throws {
        #expect(try Builtin.resolveTarget(nil) == "builtin:targets/reference-app.json")
        #expect(try Builtin.resolveTarget("reference-app") == "builtin:targets/reference-app.json")
        let file = Self.scenarios.appendingPathComponent("targets/reference-app.json").path
        #expect(try Builtin.resolveTarget(file) == file)
        #expect(throws: ConfigError.self) { try Builtin.resolveTarget("no-such-profile") }
        let profile = try TargetProfile.load(file: try Builtin.resolveTarget("reference-app"))
        #expect(profile.name == "reference-app")
    }
}
