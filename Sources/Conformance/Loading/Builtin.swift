import BuiltinSuite
import Essentials
import FoundationEssentials
import Glibc

/// Names for the copy of `scenarios/` compiled into the binary: `builtin:suite/token/expired.json`,
/// `builtin:targets/reference-app.json`. Every loader here reads such a name as it reads a file on
/// disk, so messages, `--filter` and report file attributes name a built-in scenario the same way
/// wherever `mockidp` runs.
package enum Builtin {
    package static let prefix = "builtin:"
    /// The built-in suite, as a folder name the scenario loader accepts.
    package static let suite = "builtin:suite"
    /// The profile `run` and `selftest` use when no `--target` is given.
    package static let referenceProfile = "builtin:targets/reference-app.json"

    /// `builtin:x` → `x`; nil for a name on disk.
    package static func embeddedPath(_ name: String) -> String? {
        guard name.hasPrefix(prefix) else { return nil }
        return String(name.dropFirst(prefix.count))
    }

    /// The bytes behind a name: an embedded file, or a file on disk.
    package static func contents(of name: String) -> [UInt8]? {
        if let path = embeddedPath(name) { return BuiltinFiles.bytes(path) }
        return FileManager.default.contents(atPath: name).map { Array($0) }
    }

    /// Names of the files ending in `suffix` below `folder` (embedded or on disk), sorted; nil when
    /// there is no such folder.
    package static func files(in folder: String, suffix: String) -> [String]? {
        if let path = embeddedPath(folder) {
            let found = BuiltinFiles.paths(under: path).filter { $0.hasSuffix(suffix) }
            return found.isEmpty ? nil : found.map { prefix + $0 }
        }
        guard let relatives = try? FileManager.default.subpathsOfDirectory(atPath: folder) else { return nil }
        return relatives.filter { $0.hasSuffix(suffix) }.map { Paths.join(folder, $0) }.sorted()
    }

    /// The embedded target profiles by name (`reference-app`).
    package static var targetNames: [String] {
        BuiltinFiles.paths(under: "targets").filter { $0.hasSuffix(".json") }
            .map { String($0.dropFirst("targets/".count).dropLast(".json".count)) }
    }

    /// What `--target VALUE` loads: a file on disk when one exists there, else the embedded
    /// profile of that name, so `--target reference-app` works from any directory.
    package static func resolveTarget(_ value: String?) throws(ConfigError) -> String {
        guard let value else { return referenceProfile }
        if embeddedPath(value) != nil || FileManager.default.fileExists(atPath: value) { return value }
        let name = value.hasSuffix(".json") ? String(value.dropLast(5)) : value
        if targetNames.contains(name) { return prefix + "targets/\(name).json" }
        throw ConfigError(
            file: value, field: "",
            message: "no such file, and no built-in target profile of that name (built-in: \(targetNames.joined(separator: ", ")))")
    }
}
