import BuiltinSuite
import JSON

/// The target-profile JSON Schema compiled into the binary: the one place a profile field is
/// explained, read by `mockidp init` (its field guide) and `run --check` (why a scenario is not
/// applicable).
package enum ProfileSchema {
    package static let path = "schema/target-profile.schema.json"
    /// The schema's `$id`: a profile may name it as `$schema` and mockidp resolves it from its own
    /// copy, with no network.
    package static var id: String { document["$id"]?.stringValue ?? "" }

    package static let bytes: [UInt8] = BuiltinFiles.bytes(path) ?? []

    static let document: JSONValue = (try? JSONValue.parse(bytes)) ?? .null

    /// The `description` of a profile field by its dotted path (`capabilities.fault_hook`,
    /// `start.command`), looking through `allOf` parts; nil when the schema does not describe it.
    package static func description(of field: String) -> String? {
        node(at: field).flatMap(describe)
    }

    /// Whether the schema knows this dotted path at all.
    package static func knows(_ field: String) -> Bool { node(at: field) != nil }

    static func node(at field: String) -> JSONValue? {
        var node = document
        for component in field.split(separator: ".").map(String.init) {
            guard let next = property(component, of: node) else { return nil }
            node = next
        }
        return node
    }

    static func property(_ name: String, of node: JSONValue) -> JSONValue? {
        if let found = node["properties"]?[name] { return found }
        for part in node["allOf"]?.arrayValue ?? [] {
            if let found = property(name, of: part) { return found }
        }
        return nil
    }

    static func describe(_ node: JSONValue) -> String? {
        if let text = node["description"]?.stringValue { return text }
        for part in node["allOf"]?.arrayValue ?? [] {
            if let text = describe(part) { return text }
        }
        return nil
    }
}
