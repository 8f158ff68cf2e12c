import JSON

/// The starting target profile `mockidp init` writes: what can be inferred filled in, the rest
/// left for the team to edit, every field explained by the profile schema's descriptions.
package struct ProfileTemplate: Sendable {
    package enum Shape: String, CaseIterable, Sendable {
        /// An API that takes the access token on a callback route (a SPA's backend, a mobile API).
        case api
        /// A server-rendered app that signs users in through the AuthKit redirect and a session cookie.
        case web
    }

    package var shape: Shape
    package var name: String
    /// The app's fixed port; nil lets the runner pick one and hand it over as `{app_port}` and `PORT`.
    package var port: Int?
    /// The command that starts the app, already split into words; nil for an app already running.
    package var command: [String]?
    /// What `$schema` says: the schema's `$id` or a path to an exported copy.
    package var schemaReference: String

    package init(shape: Shape, name: String, port: Int?, command: [String]?, schemaReference: String = ProfileSchema.id) {
        self.shape = shape
        self.name = name
        self.port = port
        self.command = command
        self.schemaReference = schemaReference
    }

    /// The app without a command of its own must already listen somewhere known.
    package static let defaultPort = 8080

    package var profile: JSONValue {
        var root: JSONObject = [:]
        root["$schema"] = .string(schemaReference)
        root["name"] = .string(name)
        root["description"] = .string(
            shape == .api
                ? "\(name): an API that signs users in with a WorkOS access token. Started by mockidp init; edit callback and response to match the app."
                : "\(name): a web app that signs users in through the AuthKit redirect. Started by mockidp init; edit callback to match the app.")
        let runnerPicksPort = port == nil && command != nil
        root["base_url"] = .string("http://127.0.0.1:" + (runnerPicksPort ? "{app_port}" : String(port ?? Self.defaultPort)))
        if let command {
            var environment: JSONObject = [
                "WORKOS_API_KEY": "{api_key}",
                "WORKOS_CLIENT_ID": "{client_id}",
                "WORKOS_BASE_URL": "{idp_base_url}",
            ]
            if runnerPicksPort { environment["PORT"] = "{app_port}" }
            if shape == .web {
                environment["WORKOS_REDIRECT_URI"] = .string(
                    "http://127.0.0.1:" + (runnerPicksPort ? "{app_port}" : String(port ?? Self.defaultPort)) + "/callback")
            }
            root["start"] = .object([
                "command": .array(command.map { .string($0) }),
                "env": .object(environment),
                "ready": ["path": "/", "timeout_seconds": 30],
            ])
        }
        switch shape {
        case .api:
            root["callback"] = ["method": "POST", "path": "/auth/callback", "token": ["in": "bearer"]]
        case .web:
            // The runner starts at the app's login route, passes the mock's authorize step and
            // delivers ?code&state to the callback as a browser would.
            root["callback"] = ["shape": "code", "path": "/callback", "login_path": "/login"]
        }
        root["response"] = .object([:])
        root["capabilities"] = .object([:])
        return .object(root)
    }

    /// Profile text as `init` prints it, two-space indented.
    package var text: String {
        profile.serializedString(pretty: true) + "\n"
    }

    /// Every field of the template as a dotted path (`start.command`), in order.
    package var fields: [String] {
        var paths: [String] = []
        func walk(_ value: JSONValue, _ prefix: String, descend: Bool) {
            guard descend, let object = value.objectValue else { return }
            for member in object.members {
                let path = prefix.isEmpty ? member.key : "\(prefix).\(member.key)"
                paths.append(path)
                // env and response hold the app's own names, explained by their parent.
                walk(member.value, path, descend: !["start.env", "response"].contains(path))
            }
        }
        walk(profile, "", descend: true)
        return paths
    }

    /// One line per field with the schema's description, for the person running `init`.
    package var guide: String {
        var lines = ["What each field means (from the profile schema; editors show the same when $schema resolves):"]
        for field in fields {
            lines.append("  \(field): \(ProfileSchema.description(of: field) ?? "(not described)")")
        }
        return lines.joined(separator: "\n")
    }
}
