import FoundationEssentials
import Glibc

/// The files of the repository's `scenarios/` folder (suite, JSON Schemas, fixtures, target
/// profiles, README), compiled into the binary at build time by the EmbedScenarios plugin, so
/// `mockidp` runs its suite from any directory. Paths are relative to `scenarios/`, with `/`.
package enum BuiltinFiles {
    /// Every path, sorted.
    package static let paths: [String] = encoded.map(\.path).sorted()

    /// Where each path's base64 text is in `encoded`. A file is decoded when it is asked for:
    /// `serve` needs one fixture file, not the whole suite.
    private static let positions: [String: Int] = Dictionary(encoded.enumerated().map { ($1.path, $0) }, uniquingKeysWith: { first, _ in first })

    package static func bytes(_ path: String) -> [UInt8]? {
        guard let position = positions[path] else { return nil }
        // The generator wrote these with Foundation's encoder; a failure is a build bug.
        return Data(base64Encoded: encoded[position].base64).map { Array($0) } ?? []
    }

    /// The paths below `folder` ("suite", "targets"), sorted.
    package static func paths(under folder: String) -> [String] {
        let prefix = folder.hasSuffix("/") ? folder : folder + "/"
        return paths.filter { $0.hasPrefix(prefix) }
    }
}
