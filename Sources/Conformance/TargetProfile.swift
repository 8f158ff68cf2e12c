import Foundation
import IdP
import JSON

/// A value in the app's JSON: a JSON Pointer, or an array of objects with pointers inside each.
public enum ResponseField: Sendable, Equatable {
    case pointer(String)
    case list(array: String, id: String, role: String?)

    static func parse(_ reader: JSONReader) throws(ConfigError) -> ResponseField {
        if let text = reader.value.stringValue {
            guard text.isEmpty || text.hasPrefix("/") else { throw reader.error("", "'\(text)' is not a JSON Pointer (it must start with /)") }
            return .pointer(text)
        }
        try reader.checkKeys(["array", "id", "role"])
        return .list(array: try reader.requiredString("array"), id: try reader.requiredString("id"), role: try reader.string("role"))
    }
}

public struct HTTPCall: Sendable, Equatable {
    public var method: String
    public var path: String
    public var body: JSONValue?

    static func parse(_ reader: JSONReader, defaultMethod: String) throws(ConfigError) -> HTTPCall {
        try reader.checkKeys(["method", "path", "body", "clear_method", "points", "query", "clears_jwks_cache"])
        return HTTPCall(method: (try reader.string("method") ?? defaultMethod).uppercased(), path: try reader.requiredString("path"), body: reader.value["body"])
    }
}

/// How the runner talks to one app backend: where it is, how to start it, where the token
/// goes, where values are in its answers, and what optional hooks it offers.
public struct TargetProfile: Sendable {
    public enum TokenPlacement: Sendable, Equatable {
        case bearer
        case json(field: String)
        case form(field: String)
    }

    public struct Start: Sendable {
        public var command: [String]
        public var environment: [String: String]
        public var readyPath: String
        public var timeoutSeconds: Double
    }

    public struct Introspection: Sendable {
        public var call: HTTPCall
        public var fields: [String: ResponseField]
    }

    public struct Credentials: Sendable {
        public var list: HTTPCall?
        public var create: HTTPCall?
        public var delete: HTTPCall?
        public var writerRoles: [String]
    }

    public var file: String
    public var name: String
    public var baseURL: String
    public var start: Start?
    public var callback: HTTPCall
    public var tokenPlacement: TokenPlacement
    public var responseFields: [String: ResponseField]
    public var introspection: Introspection?
    public var faultHook: HTTPCall?
    public var faultClearMethod: String?
    public var faultPoints: [String]
    public var seeding: HTTPCall?
    public var reset: HTTPCall?
    /// The reset hook also empties the app's JWKS cache; otherwise the runner waits out the
    /// declared TTL after a scenario that rotated keys, so the next one starts clean.
    public var resetClearsJWKSCache = false
    public var leewaySeconds: Double?
    public var jwksCacheTTLSeconds: Double?
    public var jwksCooldownSeconds: Double?
    public var emailClaim: String?
    public var credentials: Credentials?

    /// The capability names scenarios can require.
    public var capabilities: Set<String> {
        var names: Set<String> = []
        if introspection != nil { names.insert("introspection") }
        if faultHook != nil { names.insert("fault_hook") }
        if seeding != nil { names.insert("seeding") }
        if reset != nil { names.insert("reset") }
        if jwksCacheTTLSeconds != nil { names.insert("jwks_cache_ttl") }
        if emailClaim != nil { names.insert("email_claim") }
        if credentials != nil { names.insert("organization_credentials") }
        return names
    }

    public static func load(file: String) throws(ConfigError) -> TargetProfile {
        let value = try JSONReader.document(at: file, what: "target profile")
        return try parse(value, file: file)
    }

