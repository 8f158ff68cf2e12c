import Essentials
import FoundationEssentials
import Glibc

/// Where `mockidp` finds its own data and itself, wherever it was copied to.
package enum ProjectFiles {
    /// A data file or folder of the project (`scenarios/suite`, `scenarios/targets/x.json`): the copy
    /// compiled into the binary (`builtin:…`, readable by every loader here), so a binary run away
    /// from the checkout behaves as one run inside it. Other paths are looked for on disk, from the
    /// working directory, then next to the executable.
    package static func locate(_ relative: String, executable: String = CommandLine.arguments[0]) -> String? {
        if relative.hasPrefix("scenarios/") {
            let embedded = Builtin.prefix + relative.dropFirst("scenarios/".count)
            if Builtin.contents(of: embedded) != nil || Builtin.files(in: embedded, suffix: "") != nil { return embedded }
        }
        let manager = FileManager.default
        let here = Paths.join(manager.currentDirectoryPath, relative)
        if manager.fileExists(atPath: here) { return here }
        var folder = (URL(fileURLWithPath: executable).resolvingSymlinksInPath().deletingLastPathComponent())
        for _ in 0..<5 {
            let candidate = folder.appendingPathComponent(relative).path
            if manager.fileExists(atPath: candidate) { return candidate }
            folder = folder.deletingLastPathComponent()
        }
        return nil
    }

    /// This executable as an absolute path, for the `{mockidp}` placeholder: a relative
    /// `./mockidp` would break once the app starts in another directory.
    package static var executable: String {
        if let resolved = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") { return resolved }
        let first = CommandLine.arguments[0]
        guard first.contains("/"), !first.hasPrefix("/") else { return first }
        return URL(fileURLWithPath: first, relativeTo: URL(fileURLWithPath: FileManager.default.currentDirectoryPath)).standardizedFileURL.path
    }
}
