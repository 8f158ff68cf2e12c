import Foundation

/// Headless Chromium, its driver and Selenium, found where `.ci/run` installs them.
package enum Browser {
    package static func executable(_ environment: String, _ candidates: [String]) -> String? {
        if let configured = ProcessInfo.processInfo.environment[environment], FileManager.default.isExecutableFile(atPath: configured) {
            return configured
        }
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    // The real binary rather than Debian's /usr/bin/chromium wrapper script, whose memory check prints noise.
    package static let chromium = executable(
        "MOCKIDP_CHROMIUM", ["/usr/lib/chromium/chromium", "/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"])
    package static let chromedriver = executable(
        "MOCKIDP_CHROMEDRIVER", ["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver", "/usr/local/bin/chromedriver"])

    package static var selenium: Bool {
        let lib = Interop.root.appendingPathComponent(".venv/lib")
        let pythons = (try? FileManager.default.contentsOfDirectory(atPath: lib.path)) ?? []
        return pythons.contains { FileManager.default.fileExists(atPath: lib.appendingPathComponent("\($0)/site-packages/selenium").path) }
            || ProcessInfo.processInfo.environment["MOCKIDP_PYTHON"] != nil
    }

    package static var missing: [String] {
        var missing: [String] = []
        if Interop.python == nil { missing.append(".venv") }
        if !selenium { missing.append("selenium (pip)") }
        if chromium == nil { missing.append("chromium (apt)") }
        if chromedriver == nil { missing.append("chromium-driver (apt)") }
        return missing
    }

    /// Off only outside CI: under CI=true `.ci/run` installs all of it, so a gap must fail, not skip.
    package static var enabled: Bool { missing.isEmpty || ProcessInfo.processInfo.environment["CI"] != nil }
}
