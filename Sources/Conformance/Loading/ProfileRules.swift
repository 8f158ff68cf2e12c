import HTTP

/// What a profile must satisfy before anything starts, so a mistake is exit 2 at load naming the
/// field, not "app unreachable" (exit 3) after the readiness timeout, and no profile value can
/// inject a header line into the runner's own requests.
enum ProfileRules {
    static func check(_ profile: TargetProfile) throws(ConfigError) {
        let file = profile.file
        func fail(_ field: String, _ message: String) -> ConfigError { ConfigError(file: file, field: field, message: message) }

        try checkBaseURL(profile.baseURL, fail: fail)
        if let start = profile.start {
            for (index, word) in start.command.enumerated() where word.contains("\0") {
                throw fail("start.command[\(index)]", "must not contain a NUL character")
            }
            for (name, value) in start.environment {
                guard !name.isEmpty, !name.contains("="), !name.contains("\0"), !name.contains(where: \.isWhitespace) else {
                    let shown = name.debugDescription.dropFirst().dropLast()
                    throw fail("start.env", "'\(shown)' is not an environment variable name (non-empty, no '=', space or NUL)")
                }
                if value.contains("\0") { throw fail("start.env.\(name)", "must not contain a NUL character") }
            }
            try checkPath(start.readyPath, field: "start.ready.path", fail: fail)
        }
        var calls: [(field: String, call: HTTPCall)] = [("callback", profile.callback)]
        if let probe = profile.probe { calls.append(("probe", probe.call)) }
        if let logout = profile.logout { calls.append(("logout", logout)) }
        if let introspection = profile.introspection { calls.append(("capabilities.introspection", introspection.call)) }
        if let hook = profile.faultHook { calls.append(("capabilities.fault_hook", hook)) }
        if let seeding = profile.seeding { calls.append(("capabilities.seeding", seeding)) }
        if let reset = profile.reset { calls.append(("capabilities.reset", reset)) }
        if let credentials = profile.credentials {
            for (name, call) in [("list", credentials.list), ("create", credentials.create), ("delete", credentials.delete)] {
                if let call { calls.append(("capabilities.organization_credentials.\(name)", call)) }
            }
        }
        for (field, call) in calls {
            try checkMethod(call.method, field: "\(field).method", fail: fail)
            try checkPath(call.path, field: "\(field).path", fail: fail)
        }
        if let method = profile.faultClearMethod { try checkMethod(method.uppercased(), field: "capabilities.fault_hook.clear_method", fail: fail) }
        if let login = profile.codeFlow?.loginPath { try checkPath(login, field: "callback.login_path", fail: fail) }
        try checkHeaders(profile.probe?.headers ?? [:], field: "probe.headers", fail: fail)
        try checkHeaders(profile.callbackHeaders, field: "callback.headers", fail: fail)
        if let path = profile.resourceServer?.metadataPath { try checkPath(path, field: "resource_server.metadata_path", fail: fail) }
    }

    /// Header names are RFC 9110 tokens and values hold no line break: no profile value can start
    /// another header line in the runner's requests.
    private static func checkHeaders(
        _ headers: [String: String], field: String, fail: (String, String) -> ConfigError
    ) throws(ConfigError) {
        for (name, value) in headers.sorted(by: { $0.key < $1.key }) {
            guard !name.isEmpty, name.utf8.allSatisfy(isTokenByte) else {
                throw fail(field, "'\(name.debugDescription.dropFirst().dropLast())' is not a header name (RFC 9110 token characters)")
            }
            guard !value.utf8.contains(where: { $0 == 0x0D || $0 == 0x0A || $0 == 0 }) else {
                throw fail("\(field).\(name)", "must not contain CR, LF or NUL (it would start another header line)")
            }
        }
    }

    /// `http://` + a loopback IPv4 host (`localhost`, `127.x.y.z`, or a `{placeholder}`), an
    /// optional port, and no user info or path: the runner adds every path itself.
    private static func checkBaseURL(_ url: String, fail: (String, String) -> ConfigError) throws(ConfigError) {
        let rest = url.dropFirst("http://".count)
        let authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        let tail = rest.dropFirst(authority.count)
        guard tail.isEmpty || tail == "/" else {
            throw fail("base_url", "must be scheme, host and port only (no path, query or fragment): put '\(tail)' in the paths instead")
        }
        guard !authority.contains("@") else { throw fail("base_url", "must not carry user info ('…@'): the runner sends no credentials in URLs") }
        guard !url.utf8.contains(where: { $0 <= 0x20 || $0 == 0x7F }) else { throw fail("base_url", "must not contain spaces or control characters") }
        var host = authority
        if host.hasPrefix("[") {
            throw fail("base_url", "the runner's client speaks IPv4 only: use http://127.0.0.1:PORT")
        } else if let colon = host.lastIndex(of: ":") {
            host = host[..<colon]
        }
        // A placeholder host is filled by --set and checked by the runner's client when it connects.
        if host.hasPrefix("{") && host.hasSuffix("}") { return }
        guard Loopback.isHost(String(host)) else {
            throw fail("base_url", "host '\(host)' is not loopback: the runner tests an app on this machine (localhost, 127.0.0.1)")
        }
    }

    /// A path the runner appends to base_url: starts with `/`, no spaces, control characters or
    /// scheme (an absolute URL would be appended to base_url as is).
    private static func checkPath(_ path: String, field: String, fail: (String, String) -> ConfigError) throws(ConfigError) {
        guard !path.utf8.contains(where: { $0 <= 0x20 || $0 == 0x7F }) else {
            throw fail(field, "must not contain spaces, CR, LF or other control characters")
        }
        guard path.hasPrefix("/"), !path.hasPrefix("//") else {
            throw fail(field, "must be a path starting with '/' (relative to base_url), not '\(path.prefix(80))'")
        }
    }

    private static func checkMethod(_ method: String, field: String, fail: (String, String) -> ConfigError) throws(ConfigError) {
        guard !method.isEmpty, method.utf8.allSatisfy(isTokenByte) else {
            throw fail(field, "'\(method.debugDescription.dropFirst().dropLast())' is not an HTTP method (letters such as GET or POST)")
        }
    }

    /// RFC 9110 `tchar`.
    private static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"): return true
        default: return Array("!#$%&'*+-.^_`|~".utf8).contains(byte)
        }
    }
}
