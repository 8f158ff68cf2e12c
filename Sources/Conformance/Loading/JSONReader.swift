import Essentials
import FoundationEssentials
import Glibc
import JSON

/// Typed reads from a JSON object that remember where they are, so every error names its field.
struct JSONReader {
    let value: JSONValue
    let file: String
    let step: String?
    let path: String

    /// Reads and parses a JSON file, on disk or built in; `what` names it in the error ("scenario file").
    static func document(at file: String, what: String) throws(ConfigError) -> JSONValue {
        guard let bytes = Builtin.contents(of: file) else {
            throw ConfigError(file: file, field: "", message: "cannot read the \(what)")
        }
        do {
            return try JSONValue.parse(bytes)
        } catch {
            throw ConfigError(file: file, field: "", message: error.description)
        }
    }

    init(_ value: JSONValue, file: String, step: String? = nil, path: String = "") {
        self.value = value
        self.file = file
        self.step = step
        self.path = path
    }

    func error(_ field: String, _ message: String) -> ConfigError {
        ConfigError(file: file, step: step, field: join(field), message: message)
    }

    func join(_ field: String) -> String {
        if path.isEmpty { return field }
        if field.isEmpty { return path }
        return field.hasPrefix("[") ? path + field : path + "." + field
    }

    var object: JSONObject? { value.objectValue }

    func child(_ key: String) -> JSONReader? {
        guard let nested = value[key] else { return nil }
        return JSONReader(nested, file: file, step: step, path: join(key))
    }

    func requireObject() throws(ConfigError) -> JSONObject {
        guard let object = value.objectValue else { throw error("", "must be an object, found \(value.typeName)") }
        return object
    }

    func checkKeys(_ allowed: Set<String>) throws(ConfigError) {
        let object = try requireObject()
        for key in object.keys where !allowed.contains(key) {
            let near = allowed.sorted().first { editDistance($0, key) <= 2 || ($0.hasPrefix(key) && key.count >= 3) }
            throw error(
                key, "unknown field\(near.map { "; did you mean '\($0)'?" } ?? "") (expected one of \(allowed.sorted().joined(separator: ", ")))")
        }
    }

    func string(_ key: String) throws(ConfigError) -> String? {
        guard let value = value[key], !value.isNull else { return nil }
        guard let text = value.stringValue else { throw error(key, "must be a string, found \(value.typeName)") }
        return text
    }

    func requiredString(_ key: String) throws(ConfigError) -> String {
        guard let text = try string(key) else { throw error(key, "is required") }
        return text
    }

    func int(_ key: String) throws(ConfigError) -> Int? {
        guard let value = value[key], !value.isNull else { return nil }
        guard let number = value.intValue else { throw error(key, "must be a whole number, found \(value.typeName)") }
        return Int(number)
    }

    func double(_ key: String) throws(ConfigError) -> Double? {
        guard let value = value[key], !value.isNull else { return nil }
        guard let number = value.doubleValue else { throw error(key, "must be a number, found \(value.typeName)") }
        return number
    }

    func bool(_ key: String) throws(ConfigError) -> Bool? {
        guard let value = value[key], !value.isNull else { return nil }
        guard let flag = value.boolValue else { throw error(key, "must be true or false, found \(value.typeName)") }
        return flag
    }

    func strings(_ key: String) throws(ConfigError) -> [String]? {
        guard let value = value[key], !value.isNull else { return nil }
        guard let array = value.arrayValue else { throw error(key, "must be an array of strings") }
        var result: [String] = []
        for (index, element) in array.enumerated() {
            guard let text = element.stringValue else { throw error("\(key)[\(index)]", "must be a string, found \(element.typeName)") }
            result.append(text)
        }
        return result
    }

    func objectValue(_ key: String) throws(ConfigError) -> JSONObject? {
        guard let value = value[key], !value.isNull else { return nil }
        guard let object = value.objectValue else { throw error(key, "must be an object, found \(value.typeName)") }
        return object
    }
}
