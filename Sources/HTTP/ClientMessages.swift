import JSON

public struct ClientRequest: Sendable, Hashable {
    public var method: String
    public var url: String
    public var headers: HTTPHeaders
    public var body: [UInt8]

    public init(method: String = "GET", url: String, headers: HTTPHeaders = [:], body: [UInt8] = []) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
    }

    public static func get(_ url: String, headers: HTTPHeaders = [:]) -> ClientRequest {
        ClientRequest(method: "GET", url: url, headers: headers)
    }

    /// A JSON body with `Content-Type: application/json`.
    public init(method: String, url: String, json: JSONValue, headers: HTTPHeaders = [:]) {
        var headers = headers
        if !headers.contains("Content-Type") { headers.add("Content-Type", "application/json") }
        self.init(method: method, url: url, headers: headers, body: json.serialized())
    }

    /// A form body with `Content-Type: application/x-www-form-urlencoded`.
    public init(method: String, url: String, form: [(name: String, value: String)], headers: HTTPHeaders = [:]) {
        var headers = headers
        if !headers.contains("Content-Type") { headers.add("Content-Type", "application/x-www-form-urlencoded") }
        self.init(method: method, url: url, headers: headers, body: Array(QueryParameters.encode(form).utf8))
    }
}

public struct ClientResponse: Sendable, Hashable {
    public var status: Int
    public var version: HTTPVersion
    public var headers: HTTPHeaders
    public var body: [UInt8]

    public init(status: Int, version: HTTPVersion = .http1_1, headers: HTTPHeaders = [:], body: [UInt8] = []) {
        self.status = status
        self.version = version
        self.headers = headers
        self.body = body
    }

    public func json() throws(JSONError) -> JSONValue { try JSONValue.parse(body) }
    public var bodyText: String { String(decoding: body, as: UTF8.self) }
}
