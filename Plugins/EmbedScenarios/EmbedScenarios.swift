import Foundation
import PackagePlugin

/// Compiles every file under the package's `scenarios/` folder into the target, so `mockidp`
/// carries its suite, schemas, fixtures and target profiles and `scenarios/` stays the one source.
///
/// SwiftPM runs a build tool plugin only when it replans, and it replans when the folder structure
/// of a target changes. The target reaches `scenarios/` through a symlink in its source folder
/// (excluded from its sources), so adding, removing or renaming a scenario replans and this plugin
/// lists the folder afresh; editing a file reruns the command through its declared inputs. A file
/// another branch adds is therefore embedded with no generated file to commit or merge.
@main
struct EmbedScenarios: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let root = context.package.directoryURL.appending(path: "scenarios")
        let files = try Self.regularFiles(under: root)
        let output = context.pluginWorkDirectoryURL.appending(path: "EmbeddedScenarioFiles.swift")
        return [
            .buildCommand(
                displayName: "Embedding \(files.count) files of the scenarios folder",
                executable: try context.tool(named: "EmbedFiles").url,
                arguments: [root.path, output.path] + files,
                inputFiles: files.map { root.appending(path: $0) },
                outputFiles: [output]),
        ]
    }

    /// Paths relative to `root`, sorted, skipping dot-files (editor and OS litter).
    static func regularFiles(under root: URL) throws -> [String] {
        let manager = FileManager.default
        var isFolder: ObjCBool = false
        guard manager.fileExists(atPath: root.path, isDirectory: &isFolder), isFolder.boolValue else {
            throw EmbedError("no scenarios/ folder at \(root.path)")
        }
        guard let enumerator = manager.enumerator(atPath: root.path) else { throw EmbedError("cannot list \(root.path)") }
        var files: [String] = []
        while let relative = enumerator.nextObject() as? String {
            if relative.split(separator: "/").contains(where: { $0.hasPrefix(".") }) { continue }
            if manager.fileExists(atPath: root.appending(path: relative).path, isDirectory: &isFolder), !isFolder.boolValue {
                files.append(relative)
            }
        }
        return files.sorted()
    }
}

struct EmbedError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
