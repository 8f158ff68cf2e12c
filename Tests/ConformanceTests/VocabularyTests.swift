import Foundation
import IdP
import JSON
import Testing

@testable import Conformance

/// The scenario format's words have one owner each (the enums in Vocabulary.swift); the JSON
/// Schema and the README table are checked against them here, both ways, so adding a name on
/// one side alone fails this suite.
@Suite struct SchemaVocabularyTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func schema() throws -> JSONValue {
        try JSONValue.parse(Array(try Data(contentsOf: root.appendingPathComponent("scenarios/schema/scenario.schema.json"))))
    }

    static func names<Word: RawRepresentable & CaseIterable>(_: Word.Type) -> Set<String> where Word.RawValue == String {
        Set(Word.allCases.map(\.rawValue))
    }

    static func strings(_ value: JSONValue?) -> Set<String> { Set((value?.arrayValue ?? []).compactMap(\.stringValue)) }

    static func keys(_ value: JSONValue?) -> Set<String> { Set(value?.objectValue?.keys ?? []) }

    @Test func stepKindsAreTheSchemasSteps() throws {
        let steps = try Self.schema()["$defs"]?["step"]?["oneOf"]?.arrayValue ?? []
        let schemaKinds = Set(steps.compactMap { $0["required"]?.arrayValue?.first?.stringValue })
        #expect(steps.count == schemaKinds.count, "one schema branch per step kind")
        #expect(schemaKinds == Self.names(StepKind.self))
    }

    @Test func capabilitiesAreTheSchemasRequires() throws {
        let schemaNames = Self.strings(try Self.schema()["properties"]?["requires"]?["items"]?["enum"])
        #expect(schemaNames == Self.names(Capability.self))
    }

    @Test func checkKeysAreTheSchemasExpectation() throws {
        let expectation = try Self.schema()["$defs"]?["expectation"]
        #expect(Self.keys(expectation?["properties"]) == CheckKind.everyKey)
        #expect(Self.strings(expectation?["properties"]?["outcome"]?["enum"]) == Self.names(Outcome.self))
        #expect(Self.strings(expectation?["properties"]?["id_space"]?["enum"]) == Self.names(IDSpaceRule.self))
    }

    @Test func journalConditionsAndFlagsAreTheSchemas() throws {
        let journal = try Self.schema()["$defs"]?["expectation"]?["properties"]?["journal"]
        #expect(Self.keys(journal?["properties"]) == Self.names(JournalCondition.self))
        // The flag's owner is the mock's journal: the runner reads the same enum.
        #expect(Self.strings(journal?["properties"]?["flag"]?["enum"]) == Self.names(JournalFlag.Kind.self))
    }

    /// The README's step table names every step kind, and no other.
    @Test func theReadmeStepTableNamesEveryKind() throws {
        let text = try String(contentsOf: Self.root.appendingPathComponent("scenarios/README.md"), encoding: .utf8)
        let section = text.components(separatedBy: "\n## Steps")[1].components(separatedBy: "\n## ")[0]
        var documented: Set<String> = []
        for line in section.split(separator: "\n") where line.hasPrefix("| `{\"") {
            let name = line.dropFirst(5).prefix { $0 != "\"" }
            documented.insert(String(name))
        }
        #expect(documented == Self.names(StepKind.self))
    }
}

/// The start of a scenario file, before its steps.
private let scenarioHead = #"{"id": "a.b", "title": "t", "#

/// Names outside the vocabularies are load errors naming file, step and field, with a suggestion.
@Suite struct UnknownNameTests {
    func loadError(_ text: String) -> ConfigError? {
        do {
            _ = try ScenarioLoader.parse(try JSONValue.parse(Array(text.utf8)), file: "case.json")
            return nil
        } catch let error as ConfigError {
            return error
        } catch {
            return ConfigError(file: "?", field: "?", message: "\(error)")
        }
    }

    @Test(arguments: [
        (
            #"{"id": "a.b", "title": "t", "requires": ["introspecton"], "steps": [{"mark": "m"}]}"#, nil as String?, "requires[0]",
            "unknown capability 'introspecton'; did you mean 'introspection'?"
        ),
        (
            scenarioHead + #""steps": [{"expect": {"journal": {"flag": "fault_injectd", "count": 0}}}]}"#, "steps[0]", "expect.journal.flag",
            "unknown journal flag 'fault_injectd'; did you mean 'fault_injected'?"
        ),
        (
            scenarioHead + #""steps": [{"expect": {"journal": {"paht_prefix": "/x", "count": 0}}}]}"#, "steps[0]", "expect.journal.paht_prefix",
            "unknown journal condition 'paht_prefix'; did you mean 'path_prefix'?"
        ),
        (
            scenarioHead + #""steps": [{"mark": "m"}, {"callback": {"as": "r", "no_token": true}}, {"expect": {"response": "r", "stauts": 200}}]}"#,
            "steps[2]", "expect.stauts", "unknown condition; did you mean 'status'?"
        ),
        (
            scenarioHead + #""steps": [{"callback": {"as": "r", "no_token": true}}, {"expect": {"response": "r", "outcome": "acepted"}}]}"#,
            "steps[1]", "expect.outcome", "did you mean 'accepted'?"
        ),
        (
            scenarioHead
                + #""steps": [{"callback": {"as": "r", "no_token": true}}, {"expect": {"response": "r", "field": "/a", "id_space": "apps"}}]}"#,
            "steps[1]", "expect.id_space", "did you mean 'app'?"
        ),
        (
            scenarioHead + #""steps": [{"callback": {"as": "r", "no_token": true}}, {"expect": {"response": "r", "redirects": "anywhere"}}]}"#,
            "steps[1]", "expect.redirects", "is not app_or_idp"
        ),
    ])
    func unknownNamesFailAtLoad(_ text: String, _ step: String?, _ field: String, _ says: String) throws {
        let error = try #require(loadError(text), "loaded")
        #expect(error.file == "case.json" && error.step == step && error.field == field, "\(error)")
        #expect(error.message.contains(says), "\(error)")
    }

    @Test func requiredCapabilitiesAreTyped() throws {
        #expect(loadError(#"{"id": "a.b", "title": "t", "requires": ["code_flow", "probe"], "steps": [{"mark": "m"}]}"#) == nil)
    }
}

@Suite(.enabled(if: BuiltTool.path != nil, "the mockidp executable must be built (swift build)"))
struct MisspeltCapabilityCLITests {
    /// A misspelt capability once made a scenario not applicable on every app, silently.
    @Test func aMisspeltCapabilityExitsTwoNamingTheFileAndTheNearestName() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("mockidp-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("typo.json")
        try Data(#"{"id": "typo.requires", "title": "t", "requires": ["introspecton"], "steps": [{"mark": "m"}]}"#.utf8).write(to: file)
        let result = try BuiltTool.run(["run", "--scenarios", folder.path, "--list"])
        #expect(result.status == 2, "\(result.stdout)\(result.stderr)")
        #expect(result.stderr.contains(file.path), "\(result.stderr)")
        #expect(result.stderr.contains("requires[0]: unknown capability 'introspecton'; did you mean 'introspection'?"), "\(result.stderr)")
    }
}
