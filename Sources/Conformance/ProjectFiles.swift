import Foundation

/// Finds the project's data folders (`scenarios/…`) from the working directory or, when run
/// from elsewhere, next to the executable (`.build/release/mockidp` → the checkout).
public enum ProjectFiles {
    public static func locate(_ relative: String, executable: String = CommandLine.arguments[0]) -> String? {
        let manager = FileManager.default
        let here = (manager.currentDirectoryPath as NSString).appendingPathComponent(relative)
        if manager.fileExists(atPath: here) { return here }
        var folder = (URL(fileURLWithPath: executable).resolvingSymlinksInPath().deletingLastPathComponent())
        for _ in 0..<5 {
            let candidate = folder.appendingPathComponent(relative).path
            if manager.fileExists(atPath: candidate) { return candidate }
            folder = folder.deletingLastPathComponent()
        }
        return nil
    }
}
