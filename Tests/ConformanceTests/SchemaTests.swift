import Foundation
import JSON
import TestSupport
import Testing

/// The published JSON Schemas describe the files the runner actually reads.
@Suite(.enabled(if: Interop.available, "needs .venv (created by .ci/run) with jsonschema"))
struct SchemaTests {
    static var scenarioFiles: [String] {
        let folder = Interop.root.appendingPathComponent("scenarios/suite")
        let enumerator = FileManager.default.enumerator(atPath: folder.path)
        var files: [String] = []
        while let relative = enumerator?.nextObject() as? String {
            if relative.hasSuffix(".json"), !relative.hasSuffix(".matrix.json") { files.append(folder.appendingPathComponent(relative).path) }
        }
        return files.sorted()
    }

    static var matrixFiles: [String] {
        let folder = Interop.root.appendingPathComponent("scenarios/suite")
        let enumerator = FileManager.default.enumerator(atPath: folder.path)
        var files: [String] = []
        while let relative = enumerator?.nextObject() as? String {
            if relative.hasSuffix(".matrix.json") { files.append(folder.appendingPathComponent(relative).path) }
        }
        return files.sorted()
    }

    @Test func everyBuiltInMatrixMatchesTheMatrixSchema() throws {
        let files = Self.matrixFiles
        #expect(!files.isEmpty)
        let results = try Interop.run("validate_schema.py", [Interop.root.appendingPathComponent("scenarios/schema/matrix.schema.json").path] + files)
        for file in files { #expect(results[file] == .null, "\(file): \(results[file] ?? .null)") }
    }

    @Test func everyBuiltInScenarioMatchesTheScenarioSchema() throws {
        let files = Self.scenarioFiles
        #expect(files.count >= 30)
        let results = try Interop.run(
            "validate_schema.py", [Interop.root.appendingPathComponent("scenarios/schema/scenario.schema.json").path] + files)
        for file in files { #expect(results[file] == .null, "\(file): \(results[file] ?? .null)") }
    }

    @Test func everyShippedProfileMatchesTheProfileSchema() throws {
        let profiles = [
            "scenarios/targets/reference-app.json", "scenarios/targets/reference-web-app.json", "Tests/interop/bearer-app.json",
            "Tests/interop/bearer-app-300.json",
            "Tests/interop/workos5-web.json",
            "Tests/interop/mcp-resource-server.json",
            "Tests/interop/oidc-rp-authlib.json", "Tests/interop/oidc-rp-django.json",
        ].map { Interop.root.appendingPathComponent($0).path }
        let results = try Interop.run(
            "validate_schema.py", [Interop.root.appendingPathComponent("scenarios/schema/target-profile.schema.json").path] + profiles)
        for profile in profiles { #expect(results[profile] == .null, "\(profile): \(results[profile] ?? .null)") }
    }

    @Test func theSchemaRejectsWhatTheLoaderRejects() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("mockidp-schema-\(UUID().uuidString).json")
        try Data(#"{"id": "a.b", "title": "t", "steps": [{"mint": {"as": "t", "user": "u", "sign": "sometimes"}}]}"#.utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let results = try Interop.run(
            "validate_schema.py", [Interop.root.appendingPathComponent("scenarios/schema/scenario.schema.json").path, file.path])
        #expect(results[file.path]?.stringValue?.isEmpty == false)
    }
}
