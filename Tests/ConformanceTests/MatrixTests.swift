import Foundation
import JSON
import Testing

@testable import Conformance

/// The forgery matrix: dimensions declared once in scenarios/suite/token/forgery.matrix.json,
/// expanded by the loader into one scenario per combination.
@Suite struct MatrixTests {
    static let suite = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("scenarios/suite").path

    @Test func theForgeryMatrixExpandsEveryCombinationWithAStableId() throws {
        let cells = try ScenarioLoader.loadAll(file: Self.suite + "/token/forgery.matrix.json")
        // 11 signature forgeries × 5 kid variants, plus 3 typ/crit variants with the published kid.
        #expect(cells.count == 11 * 5 + 11 * 3)
        #expect(Set(cells.map(\.id)).count == cells.count)
        let ids = Set(cells.map(\.id))
        for id in [
            "token.forgery.alg-none-mixed.kid-absent", "token.forgery.hs256-public-key.kid-path-traversal",
            "token.forgery.embedded-jwk.kid-not-a-string", "token.forgery.bad-signature.kid-published.crit-unknown",
            "token.forgery.unknown-key.kid-published.typ-at-jwt",
        ] {
            #expect(ids.contains(id), "missing \(id)")
        }
        #expect(!ids.contains("token.forgery.bad-signature.kid-absent.crit-unknown"), "typ/crit variants only with the published kid")
        for cell in cells {
            #expect(cell.family == "token")
            #expect(cell.verdict != nil && !(cell.verdict?.failsWhen.contains("{") ?? true), "\(cell.id): unfilled verdict template")
            #expect(!cell.title.contains("{"), "\(cell.id): \(cell.title)")
        }
    }

    @Test func eachCellMintsItsOwnForgery() throws {
        let cells = try ScenarioLoader.loadAll(file: Self.suite + "/token/forgery.matrix.json")
        func mint(_ id: String) -> JSONObject? {
            guard let cell = cells.first(where: { $0.id == id }) else { return nil }
            for step in cell.steps { if case .mint(let mint) = step, mint.name == "forged" { return mint.request } }
            return nil
        }
        let none = try #require(mint("token.forgery.alg-none-upper.kid-absent"))
        #expect(none["sign"] == "none" && none["header"]?["alg"] == "NONE" && none["omit_header"] == ["kid"])
        let crit = try #require(mint("token.forgery.jku.kid-published.crit-unknown"))
        #expect(crit["sign"] == "unknown-key" && crit["header"]?["kid"] == "${idp.kid}" && crit["header"]?["crit"] == ["urn:mockidp:unknown"])
        #expect(crit["header"]?["jku"]?.stringValue?.contains("/attacker/${run}/") == true)
        let jku = try #require(cells.first { $0.id == "token.forgery.jku.kid-unknown" })
        #expect(jku.steps.contains { if case .expect(let e) = $0, case .journal = e.subject { return true } else { return false } })
        let kidAbsent = try #require(cells.first { $0.id == "token.forgery.bad-signature.kid-absent" })
        #expect(kidAbsent.references.bugs == ["kid-absent-skips-signature"])
        let alg = try #require(cells.first { $0.id == "token.forgery.alg-none-lower.kid-absent" })
        #expect(Set(alg.references.bugs) == ["alg-none-accepted", "kid-absent-skips-signature"])
    }

    @Test func theSuiteLoadsTheMatrixAndTheFilterSelectsCells() throws {
        let scenarios = try ScenarioSuite.load(directory: Self.suite)
        let kidAbsent = ScenarioSuite.filter(scenarios, pattern: "token.forgery.*.kid-absent")
        #expect(kidAbsent.count == 11)
        #expect(ScenarioSuite.filter(scenarios, pattern: "forgery.alg-none").count == 4 * 8 + 8)
    }

    @Test func aBrokenMatrixNamesFileAndField() throws {
        let text =
            #"{"matrix": "x.y", "title": "t", "forge": "f", "steps": [{"mint": {"as": "f", "user": "u"}}], "dimensions": [{"name": "a", "values": [{"name": "v", "title": "v", "only_with": {"b": ["w"]}}]}]}"#
        #expect(throws: ConfigError.self) { try ScenarioLoader.parseAll(try JSONValue.parse(text), file: "m.json") }
        do {
            _ = try ScenarioLoader.parseAll(try JSONValue.parse(text), file: "m.json")
        } catch let error as ConfigError {
            #expect(error.file == "m.json" && error.field == "dimensions" && error.message.contains("no dimension 'b'"), "\(error)")
        }
        let badSign =
            #"{"matrix": "x.y", "title": "t", "forge": "f", "steps": [{"mint": {"as": "f", "user": "u"}}], "dimensions": [{"name": "a", "values": [{"name": "v", "title": "v", "mint": {"sign": "sometimes"}}]}]}"#
        do {
            _ = try ScenarioLoader.parseAll(try JSONValue.parse(badSign), file: "m.json")
            Issue.record("expected an error")
        } catch let error as ConfigError {
            #expect(error.file == "m.json" && error.field == "mint.sign", "\(error)")
        }
    }
}
