import Foundation
import JSON
import TestSupport
import Testing

@testable import Conformance

@Suite struct ProfileTemplateTests {
    static let variants: [ProfileTemplate] = ProfileTemplate.Shape.allCases.flatMap { shape in
        [
            ProfileTemplate(shape: shape, name: "demo", port: nil, command: ["python3", "-m", "demo", "--port", "{app_port}"]),
            ProfileTemplate(shape: shape, name: "demo", port: 9000, command: ["./demo"]),
            ProfileTemplate(shape: shape, name: "demo", port: nil, command: nil),
        ]
    }

    @Test(arguments: variants) func everyTemplateLoadsAsAProfile(_ template: ProfileTemplate) throws {
        let profile = try TargetProfile.parse(try JSONValue.parse(Array(template.text.utf8)), file: "init.json")
        #expect(profile.name == "demo")
        #expect(profile.start?.command == template.command)
        #expect(
            profile.capabilities.subtracting([.codeFlow, .tokenCallback, .loginRoute]).isEmpty,
            "a fresh profile claims no test hook the app may not have")
        #expect(profile.capabilities.contains(.loginRoute) == (profile.codeFlow?.loginPath != nil))
        #expect(profile.capabilities.contains(.codeFlow) == (template.shape == .web))
        #expect(profile.capabilities.contains(.tokenCallback) == (template.shape == .api))
        if template.port == nil && template.command != nil {
            #expect(profile.baseURL == "http://127.0.0.1:{app_port}")
            #expect(profile.start?.environment["PORT"] == "{app_port}")
        }
    }

    /// init explains each field it writes with the schema's own words.
    @Test(arguments: variants) func everyTemplateFieldIsDescribedByTheSchema(_ template: ProfileTemplate) {
        #expect(template.fields.contains("callback.path"))
        for field in template.fields {
            #expect(ProfileSchema.description(of: field)?.isEmpty == false, "the profile schema does not describe \(field)")
        }
        #expect(!template.guide.contains("(not described)"))
    }
}

@Suite struct ProfileCheckTests {
    static let scenarios = (try? ScenarioSuite.load(directory: Builtin.suite)) ?? []

    @Test func theReferenceProfileRunsWhatItsCapabilitiesAllow() throws {
        let profile = try TargetProfile.load(file: Builtin.referenceProfile)
        let check = ProfileCheck(profile: profile, scenarios: Self.scenarios)
        #expect(Self.scenarios.count >= 50)
        let runnable = Self.scenarios.filter { $0.missingCapabilities(in: profile).isEmpty }
        #expect(check.runnableCount == runnable.count)
        // Of the scenarios for its shape: code-flow (browser) scenarios, a bearer resource server's family and the
        // OpenID Connect relying-party families (the id_token role) are other shapes'.
        let ownShape = Self.scenarios.filter {
            !$0.requires.contains(.resourceServer) && !$0.requires.contains(.codeFlow) && !$0.requires.contains(.idTokenRole)
        }
        #expect(runnable.count * 10 >= ownShape.count * 9, "the reference (API-shape) app runs nearly the whole suite")
        #expect(check.warnings.isEmpty, "\(check.warnings)")
    }

    /// `--check` can say what to declare for every capability a built-in scenario requires.
    @Test func everyRequiredCapabilityIsExplainedByAProfileField() {
        for capability in Set(Self.scenarios.flatMap(\.requires)).sorted() {
            #expect(
                ProfileCheck.explain(capability: capability.rawValue).hasPrefix("declare "),
                "\(capability): \(ProfileCheck.explain(capability: capability.rawValue))")
        }
    }

    @Test func missingCapabilitiesMakeScenariosNotApplicableWithTheFieldToDeclare() throws {
        let profile = try TargetProfile.parse(
            try JSONValue.parse(
                Array(#"{"base_url": "http://127.0.0.1:{app_port}", "callback": {"path": "/cb"}, "capabilities": {"reset": {"path": "/r"}}}"#.utf8)),
            file: "p.json")
        let check = ProfileCheck(profile: profile, scenarios: Self.scenarios)
        let skipped = Self.scenarios.filter { !$0.missingCapabilities(in: profile).isEmpty }
        #expect(!skipped.isEmpty)
        #expect(check.runnableCount == Self.scenarios.count - skipped.count)
        let credentials = check.families.first { $0.family == "credentials" }
        #expect(credentials?.runnable == 0)
        #expect(credentials?.missing["organization_credentials"] == credentials?.total)
        #expect(check.report.contains("needs organization_credentials"))
        #expect(check.report.contains("declare capabilities.organization_credentials: "))
        #expect(check.report.contains("declare capabilities.jwks_cache_ttl_seconds: "))
        #expect(ProfileCheck.explain(capability: "some_future_hook") == "the profile does not offer 'some_future_hook'")
        #expect(ProfileCheck.explain(capability: "start").hasPrefix("declare start: How the runner starts the app"))
    }

    @Test func placeholdersNobodyFillsAreNamedWithTheirField() throws {
        let profile = try TargetProfile.parse(
            try JSONValue.parse(
                Array(
                    #"{"base_url": "http://127.0.0.1:{port}", "callback": {"path": "/cb"}, "start": {"command": ["app", "--db", "{db_url}", "{app_port}"], "env": {"X": "{}", "J": "{\"a\": 1}"}}}"#
                        .utf8)), file: "p.json")
        let warnings = ProfileCheck(profile: profile, scenarios: [], placeholders: ["db_url": "sqlite://"]).warnings
        #expect(warnings.count == 1, "\(warnings)")
        #expect(warnings.first?.hasPrefix("base_url: {port} is not filled") == true)
    }
}

/// An independent validator (Python jsonschema) accepts what `init` writes.
@Suite(.enabled(if: Interop.available, "needs .venv (created by .ci/run) with jsonschema"))
struct ProfileTemplateSchemaTests {
    @Test func everyTemplateMatchesTheProfileSchema() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("mockidp-init-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        var files: [String] = []
        for (index, template) in ProfileTemplateTests.variants.enumerated() {
            let file = folder.appendingPathComponent("\(template.shape.rawValue)-\(index).json")
            try Data(template.text.utf8).write(to: file)
            files.append(file.path)
        }
        let schema = Interop.root.appendingPathComponent("scenarios/schema/target-profile.schema.json").path
        let results = try Interop.run("validate_schema.py", [schema] + files)
        for file in files { #expect(results[file] == .null, "\(file): \(results[file] ?? .null)") }
    }
}