    public static func parse(_ value: JSONValue, file: String) throws(ConfigError) -> TargetProfile {
        let root = JSONReader(value, file: file)
        try root.checkKeys(["$schema", "name", "description", "base_url", "start", "callback", "response", "capabilities"])
        let baseURL = try root.requiredString("base_url")
        guard baseURL.hasPrefix("http://") else { throw root.error("base_url", "must be an http:// URL (the runner speaks HTTP/1.1 on loopback)") }

        var start: Start?
        if let reader = root.child("start") {
            try reader.checkKeys(["command", "env", "ready"])
            guard let command = try reader.strings("command"), !command.isEmpty else { throw reader.error("command", "is required: the program and its arguments") }
            var environment: [String: String] = [:]
            for member in try reader.objectValue("env") ?? [:] {
                guard let text = member.value.stringValue else { throw reader.error("env.\(member.key)", "must be a string") }
                environment[member.key] = text
            }
            let ready = reader.child("ready")
            try ready?.checkKeys(["path", "timeout_seconds"])
            start = Start(command: command, environment: environment, readyPath: try ready?.string("path") ?? "/",
                          timeoutSeconds: try ready?.double("timeout_seconds", in: Limits.readyTimeoutSeconds) ?? 10)
        }

        guard let callbackReader = root.child("callback") else { throw root.error("callback", "is required: how the app receives a token") }
        try callbackReader.checkKeys(["method", "path", "token"])
        let callback = HTTPCall(method: (try callbackReader.string("method") ?? "POST").uppercased(), path: try callbackReader.requiredString("path"), body: nil)
        var placement = TokenPlacement.bearer
        if let token = callbackReader.child("token") {
            try token.checkKeys(["in", "field"])
            switch try token.string("in") ?? "bearer" {
            case "bearer": placement = .bearer
            case "json": placement = .json(field: try token.requiredString("field"))
            case "form": placement = .form(field: try token.requiredString("field"))
            case let other: throw token.error("in", "'\(other)' is not bearer, json or form")
            }
        }

        var fields: [String: ResponseField] = [:]
        if let response = root.child("response") {
            for member in try response.requireObject() {
                fields[member.key] = try ResponseField.parse(response.child(member.key) ?? response)
            }
        }

        var profile = TargetProfile(file: file, name: try root.string("name") ?? file, baseURL: baseURL, start: start, callback: callback,
                                    tokenPlacement: placement, responseFields: fields, introspection: nil, faultHook: nil,
                                    faultClearMethod: nil, faultPoints: [], seeding: nil, reset: nil, leewaySeconds: nil,
                                    jwksCacheTTLSeconds: nil, jwksCooldownSeconds: nil, emailClaim: nil, credentials: nil)
        if let capabilities = root.child("capabilities") {
            try capabilities.checkKeys(["introspection", "fault_hook", "seeding", "reset", "leeway_seconds", "jwks_cache_ttl_seconds",
                                        "jwks_refetch_cooldown_seconds", "email_claim", "organization_credentials"])
            if let reader = capabilities.child("introspection") {
                var introspectionFields: [String: ResponseField] = [:]
                for member in try reader.requireObject() where !["method", "path"].contains(member.key) {
                    introspectionFields[member.key] = try ResponseField.parse(reader.child(member.key) ?? reader)
                }
                profile.introspection = Introspection(
                    call: HTTPCall(method: (try reader.string("method") ?? "GET").uppercased(), path: try reader.requiredString("path"), body: nil),
                    fields: introspectionFields)
            }
            if let reader = capabilities.child("fault_hook") {
                profile.faultHook = try HTTPCall.parse(reader, defaultMethod: "POST")
                profile.faultClearMethod = try reader.string("clear_method")
                profile.faultPoints = try reader.strings("points") ?? []
            }
            if let reader = capabilities.child("seeding") { profile.seeding = try HTTPCall.parse(reader, defaultMethod: "POST") }
            if let reader = capabilities.child("reset") {
                profile.reset = try HTTPCall.parse(reader, defaultMethod: "POST")
                profile.resetClearsJWKSCache = try reader.bool("clears_jwks_cache") ?? false
            }
            profile.leewaySeconds = try capabilities.double("leeway_seconds", in: Limits.profileSeconds)
            profile.jwksCacheTTLSeconds = try capabilities.double("jwks_cache_ttl_seconds", in: Limits.profileSeconds)
            profile.jwksCooldownSeconds = try capabilities.double("jwks_refetch_cooldown_seconds", in: Limits.profileSeconds)
            profile.emailClaim = try capabilities.string("email_claim")
            if let reader = capabilities.child("organization_credentials") {
                try reader.checkKeys(["list", "create", "delete", "writer_roles"])
                profile.credentials = Credentials(
                    list: try reader.child("list").map { (r) throws(ConfigError) in try HTTPCall.parse(r, defaultMethod: "GET") },
                    create: try reader.child("create").map { (r) throws(ConfigError) in try HTTPCall.parse(r, defaultMethod: "POST") },
                    delete: try reader.child("delete").map { (r) throws(ConfigError) in try HTTPCall.parse(r, defaultMethod: "DELETE") },
                    writerRoles: try reader.strings("writer_roles") ?? ["owner", "admin"])
            }
        }
        return profile
    }
}
