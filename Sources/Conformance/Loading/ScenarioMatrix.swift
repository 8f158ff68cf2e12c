import JSON

/// A family of scenarios declared once as dimensions (`*.matrix.json`, see
/// scenarios/schema/matrix.schema.json) and expanded into one scenario per combination.
///
/// Each combination gets the id `<matrix>.<value>.<value>…`, a title and verdict with `{dimension}`
/// replaced by each value's title, the union of the values' references, and the template steps
/// with every value's `mint` merged into the forging mint step and its `expect` entries inserted
/// after the step named by `expect_after`. The expanded scenario then goes through the ordinary
/// scenario parser, so every field is checked the same way as in a hand-written file.
enum ScenarioMatrix {
    struct Value {
        var name: String
        var title: String
        var mint: JSONObject
        var references: JSONObject
        var expect: [JSONValue]
        /// Other dimensions' value names this value combines with (absent: all).
        var onlyWith: [String: [String]]
    }

    struct Dimension {
        var name: String
        var optional: Bool
        var values: [Value]
    }

    static func isMatrix(_ value: JSONValue) -> Bool { value["matrix"] != nil }

    static func expand(_ value: JSONValue, file: String) throws(ConfigError) -> [Scenario] {
        let root = JSONReader(value, file: file)
        try root.checkKeys([
            "$schema", "matrix", "family", "title", "description", "verdict", "forge", "expect_after", "requires", "steps", "dimensions",
        ])
        let prefix = try root.requiredString("matrix")
        let forge = try root.requiredString("forge")
        let expectAfter = try root.string("expect_after")
        guard let steps = value["steps"]?.arrayValue, !steps.isEmpty else { throw root.error("steps", "is required and must be a non-empty array") }
        guard steps.contains(where: { $0[StepKind.mint.rawValue]?["as"]?.stringValue == forge }) else {
            throw root.error("forge", "no mint step in steps has \"as\": \"\(forge)\"")
        }
        let dimensions = try parseDimensions(root)
        var scenarios: [Scenario] = []
        var seen: Set<String> = []
        for combination in combinations(dimensions) {
            let id = ([prefix] + combination.map(\.value.name)).joined(separator: ".")
            guard seen.insert(id).inserted else { throw root.error("dimensions", "two combinations expand to the id '\(id)'") }
            let cell = try scenarioJSON(
                root: value, id: id, combination: combination, dimensions: dimensions, steps: steps,
                forge: forge, expectAfter: expectAfter)
            scenarios.append(try ScenarioLoader.parse(cell, file: file))
        }
        return scenarios
    }

    private static func parseDimensions(_ root: JSONReader) throws(ConfigError) -> [Dimension] {
        guard let list = root.value["dimensions"]?.arrayValue, !list.isEmpty else {
            throw root.error("dimensions", "is required: a non-empty array of {name, values}")
        }
        var dimensions: [Dimension] = []
        for index in list.indices {
            let reader = JSONReader(list[index], file: root.file, path: "dimensions[\(index)]")
            try reader.checkKeys(["name", "optional", "values"])
            var dimension = Dimension(name: try reader.requiredString("name"), optional: try reader.bool("optional") ?? false, values: [])
            guard let values = reader.value["values"]?.arrayValue, !values.isEmpty else {
                throw reader.error("values", "is required and must be a non-empty array")
            }
            for valueIndex in values.indices {
                let entry = JSONReader(values[valueIndex], file: root.file, path: "dimensions[\(index)].values[\(valueIndex)]")
                try entry.checkKeys(["name", "title", "mint", "references", "expect", "only_with"])
                let name = try entry.requiredString("name")
                guard !name.isEmpty, name.allSatisfy({ $0.isLowercase || $0.isNumber || $0 == "-" }) else {
                    throw entry.error("name", "'\(name)' must be lowercase letters, digits and dashes (it becomes part of a scenario id)")
                }
                var onlyWith: [String: [String]] = [:]
                for member in try entry.objectValue("only_with") ?? [:] {
                    guard let names = member.value.arrayValue?.compactMap(\.stringValue) else {
                        throw entry.error("only_with.\(member.key)", "must be a list of value names")
                    }
                    onlyWith[member.key] = names
                }
                dimension.values.append(
                    Value(
                        name: name, title: try entry.requiredString("title"), mint: try entry.objectValue("mint") ?? [:],
                        references: try entry.objectValue("references") ?? [:], expect: entry.value["expect"]?.arrayValue ?? [],
                        onlyWith: onlyWith))
            }
            dimensions.append(dimension)
        }
        // A value may only name dimensions and values that exist: a typo would silently drop cells.
        for dimension in dimensions {
            for value in dimension.values {
                for (other, names) in value.onlyWith {
                    guard let target = dimensions.first(where: { $0.name == other }) else {
                        throw root.error("dimensions", "\(dimension.name).\(value.name).only_with names no dimension '\(other)'")
                    }
                    for name in names where !target.values.contains(where: { $0.name == name }) {
                        throw root.error("dimensions", "\(dimension.name).\(value.name).only_with names no value '\(name)' of '\(other)'")
                    }
                }
            }
        }
        return dimensions
    }

