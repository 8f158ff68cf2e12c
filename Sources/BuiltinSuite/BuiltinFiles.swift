import Foundation

/// The files of the repository's `scenarios/` folder (suite, JSON Schemas, fixtures, target
/// profiles, README), compiled into the binary at build time by the EmbedScenarios plugin, so
/// `mockidp` runs its suite from any directory. Paths are relative to `scenarios/`, with `/`.
package enum BuiltinFiles {
    /// Every embedded file, by path, decoded once.
    package static let all: [String: [UInt8]] = {
        var files: [String: [UInt8]] = [:]
        for (path, base64) in encoded {
            // The generator wrote these with Foundation's encoder; a failure is a build bug.
            files[path] = Data(base64Encoded: base64).map { Array($0) } ?? []
        }
        return files
    }()

    /// Every path, sorted.
    package static var paths: [String] { all.keys.sorted() }

    package static func bytes(_ path: String) -> [UInt8]? { all[path] }

    /// The files below `folder` ("suite", "targets"), sorted by path.
    package static func files(under folder: String) -> [(path: String, bytes: [UInt8])] {
        let prefix = folder.hasSuffix("/") ? folder : folder + "/"
        return all.filter { $0.key.hasPrefix(prefix) }.sorted { $0.key < $1.key }.map { (path: $0.key, bytes: $0.value) }
    }
}
