/// The `{name}` segments of the matched route, percent-decoded (Hummingbird's `Parameters`).
package struct PathParameters: Sendable, Hashable, ExpressibleByDictionaryLiteral {
    package private(set) var values: [String: String]

    package init(_ values: [String: String] = [:]) { self.values = values }
    package init(dictionaryLiteral elements: (String, String)...) {
        self.init(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }

    package subscript(name: String) -> String? {
        get { values[name] }
        set { values[name] = newValue }
    }

    /// The parameter's value. A route that lacks it answers 404, as a path that names nothing.
    package func require(_ name: String) throws(HTTPError) -> String {
        guard let value = values[name] else {
            throw HTTPError(status: 404, code: "not_found", message: "the route has no path parameter '\(name)'")
        }
        return value
    }
}
