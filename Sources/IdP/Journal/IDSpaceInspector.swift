import JSON

/// Reads every ID an app sends the mock — in the path, the query and JSON bodies — and flags
/// the ones from the wrong space. This is how a test learns that an app asked for
/// `/organizations/<its own UUID>`: in production that lookup silently fails.
struct IDSpaceInspector: Sendable {
    enum Expected: Sendable {
        case idp(IdPPrefix)
        case app
    }

    /// Path shapes that carry an ID; `*` is the ID. Checked by segment count first.
    static let pathPatterns: [(segments: [String], expected: Expected, field: String)] = [
        (["organizations", "external_id", "*"], .app, "path external_id"),
        (["organizations", "*"], .idp(.organization), "path organization id"),
        (["user_management", "users", "external_id", "*"], .app, "path external_id"),
        (["user_management", "users", "*"], .idp(.user), "path user id"),
        (["user_management", "users", "*", "sessions"], .idp(.user), "path user id"),
        (["user_management", "users", "*", "identities"], .idp(.user), "path user id"),
        (["user_management", "organization_memberships", "*"], .idp(.membership), "path membership id"),
        (["user_management", "organization_memberships", "*", "deactivate"], .idp(.membership), "path membership id"),
        (["user_management", "organization_memberships", "*", "reactivate"], .idp(.membership), "path membership id"),
        (["sso", "jwks", "*"], .idp(.client), "path client id"),
    ]

    /// The first segments of every pattern: a path under none of them (health, JWKS discovery,
    /// authenticate) carries no path ID and is not split at all.
    static let patternRoots = Set(pathPatterns.map { "/" + $0.segments[0] + "/" })

    static let fieldExpectations: [String: IdPPrefix] = [
        "organization_id": .organization, "organization": .organization, "user_id": .user,
        "session_id": .session, "client_id": .client, "connection": .connection,
    ]

    /// `directory` is read at most once, and only when an ID needs looking up: most requests
    /// (JWKS, health, lists) carry none, and should not touch shared state.
    func flags(method: String, path: String, query: [(name: String, value: String)], body: JSONValue?, directory readDirectory: () -> Directory)
        -> [JournalFlag]
    {
        var cached: Directory?
        let directory = { () -> Directory in
            if let cached { return cached }
            let read = readDirectory()
            cached = read
            return read
        }
        var flags: [JournalFlag] = []
        let root = path.utf8.dropFirst().firstIndex(of: UInt8(ascii: "/")).map { String(path[...$0]) }
        let segments = root.map { Self.patternRoots.contains($0) } == true ? path.split(separator: "/").map(String.init) : []
        for pattern in Self.pathPatterns where pattern.segments.count == segments.count {
            guard let slot = pattern.segments.firstIndex(of: "*") else { continue }
            let matches = zip(pattern.segments, segments).allSatisfy { $0 == "*" || $0 == $1 }
            // The literal "external_id" is a route word, not an ID, as the router reads it.
            if matches, segments[slot] != "external_id" {
                let value = segments[slot].removingPercentEncodingSafely
                if let flag = check(value, expected: pattern.expected, field: pattern.field, directory: directory) { flags.append(flag) }
                break
            }
        }
        for (name, value) in query {
            guard let prefix = Self.fieldExpectations[name] else { continue }
            for part in value.split(separator: ",") where !part.isEmpty {
                if let flag = check(String(part), expected: .idp(prefix), field: "query \(name)", directory: directory) { flags.append(flag) }
            }
        }
        if method != "GET", let object = body?.objectValue {
            for member in object {
                guard let prefix = Self.fieldExpectations[member.key], let value = member.value.stringValue else { continue }
                if let flag = check(value, expected: .idp(prefix), field: "body \(member.key)", directory: directory) { flags.append(flag) }
            }
        }
        return flags
    }

    private func check(_ value: String, expected: Expected, field: String, directory: () -> Directory) -> JournalFlag? {
        func flag(_ reason: String) -> JournalFlag {
            JournalFlag(kind: .idSpaceViolation, reason: reason, field: field, value: value)
        }
        switch expected {
        case .app:
            if IDSpace.of(value) == .idp { return flag("idp_id_in_app_field") }
            return nil
        case .idp(let prefix):
            if let parsed = IdPID.parse(value) {
                if parsed.prefix != prefix { return flag("wrong_prefix") }
                if prefix != .client, !exists(value, prefix: prefix, in: directory()) { return flag("unknown_id") }
                return nil
            }
            if AppID.isUUID(value) || directory().appSideIDs.contains(value) { return flag("app_id_in_idp_field") }
            return flag("not_an_id")
        }
    }

    private func exists(_ id: String, prefix: IdPPrefix, in directory: Directory) -> Bool {
        switch prefix {
        case .user: return directory.users[id] != nil
        case .organization: return directory.organizations[id] != nil
        case .membership: return directory.memberships[id] != nil
        case .session: return directory.sessions[id] != nil
        default: return true
        }
    }
}

extension String {
    /// Percent-decoding that keeps the original text when it is not valid encoding.
    var removingPercentEncodingSafely: String {
        guard contains("%") else { return self }
        var bytes: [UInt8] = []
        var iterator = utf8.makeIterator()
        while let byte = iterator.next() {
            if byte == UInt8(ascii: "%"), let high = iterator.next(), let low = iterator.next(),
                let value = UInt8(String(decoding: [high, low], as: UTF8.self), radix: 16)
            {
                bytes.append(value)
            } else {
                bytes.append(byte)
            }
        }
        return String(validating: bytes, as: UTF8.self) ?? self
    }
}
