/// A scenario or target profile that cannot be used: names the file, the step and the field,
/// so the person who wrote it can go straight to the line. Exit code 2.
package struct ConfigError: Error, Sendable, Equatable, CustomStringConvertible {
    package let file: String
    /// `steps[3]`, or nil for a problem outside the steps.
    package let step: String?
    package let field: String
    package let message: String

    package init(file: String, step: String? = nil, field: String, message: String) {
        self.file = file
        self.step = step
        self.field = field
        self.message = message
    }

    package var description: String {
        var location = file
        if let step { location += ": \(step)" }
        if !field.isEmpty { location += ": \(field)" }
        return "\(location): \(message)"
    }
}

/// The app could not be started or reached. Exit code 3.
package struct AppUnreachable: Error, Sendable, CustomStringConvertible {
    package let message: String
    package init(_ message: String) { self.message = message }
    package var description: String { message }
}
