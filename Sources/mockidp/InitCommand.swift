import Arguments
import BuiltinSuite
import Conformance
import Essentials
import FoundationEssentials
import Glibc

/// `mockidp init`: a starting target profile on stdout, its field guide on stderr.
enum InitCommand: Subcommand {
    static let spec = CommandSpec(
        name: "init",
        summary: "Print a starting target profile for your app (mockidp init --shape api > mockidp.json).",
        options: [
            .value(
                "shape", placeholder: "SHAPE", default: "api",
                help:
                    "api: the app takes the access token on a callback route; web: it signs users in through the AuthKit redirect with a session cookie."
            ),
            .value(
                "port", short: "p", placeholder: "N",
                help:
                    "The port the app listens on (default: with --command, a free one the runner picks and passes as {app_port} and PORT; without, \(ProfileTemplate.defaultPort))."
            ),
            .value(
                "command", placeholder: "\"CMD ARGS\"",
                help:
                    "How to start the app, e.g. \"python -m myapp --port {app_port}\" (split into words like a shell, nothing expanded). Without it, the app must already be running."
            ),
            .value("name", placeholder: "NAME", help: "The app's name in reports (default: this directory's name)."),
            .flag(
                "observe",
                help:
                    "Start the mock (and the app with --command), watch one login (driven through the app's login route, or a person's browser) and write the profile it shows; what it cannot infer goes to stderr."
            ),
            .value(
                "login-path", placeholder: "PATH",
                help: "With --observe: the app's login route to try first (repeatable; then /login, /auth/login, /signin and other common ones)."),
            .value(
                "wait", placeholder: "SECONDS",
                help:
                    "With --observe, when no login route redirects to the mock: how long to wait for a person to sign in once (default: 300 on a terminal, 0 otherwise)."
            ),
            .value(
                "schema-dir", placeholder: "DIR",
                help:
                    "Also write the JSON Schemas to DIR and point $schema there (relative to this directory, where the profile goes), for editor help offline (default: $schema is the schema's id, which mockidp resolves itself)."
            ),
        ])

    static func run(_ arguments: ParsedArguments) throws -> Int32 {
        let shapeName = try arguments.choice("shape", from: ProfileTemplate.Shape.allCases.map(\.rawValue)) ?? "api"
        let shape = ProfileTemplate.Shape(rawValue: shapeName) ?? .api
        let port = try arguments.integer("port", in: 1...65535)
        var command: [String]?
        if let line = arguments.value("command") {
            do {
                command = try splitCommandLine(line)
            } catch {
                throw UsageError("--command: \(error)")
            }
            if command?.isEmpty == true { throw UsageError("--command is empty") }
        }
        let name = arguments.value("name") ?? URL(fileURLWithPath: FileManager.default.currentDirectoryPath).lastPathComponent
        var reference = ProfileSchema.id
        if let folder = arguments.value("schema-dir") {
            reference = try writeSchemas(to: folder)
        }
        if arguments.has("observe") {
            return try observe(arguments, name: name.isEmpty ? "my-app" : name, port: port, command: command, reference: reference)
        }
        let template = ProfileTemplate(shape: shape, name: name.isEmpty ? "my-app" : name, port: port, command: command, schemaReference: reference)
        StandardStreams.write(template.text)
        var notes = [template.guide, ""]
        notes.append("Next: edit callback (and response) to match the app, then check it with: mockidp run --target mockidp.json --check")
        if command == nil {
            notes.append("No --command: the app must already listen at \(template.profile["base_url"]?.stringValue ?? "") when mockidp run starts.")
        }
        if shape == .web {
            notes.append(
                "--shape web: the AuthKit redirect lands on callback.path; the mock's client ID and API key reach the app as WORKOS_CLIENT_ID and WORKOS_API_KEY."
            )
        }
        printError(notes.joined(separator: "\n"))
        return ExitCode.success
    }

    /// `--observe`: the web template's start and base URL, then what one login shows.
    static func observe(_ arguments: ParsedArguments, name: String, port: Int?, command: [String]?, reference: String) throws -> Int32 {
        var draft = ProfileTemplate(shape: .web, name: name, port: port, command: command, schemaReference: reference).profile.objectValue ?? [:]
        if var start = draft["start"]?.objectValue, var environment = start["env"]?.objectValue {
            for (variable, value) in ProfileObserver.extraEnvironment { environment[variable] = .string(value) }
            start["env"] = .object(environment)
            draft["start"] = .object(start)
        }
        var wait = isatty(0) == 1 && isatty(2) == 1 ? 300.0 : 0
        if let text = arguments.value("wait") {
            guard let seconds = Double(text), (0...3600).contains(seconds) else {
                throw UsageError("--wait takes seconds from 0 to 3600, not '\(text)'")
            }
            wait = seconds
        }
        var loginPaths = arguments.allValues("login-path").map { $0.hasPrefix("/") ? $0 : "/" + $0 }
        for path in ProfileObserver.commonLoginPaths where !loginPaths.contains(path) { loginPaths.append(path) }
        let file = Paths.join(FileManager.default.currentDirectoryPath, "mockidp.json")
        let observer = ProfileObserver(
            options: .init(draft: .object(draft), file: file, loginPaths: loginPaths, waitSeconds: wait, announce: { printError($0) }))
        let observation: ProfileObserver.Observation
        do {
            observation = try observer.observe()
        } catch let error as AppUnreachable {
            printError("mockidp init --observe: \(error)")
            return 3
        }
        var notes = observation.seen.map { "seen: \($0)" }
        notes += observation.notInferred.map { "could not infer: \($0)" }
        guard let profile = observation.profile else {
            notes.append(
                "mockidp init --observe: no profile written (one login is the least it needs to see): start from mockidp init --shape api and fill in the rest by hand."
            )
            printError(notes.joined(separator: "\n"))
            return ExitCode.failure
        }
        StandardStreams.write(profile.serializedString(pretty: true) + "\n")
        notes.append("Next: mockidp run --target mockidp.json (the profile above, saved)")
        printError(notes.joined(separator: "\n"))
        return ExitCode.success
    }

    /// Writes both schemas into `folder` (overwriting older copies: they describe this mockidp)
    /// and returns the `$schema` path for a profile written in the current directory.
    static func writeSchemas(to folder: String) throws -> String {
        let root = URL(fileURLWithPath: folder)
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        for path in BuiltinFiles.paths where path.hasPrefix("schema/") {
            let name = String(path.dropFirst("schema/".count))
            try Data(BuiltinFiles.bytes(path) ?? []).write(to: root.appendingPathComponent(name))
        }
        let file = Paths.join(folder, "target-profile.schema.json")
        return file.hasPrefix("/") || file.hasPrefix(".") ? file : "./" + file
    }
}
