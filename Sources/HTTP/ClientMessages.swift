import JSON

package struct ClientRequest: Sendable, Hashable {
    package var method: String
    package var url: String
    package var headers: HTTPHeaders
    package var body: [UInt8]

    package init(method: String = "GET", url: String, headers: HTTPHeaders = [:], body: [UInt8] = []) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
    }

    package static func get(_ url: String, headers: HTTPHeaders = [:]) -> ClientRequest {
        ClientRequest(method: "GET", url: url, headers: headers)
    }

    /// A JSON body with `Content-Type: application/json`.
    package init(method: String, url: String, json: JSONValue, headers: HTTPHeaders = [:]) {
        var headers = headers
        if !headers.contains("Content-Type") { headers.add("Content-Type", "application/json") }
        self.init(method: method, url: url, headers: headers, body: json.serialized())
    }

    /// A form body with `Content-Type: application/x-www-form-urlencoded`.
    package init(method: String, url: String, form: [(name: String, value: String)], headers: HTTPHeaders = [:]) {
        var headers = headers
        if !headers.contains("Content-Type") { headers.add("Content-Type", "application/x-www-form-urlencoded") }
        self.init(method: method, url: url, headers: headers, body: Array(QueryParameters.encode(form).utf8))
    }
}

package struct ClientResponse: Sendable, Hashable {
    package var status: Int
    package var version: HTTPVersion
    package var headers: HTTPHeaders
    package var body: [UInt8]

    package init(status: Int, version: HTTPVersion = .http1_1, headers: HTTPHeaders = [:], body: [UInt8] = []) {
        self.status = status
        self.version = version
        self.headers = headers
        self.body = body
    }

    package func json() throws(JSONError) -> JSONValue { try JSONValue.parse(body) }
    package var bodyText: String { String(decoding: body, as: UTF8.self) }
}
