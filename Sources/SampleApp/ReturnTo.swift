/// Where a login may land: a path of this app, never another origin.
enum ReturnTo {
    static let fallback = "/account"

    /// `candidate` when it is a local path, else the fallback. A local path starts with one `/`
    /// followed by anything but `/` or `\` (browsers read `//evil.test` and `/\evil.test` as
    /// another host), and has no backslash, space or control character anywhere.
    static func local(_ candidate: String?) -> String {
        guard let candidate, isLocalPath(candidate) else { return fallback }
        return candidate
    }

    static func isLocalPath(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard bytes.count <= 2048, bytes.first == UInt8(ascii: "/") else { return false }
        if bytes.count > 1, bytes[1] == UInt8(ascii: "/") || bytes[1] == UInt8(ascii: "\\") { return false }
        return bytes.allSatisfy { $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "\\") }
    }
}
