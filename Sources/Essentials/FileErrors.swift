#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Why a file or folder could not be read or written, in the C library's words ("No such file or
/// directory", "Permission denied"); FoundationEssentials' errors carry no readable description.
package enum FileErrorText {
    package static func reading(_ path: String, _ error: any Error) -> String {
        if access(path, F_OK) != 0 || access(path, R_OK) != 0 { return String(cString: strerror(errno)) }
        return "\(error)"
    }

    package static func writing(_ path: String, _ error: any Error) -> String {
        let folder = path.contains("/") ? String(path[..<(path.lastIndex(of: "/") ?? path.endIndex)]) : "."
        if access(folder.isEmpty ? "/" : folder, W_OK) != 0 { return String(cString: strerror(errno)) }
        if access(path, F_OK) == 0, access(path, W_OK) != 0 { return String(cString: strerror(errno)) }
        return "\(error)"
    }
}
