/// The `{name}` segments of the matched route, percent-decoded (Hummingbird's `Parameters`).
public struct PathParameters: Sendable, Hashable, ExpressibleByDictionaryLiteral {
    public private(set) var values: [String: String]

    public init(_ values: [String: String] = [:]) { self.values = values }
    public init(dictionaryLiteral elements: (String, String)...) {
        self.init(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }

    public subscript(name: String) -> String? {
        get { values[name] }
        set { values[name] = newValue }
    }

    /// The parameter's value. A route that lacks it answers 404, as a path that names nothing.
    public func require(_ name: String) throws(HTTPError) -> String {
        guard let value = values[name] else {
            throw HTTPError(status: 404, code: "not_found", message: "the route has no path parameter '\(name)'")
        }
        return value
    }
}
