import IdP
import JSON

/// Range checks for scenario and profile files, using the same `Limits` as the control API, so a
/// value the mock would refuse at run time is refused at load time with file, step and field.
extension JSONReader {
    /// A whole number inside `limit`. With `references`, a `${…}` string is let through: it is
    /// resolved, and checked by the mock, when the step runs.
    func int(_ key: String, in limit: NumberRange, references: Bool = false) throws(ConfigError) -> Int64? {
        guard let value = value[key], !value.isNull else { return nil }
        if references, let text = value.stringValue, text.contains("${") { return nil }
        guard let number = value.intValue, limit.contains(number) else { throw error(key, limit.message(key, got: value.serializedString())) }
        return number
    }

    func double(_ key: String, in limit: DecimalRange) throws(ConfigError) -> Double? {
        guard let value = value[key], !value.isNull else { return nil }
        guard let number = value.doubleValue, limit.contains(number) else { throw error(key, limit.message(key, got: value.serializedString())) }
        return number
    }
}
