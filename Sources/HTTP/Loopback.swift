/// Whether a `Host` header or an `Origin` names this machine: what the mock's `/_mock` guard and
/// the reference app's `/_test` guard accept (DNS rebinding brings the attacker's own host name).
package enum Loopback {
    /// `localhost`, `127.x.y.z`, `[::1]`, each with an optional port.
    package static func isHost(_ host: String) -> Bool {
        var name = host.lowercased()
        if name.hasPrefix("[") {
            guard let close = name.firstIndex(of: "]") else { return false }
            let rest = name[name.index(after: close)...]
            guard rest.isEmpty || (rest.hasPrefix(":") && rest.dropFirst().allSatisfy(\.isNumber)) else { return false }
            return name[name.index(after: name.startIndex)..<close] == "::1"
        }
        if let colon = name.lastIndex(of: ":") {
            guard name[name.index(after: colon)...].allSatisfy(\.isNumber) else { return false }
            name = String(name[..<colon])
        }
        if name == "localhost" { return true }
        let octets = name.split(separator: ".", omittingEmptySubsequences: false)
        return octets.count == 4 && octets[0] == "127"
            && octets.allSatisfy { octet in
                !octet.isEmpty && octet.count <= 3 && octet.allSatisfy(\.isNumber) && (Int(octet) ?? 256) <= 255
            }
    }

    /// `http://localhost:3000` and the like (`null` and other schemes are not loopback).
    package static func isOrigin(_ origin: String) -> Bool {
        for scheme in ["http://", "https://"] where origin.lowercased().hasPrefix(scheme) {
            return isHost(String(origin.dropFirst(scheme.count)))
        }
        return false
    }
}
