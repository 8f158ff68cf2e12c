import Arguments
import BuiltinSuite
import Conformance
import Foundation

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
        let template = ProfileTemplate(shape: shape, name: name.isEmpty ? "my-app" : name, port: port, command: command, schemaReference: reference)
        FileHandle.standardOutput.write(Data(template.text.utf8))
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

    /// Writes both schemas into `folder` (overwriting older copies: they describe this mockidp)
    /// and returns the `$schema` path for a profile written in the current directory.
    static func writeSchemas(to folder: String) throws -> String {
        let root = URL(fileURLWithPath: folder)
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        for path in BuiltinFiles.paths where path.hasPrefix("schema/") {
            let name = String(path.dropFirst("schema/".count))
            try Data(BuiltinFiles.bytes(path) ?? []).write(to: root.appendingPathComponent(name))
        }
        let file = (folder as NSString).appendingPathComponent("target-profile.schema.json")
        return file.hasPrefix("/") || file.hasPrefix(".") ? file : "./" + file
    }
}
