import Essentials
import FoundationEssentials
import Glibc
import JSON

/// Renders a WorkOS JWT template: JSON text with `{{ path || path || 'fallback' }}` holes.
/// A hole inside a string literal is replaced by text; outside one, by a JSON value (so whole
/// objects and arrays can be interpolated), as WorkOS documents it.
package struct JWTTemplate: Sendable, Equatable {
    package let content: String
    package let updatedAt: Int64

    package init(content: String, updatedAt: Int64) throws(IdPError) {
        self.content = content
        self.updatedAt = updatedAt
        // Rendering against an empty context catches syntax errors at PUT time, not at login.
        _ = try render(context: [:])
    }

    package func render(context: JSONValue) throws(IdPError) -> JSONObject {
        if content.trimmingWhitespace().isEmpty { return [:] }
        var output = ""
        var inString = false
        var escaped = false
        var rest = Substring(content)
        while let char = rest.first {
            if !inString || !escaped, rest.hasPrefix("{{") {
                guard let close = rest.firstRange(of: "}}") else {
                    throw .invalidRequest(code: "invalid_jwt_template", message: "a '{{' has no closing '}}'")
                }
                let expression = rest[rest.index(rest.startIndex, offsetBy: 2)..<close.lowerBound]
                let value = resolve(expression, in: context)
                if inString {
                    if let text = value?.stringValue {
                        var bytes: [UInt8] = []
                        JSONWriter.writeString(text, into: &bytes)
                        output += String(decoding: bytes.dropFirst().dropLast(), as: UTF8.self)
                    } else if let value, !value.isNull {
                        if case .array = value {
                            throw .invalidRequest(
                                code: "invalid_jwt_template", message: "'\(expression)' is an array and cannot be placed inside a string")
                        }
                        if case .object = value {
                            throw .invalidRequest(
                                code: "invalid_jwt_template", message: "'\(expression)' is an object and cannot be placed inside a string")
                        }
                        output += value.serializedString()
                    }
                } else {
                    output += (value ?? .null).serializedString()
                }
                rest = rest[close.upperBound...]
                continue
            }
            if inString {
                if escaped { escaped = false } else if char == "\\" { escaped = true } else if char == "\"" { inString = false }
            } else if char == "\"" {
                inString = true
            }
            output.append(char)
            rest = rest.dropFirst()
        }
        let parsed: JSONValue
        do {
            parsed = try JSONValue.parse(output)
        } catch {
            throw .invalidRequest(code: "invalid_jwt_template", message: "the rendered template is not JSON: \(error.description)")
        }
        guard let object = parsed.objectValue else {
            throw .invalidRequest(code: "invalid_jwt_template", message: "the template must render to a JSON object")
        }
        return object
    }

    private func resolve(_ expression: Substring, in context: JSONValue) -> JSONValue? {
        for alternative in expression.split(separator: "||") {
            let term = alternative.trimmingWhitespace()
            if term.count >= 2, term.hasPrefix("'"), term.hasSuffix("'") {
                return .string(String(term.dropFirst().dropLast()))
            }
            var current: JSONValue? = context
            for segment in term.split(separator: ".") {
                if let index = Int(segment) { current = current?[index] } else { current = current?[String(segment)] }
            }
            if let current, !current.isNull { return current }
        }
        return nil
    }
}