    /// Every combination in declaration order; an optional dimension also contributes "none".
    private static func combinations(_ dimensions: [Dimension]) -> [[(dimension: String, value: Value)]] {
        var result: [[(dimension: String, value: Value)]] = [[]]
        for dimension in dimensions {
            var next: [[(dimension: String, value: Value)]] = []
            for partial in result {
                if dimension.optional { next.append(partial) }
                for value in dimension.values {
                    let allowed = value.onlyWith.allSatisfy { other, names in
                        partial.first { $0.dimension == other }.map { names.contains($0.value.name) } ?? false
                    }
                    if allowed { next.append(partial + [(dimension.name, value)]) }
                }
            }
            result = next
        }
        return result
    }

    private static func scenarioJSON(
        root: JSONValue, id: String, combination: [(dimension: String, value: Value)], dimensions: [Dimension],
        steps: [JSONValue], forge: String, expectAfter: String?
    ) throws(ConfigError) -> JSONValue {
        func fill(_ template: String) -> String {
            var text = template
            for dimension in dimensions {
                let title = combination.first { $0.dimension == dimension.name }?.value.title ?? ""
                text = text.replacing("{\(dimension.name)}", with: title)
            }
            return text
        }
        var object: JSONObject = ["id": .string(id)]
        if let family = root["family"] { object["family"] = family }
        object["title"] = .string(fill(root["title"]?.stringValue ?? id))
        if let description = root["description"]?.stringValue { object["description"] = .string(description) }
        if let verdict = root["verdict"]?.objectValue {
            object["verdict"] = .object(
                JSONObject(verdict.members.map { (key: $0.key, value: $0.value.stringValue.map { .string(fill($0)) } ?? $0.value) }))
        }
        var references: [String: [String]] = [:]
        for kind in ["bugs", "rfc", "oidf"] {
            for entry in combination {
                for name in entry.value.references[kind]?.arrayValue?.compactMap(\.stringValue) ?? [] where !(references[kind] ?? []).contains(name) {
                    references[kind, default: []].append(name)
                }
            }
        }
        object["references"] = .object(
            JSONObject(
                ["bugs", "rfc", "oidf"].compactMap { kind in
                    references[kind].map { (key: kind, value: JSONValue.array($0.map(JSONValue.string))) }
                }))
        if let requires = root["requires"] { object["requires"] = requires }
        var expanded: [JSONValue] = []
        for step in steps {
            if var mint = step[StepKind.mint.rawValue]?.objectValue, mint["as"]?.stringValue == forge {
                for entry in combination { mint = merge(mint, entry.value.mint) }
                expanded.append([StepKind.mint.rawValue: .object(mint)])
            } else {
                expanded.append(step)
            }
            if let expectAfter, step[StepKind.callback.rawValue]?["as"]?.stringValue == expectAfter {
                for entry in combination { expanded.append(contentsOf: entry.value.expect.map { [StepKind.expect.rawValue: $0] }) }
            }
        }
        object["steps"] = .array(expanded)
        return .object(object)
    }

    /// `header` and `claims` merge member by member, `omit` and `omit_header` add up, anything
    /// else is replaced.
    static func merge(_ base: JSONObject, _ addition: JSONObject) -> JSONObject {
        var result = base
        for member in addition.members {
            switch (member.key, result[member.key], member.value) {
            case ("header", .object(var existing)?, .object(let more)), ("claims", .object(var existing)?, .object(let more)):
                for entry in more.members { existing[entry.key] = entry.value }
                result[member.key] = .object(existing)
            case ("omit", .array(let existing)?, .array(let more)), ("omit_header", .array(let existing)?, .array(let more)):
                result[member.key] = .array(existing + more)
            default:
                result[member.key] = member.value
            }
        }
        return result
    }
}
